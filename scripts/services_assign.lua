-- services_assign: assign services and service packs to users from a CSV file
--   ocip run services_assign SERVICES.csv [--dry-run] [--report FILE] [--resume REPORT] [flags]
-- One UserServiceAssignListRequest per row. The group must be authorized for them.
--   ocip run services_assign users.csv --set "services=Call Forwarding Always;Voice Messaging User"
local recipe = require "ocip.bulk.recipe"

recipe.run({
  name = "services_assign",
  summary = "assign user services and service packs to users",
  request = "UserServiceAssignListRequest",
  columns = {
    { "user_id", required = true, doc = "the user" },
    { "services", path = "service_name", doc = "user service names, ;-separated (\"Call Forwarding Always\")" },
    { "service_packs", path = "service_pack_name", doc = "service pack names, ;-separated" },
  },
  ignore_unknown = true, -- a users_export or users_add file works, with --set services=...
  key = "user_id",
  example = "scripts/examples/services_assign.csv",
}, arg or { ... })
