-- pickup_groups_delete: delete call pickup groups listed in a CSV file
--   ocip run pickup_groups_delete PICKUP_GROUPS.csv (--yes | --dry-run) [--report FILE] [flags]
-- One GroupCallPickupDeleteInstanceRequest per row (service_provider_id, group_id,
-- name; other columns are ignored). One already gone is outcome "absent".
local recipe = require "ocip.bulk.recipe"

recipe.run({
  name = "pickup_groups_delete",
  summary = "delete call pickup groups; one already gone is \"absent\", not a failure",
  request = "GroupCallPickupDeleteInstanceRequest",
  columns = recipe.columns(recipe.GROUP, { { "name", required = true } }),
  key = recipe.group_key("name"),
  delete = true, ignore_unknown = true,
  codes = recipe.ABSENT,
  example = "scripts/examples/pickup_groups_add.csv",
}, arg or { ... })
