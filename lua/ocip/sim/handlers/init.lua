-- Request name -> stateful handler. Each family file maps Lua patterns over
-- request names (so every version of e.g. UserGetRequestNN lands in one place)
-- to function(ctx, req, name) -> response table. Names no family matches may be
-- the settings of one owner (ocip.sim.handlers.settings); the rest get nil (the
-- generic catalog answer).
local M = {}

local FAMILIES = {
  "ocip.sim.handlers.users", "ocip.sim.handlers.groups", "ocip.sim.handlers.devices",
  "ocip.sim.handlers.services", "ocip.sim.handlers.group_items",
  "ocip.sim.handlers.resellers", "ocip.sim.handlers.admins", "ocip.sim.handlers.numbers",
}

local patterns = {}
for _, mod in ipairs(FAMILIES) do
  for pat, fn in pairs(require(mod)) do patterns[#patterns + 1] = { pat, fn } end
end
-- longest pattern first: the most specific wins, independent of pairs() order
table.sort(patterns, function(a, b)
  if #a[1] ~= #b[1] then return #a[1] > #b[1] end
  return a[1] < b[1]
end)

local resolved = {}
local settings = require "ocip.sim.handlers.settings"

--- handlers.find(request_name) -> handler function or nil
function M.find(name)
  local h = resolved[name]
  if h == nil then
    h = false
    for _, p in ipairs(patterns) do
      if name:find(p[1]) then h = p[2] break end
    end
    if not h then h = settings.find(name) or false end
    resolved[name] = h
  end
  return h or nil
end

return M
