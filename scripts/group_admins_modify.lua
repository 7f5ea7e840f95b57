-- group_admins_modify: change group administrators from a CSV file
--   ocip run group_admins_modify ADMINS.csv [--dry-run] [--report FILE] [flags]
-- One GroupAdminModifyRequest per row: only the columns given change; @nil clears.
local recipe = require "ocip.bulk.recipe"

recipe.run({
  name = "group_admins_modify",
  summary = "change group administrators: names, password, language, account_disabled",
  request = "GroupAdminModifyRequest",
  columns = {
    { "user_id", required = true, doc = "the administrator to change" },
    { "last_name" }, { "first_name" }, { "password", doc = "a new password" }, { "language" },
    { "account_disabled", doc = "true: the administrator cannot log in" },
  },
  ignored = { "service_provider_id", "group_id" },
  key = "user_id",
  example = "scripts/examples/group_admins_modify.csv",
}, arg or { ... })
