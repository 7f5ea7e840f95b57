-- sp_admins_delete: delete service provider administrators listed in a CSV file
--   ocip run sp_admins_delete ADMINS.csv (--yes | --dry-run) [--report FILE] [flags]
-- One ServiceProviderAdminDeleteRequest per user_id (other columns are ignored: an
-- sp_admins_add file works). One already gone is outcome "absent".
local recipe = require "ocip.bulk.recipe"

recipe.run({
  name = "sp_admins_delete",
  summary = "delete service provider administrators; one already gone is \"absent\", not a failure",
  request = "ServiceProviderAdminDeleteRequest",
  columns = { { "user_id", required = true, doc = "the administrator's login id" } },
  delete = true, ignore_unknown = true,
  codes = recipe.ABSENT,
  example = "scripts/examples/sp_admins_add.csv",
}, arg or { ... })
