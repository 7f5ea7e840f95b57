-- call_centers_delete: delete call centers listed in a CSV file
--   ocip run call_centers_delete CALL_CENTERS.csv (--yes | --dry-run) [--report FILE] [flags]
-- One GroupCallCenterDeleteInstanceRequest per service_user_id (other columns are
-- ignored: a call_centers_add file works). One already gone is outcome "absent".
local recipe = require "ocip.bulk.recipe"

recipe.run({
  name = "call_centers_delete",
  summary = "delete call centers; one already gone is \"absent\", not a failure",
  request = "GroupCallCenterDeleteInstanceRequest",
  columns = { { "service_user_id", required = true, doc = "the call center's user id" } },
  delete = true, ignore_unknown = true,
  codes = recipe.ABSENT,
  example = "scripts/examples/call_centers_add.csv",
}, arg or { ... })
