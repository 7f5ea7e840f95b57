-- ocip.bulk.menus: auto attendant menus and schedules written in one CSV cell.
--   keys(cell, modify) -> key_configuration list | nil, problem
--     cell: items separated by ";", each KEY=ACTION or KEY=ACTION:TARGET, KEY one of
--     0-9 * #, ACTION an AutoAttendantKeyAction (any case), TARGET the phone number to
--     transfer to, or the submenu id for "Transfer To Submenu":
--       "0=Transfer To Operator:2025550100; 1=Transfer Without Prompt:7001; 9=Repeat Menu"
--     modify: "5=" or "5=@nil" takes key 5 off the menu (entry xsi:nil)
--   schedule(cell) -> { type =, name = }: "Business Hours" (a group schedule) or
--     "Service Provider:Business Hours" / "Group:..." / "User:..."
local catalog = require "ocip.catalog"
local NIL = require("ocip.sentinel").NIL

local M = {}

local actions
local function action(text)
  if not actions then
    actions = {}
    for _, f in ipairs(catalog.describe("AutoAttendantKeyConfigurationEntry20").fields) do
      if f.name == "action" then
        for _, a in ipairs(f.enum) do actions[a:lower()] = a end
      end
    end
  end
  return actions[text:lower():gsub("%s+", " ")]
end

function M.keys(cell, modify)
  local list, seen = {}, {}
  for item in (cell .. ";"):gmatch("([^;]*);") do
    if item:match("%S") then
      local key, rest = item:match("^%s*([%d*#])%s*=%s*(.-)%s*$")
      if not key then
        return nil, ("menu key '%s': expected KEY=ACTION or KEY=ACTION:TARGET (KEY 0-9, * or #)")
          :format(item:match("^%s*(.-)%s*$"))
      end
      if seen[key] then return nil, "menu key " .. key .. " given twice" end
      seen[key] = true
      if rest == "" or rest == "@nil" then
        if not modify then return nil, "menu key " .. key .. ": no action" end
        list[#list + 1] = { key = key, entry = NIL }
      else
        local name, target = rest:match("^([^:]-)%s*:%s*(.*)$")
        name = name or rest
        local a = action(name)
        if not a then
          return nil, ("menu key %s: unknown action '%s'"):format(key, name)
        end
        local entry = { action = a }
        if target and target ~= "" then
          if a == "Transfer To Submenu" then entry.submenu_id = target else entry.phone_number = target end
        end
        list[#list + 1] = { key = key, entry = entry }
      end
    end
  end
  return list
end

local LEVELS = { ["service provider"] = "Service Provider", group = "Group", user = "User" }

function M.schedule(cell)
  local level, name = cell:match("^%s*([%a ]-)%s*:%s*(.-)%s*$")
  if level and LEVELS[level:lower()] then return { type = LEVELS[level:lower()], name = name } end
  return { type = "Group", name = cell }
end

return M
