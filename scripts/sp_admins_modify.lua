-- sp_admins_modify: change service provider administrators from a CSV file
--   ocip run sp_admins_modify ADMINS.csv [--dry-run] [--report FILE] [flags]
-- One ServiceProviderAdminModifyRequest per row: only the columns given change.
local recipe = require "ocip.bulk.recipe"

recipe.run({
  name = "sp_admins_modify",
  summary = "change service provider administrators: names, password, language, account_disabled",
  request = "ServiceProviderAdminModifyRequest",
  columns = {
    { "user_id", required = true, doc = "the administrator to change" },
    { "last_name" }, { "first_name" }, { "password", doc = "a new password" }, { "language" },
    { "account_disabled", doc = "true: the administrator cannot log in" },
  },
  ignored = { "service_provider_id", "administrator_type" },
  key = "user_id",
  example = "scripts/examples/sp_admins_modify.csv",
}, arg or { ... })
