-- group_numbers_assign: assign phone numbers of the service provider to groups
--   ocip run group_numbers_assign NUMBERS.csv [--dry-run] [--report FILE] [--resume REPORT] [flags]
-- One GroupDnAssignListRequest per row: numbers and ranges from the service
-- provider's pool (add them there first: ocip bulk ServiceProviderDnAddListRequest).
local recipe = require "ocip.bulk.recipe"
local ranges = require "ocip.bulk.ranges"

recipe.run({
  name = "group_numbers_assign",
  summary = "assign phone numbers (single numbers and ranges) to groups",
  request = "GroupDnAssignListRequest",
  columns = recipe.columns(recipe.GROUP, {
    { "phone_numbers", path = "phone_number", value = recipe.national,
      doc = "national numbers (or +1-2025550101), ;-separated" },
    { "ranges", virtual = true, doc = "ranges FIRST-LAST, ;-separated (2025550100-2025550199)" },
  }),
  prepare = ranges.prepare,
  key = ranges.key,
  example = "scripts/examples/group_numbers_assign.csv",
}, arg or { ... })
