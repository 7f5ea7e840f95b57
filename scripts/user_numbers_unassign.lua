-- user_numbers_unassign: take users' phone numbers away (they stay with the group)
--   ocip run user_numbers_unassign USERS.csv [--dry-run] [--report FILE] [--resume REPORT] [flags]
-- One UserModifyRequest22 per user_id with phone_number xsi:nil (and extension, when the
-- column extension holds @nil). Other columns are ignored: a users_export file works.
local recipe = require "ocip.bulk.recipe"

recipe.run({
  name = "user_numbers_unassign",
  summary = "remove users' phone numbers (the numbers stay assigned to the group)",
  request = "UserModifyRequest22",
  columns = {
    { "user_id", required = true, doc = "the user" },
    { "extension", doc = "@nil removes the extension too; empty keeps it" },
    { "phone_number", virtual = true, doc = "ignored: whatever number the user has is removed" },
  },
  prepare = function(fields) fields.phone_number = recipe.NIL end,
  only = true, ignore_unknown = true,
  key = "user_id",
  example = "scripts/examples/user_numbers_assign.csv",
}, arg or { ... })
