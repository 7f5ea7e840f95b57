-- pickup_groups_add: add call pickup groups, with their users, from a CSV file
--   ocip run pickup_groups_add PICKUP_GROUPS.csv [--dry-run] [--report FILE] [--resume REPORT] [flags]
-- One GroupCallPickupAddInstanceRequest per row. A pickup group already there is
-- outcome "exists" (not a failure).
local recipe = require "ocip.bulk.recipe"

recipe.run({
  name = "pickup_groups_add",
  summary = "add call pickup groups with their users; one already there is \"exists\", not a failure",
  request = "GroupCallPickupAddInstanceRequest",
  columns = recipe.columns(recipe.GROUP, {
    { "name", required = true, doc = "the pickup group's name (unique within the group)" },
    { "users", path = "user_id", doc = "member user ids, ;-separated" },
  }),
  key = recipe.group_key("name"),
  codes = recipe.EXISTS,
  example = "scripts/examples/pickup_groups_add.csv",
}, arg or { ... })
