-- group_admins_add: add group administrators from a CSV file
--   ocip run group_admins_add ADMINS.csv [--dry-run] [--report FILE] [--resume REPORT] [flags]
-- One GroupAdminAddRequest per row; set their policies with group_admins_policies.
-- An administrator already there is outcome "exists" (not a failure).
local recipe = require "ocip.bulk.recipe"

recipe.run({
  name = "group_admins_add",
  summary = "add group administrators; one already there is \"exists\", not a failure",
  request = "GroupAdminAddRequest",
  columns = recipe.columns(recipe.GROUP, {
    { "user_id", required = true, doc = "the administrator's login id" },
    { "last_name" }, { "first_name" },
    { "password", doc = "the initial password (keep the file private, or --set password=...)" },
    { "language" },
  }),
  key = "user_id",
  codes = recipe.EXISTS,
  example = "scripts/examples/group_admins_add.csv",
}, arg or { ... })
