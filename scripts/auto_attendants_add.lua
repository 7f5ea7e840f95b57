-- auto_attendants_add: add auto attendants, with their menus, from a CSV file
--   ocip run auto_attendants_add AUTO_ATTENDANTS.csv [--dry-run] [--report FILE] [flags]
-- One GroupAutoAttendantAddInstanceRequest20 per row. Menus in one cell each:
-- "0=Transfer To Operator:2025550100; 1=Transfer Without Prompt:7001; 9=Repeat Menu".
-- An auto attendant already there is outcome "exists" (not a failure).
local recipe = require "ocip.bulk.recipe"
local menus = require "ocip.bulk.menus"

local P = "service_instance_profile"
local MENUS = { business_hours_keys = "business_hours_menu", after_hours_keys = "after_hours_menu",
  holiday_keys = "holiday_menu" }

-- menu cells -> menus; schedule names -> schedules
local function prepare(fields, extra)
  for col, menu in pairs(MENUS) do
    if extra[col] then
      local keys, why = menus.keys(extra[col], false)
      if not keys then return col .. ": " .. why end
      fields[menu] = fields[menu] or {}
      fields[menu].key_configuration = keys
    end
    local m = fields[menu]
    if m then
      if m.announcement_selection == nil then m.announcement_selection = "Default" end
      if m.enable_first_menu_level_extension_dialing == nil then
        m.enable_first_menu_level_extension_dialing = false
      end
    end
  end
  if extra.business_hours then fields.business_hours = menus.schedule(extra.business_hours) end
  if extra.holiday_schedule then fields.holiday_schedule = menus.schedule(extra.holiday_schedule) end
end

recipe.run({
  name = "auto_attendants_add",
  summary = "add auto attendants with their menus; one already there is \"exists\", not a failure",
  request = "GroupAutoAttendantAddInstanceRequest20",
  columns = recipe.columns(recipe.GROUP, {
    { "service_user_id", required = true, doc = "the auto attendant's user id (aa-main@example.net)" },
  }, recipe.profile(P, true), {
    { "type", doc = "Basic or Standard" },
    { "business_hours_keys", virtual = true,
      doc = "business hours menu: KEY=ACTION[:NUMBER];... (0=Transfer To Operator:7000)" },
    { "after_hours_keys", virtual = true, doc = "after hours menu, the same way" },
    { "holiday_keys", virtual = true, doc = "holiday menu, the same way" },
    { "business_hours", virtual = true, doc = "a time schedule name (group level; \"Service Provider:NAME\")" },
    { "holiday_schedule", virtual = true, doc = "a holiday schedule name, the same way" },
    { "first_digit_timeout_seconds" }, { "extension_dialing_scope" }, { "name_dialing_scope" },
  }),
  prepare = { recipe.department(P .. ".department"), prepare },
  defaults = {
    { P .. ".calling_line_id_last_name", from = P .. ".name" },
    { P .. ".calling_line_id_first_name", from = P .. ".name" },
    { "type", "Basic" }, { "first_digit_timeout_seconds", 1 }, { "enable_video", false },
    { "extension_dialing_scope", "Group" }, { "name_dialing_scope", "Group" },
    { "name_dialing_entries", "LastName + FirstName" },
  },
  notes = [[
menu actions: Transfer With Prompt, Transfer Without Prompt, Transfer To Operator,
  Name Dialing, Extension Dialing, Repeat Menu, Exit, Transfer To Mailbox,
  Transfer To Submenu (target: the submenu id), Return to Previous Menu, Play Announcement]],
  key = "service_user_id",
  codes = recipe.EXISTS,
  example = "scripts/examples/auto_attendants_add.csv",
}, arg or { ... })
