-- user_numbers_assign: give users a phone number (and extension) from their group
--   ocip run user_numbers_assign NUMBERS.csv [--dry-run] [--report FILE] [--resume REPORT] [flags]
-- One UserModifyRequest22 per row with phone_number (the number must be assigned to the
-- user's group: group_numbers_assign) and, when given, extension and calling line id.
local recipe = require "ocip.bulk.recipe"

recipe.run({
  name = "user_numbers_assign",
  summary = "give users a phone number of their group (and an extension)",
  request = "UserModifyRequest22",
  columns = {
    { "user_id", required = true, doc = "the user" },
    { "phone_number", required = true, value = recipe.national,
      doc = "national number or +1-2025550101 (assigned to the user's group)" },
    { "extension", doc = "its extension (default: as the group's extension length gives it)" },
    { "calling_line_id_phone_number", value = recipe.national, doc = "the number shown to callers" },
  },
  only = true, ignore_unknown = true, -- a users_export file works: its other columns are left out
  key = "user_id",
  example = "scripts/examples/user_numbers_assign.csv",
}, arg or { ... })
