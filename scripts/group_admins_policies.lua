-- group_admins_policies: set group administrators' policies (what they may change)
--   ocip run group_admins_policies POLICIES.csv [--dry-run] [--report FILE] [flags]
-- One GroupAdminModifyPolicyRequest per row: only the columns given change. With --set
-- the same policy goes to every administrator of the file:
--   ocip run group_admins_policies admins.csv --set user_access=Read-Only Profile
local recipe = require "ocip.bulk.recipe"

-- short names for the policy fields (the fields' own names work too)
local SHORT = { "profile", "user", "admin", "department", "access_device", "enhanced_service_instance",
  "feature_access_code", "phone_number_extension", "calling_line_id_number", "service",
  "trunk_group", "session_admission_control", "office_zone", "dialable_caller_id",
  "number_activation", "verify_translation_and_routing", "communication_barring_user_profile" }

local columns = { { "user_id", required = true, doc = "the administrator" } }
for _, s in ipairs(SHORT) do
  columns[#columns + 1] = { s, path = s .. "_access", doc = "= " .. s .. "_access" }
end

recipe.run({
  name = "group_admins_policies",
  summary = "set group administrators' policies: only the columns given change",
  request = "GroupAdminModifyPolicyRequest",
  columns = columns,
  ignored = { "service_provider_id", "group_id", "last_name", "first_name", "password", "language" },
  notes = [[
values: Full, Read-Only, None and per policy more (user: Full Profile, Read-Only Profile,
  No Profile, None; access_device: Associate User With Device; trunk_group: Full Resources,
  Read-Only Resources); ocip describe GroupAdminModifyPolicyRequest lists each one's values]],
  key = "user_id",
  example = "scripts/examples/group_admins_policies.csv",
}, arg or { ... })
