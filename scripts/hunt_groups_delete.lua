-- hunt_groups_delete: delete hunt groups listed in a CSV file
--   ocip run hunt_groups_delete HUNT_GROUPS.csv (--yes | --dry-run) [--report FILE] [flags]
-- One GroupHuntGroupDeleteInstanceRequest per service_user_id (other columns are
-- ignored: a hunt_groups_add file works). One already gone is outcome "absent".
local recipe = require "ocip.bulk.recipe"

recipe.run({
  name = "hunt_groups_delete",
  summary = "delete hunt groups; one already gone is \"absent\", not a failure",
  request = "GroupHuntGroupDeleteInstanceRequest",
  columns = { { "service_user_id", required = true, doc = "the hunt group's user id" } },
  delete = true, ignore_unknown = true,
  codes = recipe.ABSENT,
  example = "scripts/examples/hunt_groups_add.csv",
}, arg or { ... })
