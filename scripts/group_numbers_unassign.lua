-- group_numbers_unassign: give phone numbers of groups back to their service provider
--   ocip run group_numbers_unassign NUMBERS.csv [--dry-run] [--report FILE] [--resume REPORT] [flags]
-- One GroupDnUnassignListRequest per row (the same columns as group_numbers_assign).
-- A number still used by a user or service cannot be unassigned (the row fails).
local recipe = require "ocip.bulk.recipe"
local ranges = require "ocip.bulk.ranges"

recipe.run({
  name = "group_numbers_unassign",
  summary = "unassign phone numbers (single numbers and ranges) from groups",
  request = "GroupDnUnassignListRequest",
  columns = recipe.columns(recipe.GROUP, {
    { "phone_numbers", path = "phone_number", value = recipe.national,
      doc = "national numbers (or +1-2025550101), ;-separated" },
    { "ranges", virtual = true, doc = "ranges FIRST-LAST, ;-separated" },
  }),
  prepare = ranges.prepare,
  key = ranges.key,
  example = "scripts/examples/group_numbers_assign.csv",
}, arg or { ... })
