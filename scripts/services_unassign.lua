-- services_unassign: take services and service packs off users from a CSV file
--   ocip run services_unassign SERVICES.csv [--dry-run] [--report FILE] [--resume REPORT] [flags]
-- One UserServiceUnassignListRequest per row (the same columns as services_assign).
local recipe = require "ocip.bulk.recipe"

recipe.run({
  name = "services_unassign",
  summary = "unassign user services and service packs from users",
  request = "UserServiceUnassignListRequest",
  columns = {
    { "user_id", required = true, doc = "the user" },
    { "services", path = "service_name", doc = "user service names, ;-separated" },
    { "service_packs", path = "service_pack_name", doc = "service pack names, ;-separated" },
  },
  ignore_unknown = true,
  key = "user_id",
  example = "scripts/examples/services_assign.csv",
}, arg or { ... })
