-- users_modify: change users' profiles from a CSV file (UserModifyRequest22 per row)
--   ocip run users_modify USERS.csv [--dry-run] [--report FILE] [--resume REPORT] [flags]
-- Only the columns given are changed; an empty cell leaves the field as it is, @nil
-- clears it. A users_export file (edited) is valid input: its read-only columns are
-- ignored, and service_provider_id/group_id name the group of a department.
local recipe = require "ocip.bulk.recipe"

recipe.run({
  name = "users_modify",
  summary = "change users: only the columns given change; an empty cell keeps the value, @nil clears it",
  request = "UserModifyRequest22",
  columns = {
    { "user_id", required = true, doc = "the user to change" },
    { "last_name" }, { "first_name" },
    { "calling_line_id_last_name" }, { "calling_line_id_first_name" },
    { "phone_number", value = recipe.national,
      doc = "national number or users_export's +1-2025550101; @nil: none" },
    { "extension", doc = "@nil: none" },
    { "email_address", doc = "@nil: none" },
    { "password", path = "new_password", doc = "a new password (new_password)" },
    { "department", virtual = true,
      doc = "a group department name (with service_provider_id, group_id); @nil: none" },
    { "service_provider_id", virtual = true, doc = "the user's service provider (for department)" },
    { "group_id", virtual = true, doc = "the user's group (for department)" },
    { "aliases", path = "sip_alias_list.sip_alias", clear = "sip_alias_list",
      doc = "SIP aliases, ;-separated, replacing the list (up to 3); @nil: none" },
    { "title" }, { "language" }, { "time_zone" },
  },
  ignored = { "phone_number_activated", "in_trunk_group", "reseller_id", "user_external_id",
    "country_code", "national_prefix" },
  prepare = recipe.department("department"),
  example = "scripts/examples/users_modify.csv",
}, arg or { ... })
