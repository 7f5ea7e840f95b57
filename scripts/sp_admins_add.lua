-- sp_admins_add: add service provider administrators from a CSV file
--   ocip run sp_admins_add ADMINS.csv [--dry-run] [--report FILE] [--resume REPORT] [flags]
-- One ServiceProviderAdminAddRequest14 per row. An administrator already there is
-- outcome "exists" (not a failure).
local recipe = require "ocip.bulk.recipe"

recipe.run({
  name = "sp_admins_add",
  summary = "add service provider administrators; one already there is \"exists\", not a failure",
  request = "ServiceProviderAdminAddRequest14",
  columns = {
    { "service_provider_id", required = true, doc = "the service provider (or enterprise)" },
    { "user_id", required = true, doc = "the administrator's login id" },
    { "last_name" }, { "first_name" },
    { "password", doc = "the initial password (keep the file private, or --set password=...)" },
    { "language" },
    { "administrator_type", doc = "Normal, Customer or Password Reset Only" },
  },
  defaults = { { "administrator_type", "Normal" } },
  key = "user_id",
  codes = recipe.EXISTS,
  example = "scripts/examples/sp_admins_add.csv",
}, arg or { ... })
