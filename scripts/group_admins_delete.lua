-- group_admins_delete: delete group administrators listed in a CSV file
--   ocip run group_admins_delete ADMINS.csv (--yes | --dry-run) [--report FILE] [flags]
-- One GroupAdminDeleteRequest per user_id (other columns are ignored: a
-- group_admins_add file works). One already gone is outcome "absent".
local recipe = require "ocip.bulk.recipe"

recipe.run({
  name = "group_admins_delete",
  summary = "delete group administrators; one already gone is \"absent\", not a failure",
  request = "GroupAdminDeleteRequest",
  columns = { { "user_id", required = true, doc = "the administrator's login id" } },
  delete = true, ignore_unknown = true,
  codes = recipe.ABSENT,
  example = "scripts/examples/group_admins_add.csv",
}, arg or { ... })
