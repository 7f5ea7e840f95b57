-- auto_attendants_modify: change auto attendants and their menus from a CSV file
--   ocip run auto_attendants_modify AUTO_ATTENDANTS.csv [--dry-run] [--report FILE] [flags]
-- One GroupAutoAttendantModifyInstanceRequest20 per row: only the columns given change.
-- Menu cells change only the keys they name: "1=Transfer Without Prompt:7002; 5=" sets
-- key 1 and takes key 5 off the menu.
local recipe = require "ocip.bulk.recipe"
local menus = require "ocip.bulk.menus"

local P = "service_instance_profile"
local MENUS = { business_hours_keys = "business_hours_menu", after_hours_keys = "after_hours_menu",
  holiday_keys = "holiday_menu" }

local function prepare(fields, extra)
  for col, menu in pairs(MENUS) do
    if extra[col] then
      local keys, why = menus.keys(extra[col], true)
      if not keys then return col .. ": " .. why end
      fields[menu] = fields[menu] or {}
      fields[menu].key_configuration = keys
    end
  end
  for _, col in ipairs { "business_hours", "holiday_schedule" } do
    local v = extra[col]
    if v then fields[col] = v == "@nil" and recipe.NIL or menus.schedule(v) end
  end
end

recipe.run({
  name = "auto_attendants_modify",
  summary = "change auto attendants: only the columns given change; menu cells change the keys they name",
  request = "GroupAutoAttendantModifyInstanceRequest20",
  columns = recipe.columns({
    { "service_user_id", required = true, doc = "the auto attendant to change" },
  }, recipe.profile(P, false), {
    { "service_provider_id", virtual = true, doc = "its service provider (for department)" },
    { "group_id", virtual = true, doc = "its group (for department)" },
    { "business_hours_keys", virtual = true,
      doc = "KEY=ACTION[:NUMBER];... sets those keys; KEY= takes a key off the menu" },
    { "after_hours_keys", virtual = true, doc = "after hours menu, the same way" },
    { "holiday_keys", virtual = true, doc = "holiday menu, the same way" },
    { "business_hours", virtual = true, doc = "a time schedule name; @nil: none (always open)" },
    { "holiday_schedule", virtual = true, doc = "a holiday schedule name; @nil: none" },
    { "first_digit_timeout_seconds" }, { "extension_dialing_scope" }, { "name_dialing_scope" },
  }),
  prepare = { recipe.department(P .. ".department"), prepare },
  key = "service_user_id",
  example = "scripts/examples/auto_attendants_modify.csv",
}, arg or { ... })
