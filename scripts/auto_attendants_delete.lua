-- auto_attendants_delete: delete auto attendants listed in a CSV file
--   ocip run auto_attendants_delete AUTO_ATTENDANTS.csv (--yes | --dry-run) [--report FILE] [flags]
-- One GroupAutoAttendantDeleteInstanceRequest per service_user_id (other columns are
-- ignored: an auto_attendants_add file works). One already gone is outcome "absent".
local recipe = require "ocip.bulk.recipe"

recipe.run({
  name = "auto_attendants_delete",
  summary = "delete auto attendants; one already gone is \"absent\", not a failure",
  request = "GroupAutoAttendantDeleteInstanceRequest",
  columns = { { "service_user_id", required = true, doc = "the auto attendant's user id" } },
  delete = true, ignore_unknown = true,
  codes = recipe.ABSENT,
  example = "scripts/examples/auto_attendants_add.csv",
}, arg or { ... })
