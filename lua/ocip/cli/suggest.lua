-- ocip.cli.suggest: close matches for a mistyped request or type name.
--   suggest.names(word, n) -> up to n names (requests first, then other types)
local core = require "ocip.core"

local M = {}

-- Levenshtein distance with an early exit once every cell of a row exceeds `limit`.
local function distance(a, b, limit)
  if math.abs(#a - #b) > limit then return limit + 1 end
  local prev = {}
  for j = 0, #b do prev[j] = j end
  for i = 1, #a do
    local cur, best = { [0] = i }, i
    local ai = a:byte(i)
    for j = 1, #b do
      local cost = ai == b:byte(j) and 0 or 1
      local v = math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
      cur[j] = v
      if v < best then best = v end
    end
    if best > limit then return limit + 1 end
    prev = cur
  end
  return prev[#b]
end
M.distance = distance

-- "UserGetRequest22V5" -> "UserGetRequest", 22, 5 ("14sp4" -> 14, 4; no suffix -> 0);
-- a name without a trailing version -> name, -1, 0.
local function version_key(name)
  local base, major, minor = name:match("^(.-%a)(%d+)%a*(%d*)$")
  if not base then return name, -1, 0 end
  return base, tonumber(major), tonumber(minor) or 0
end
M.version_key = version_key

function M.names(word, n)
  n = n or 5
  local lw = tostring(word):lower()
  local limit = math.max(2, #lw // 4)
  local scored = {}
  local seen = {}
  local function consider(name)
    if seen[name] then return end
    seen[name] = true
    local ln = name:lower()
    local base, major, minor = version_key(name)
    local d
    if ln == lw then d = 0
    elseif major >= 0 and ln:sub(1, #lw) == lw and lw:sub(1, #base) == base:lower() then
      d = 0.5 -- the typed base name (maybe with part of a version): every version of it
    elseif ln:find(lw, 1, true) then d = 1 + (#ln - #lw) / 100
    else d = distance(lw, ln, limit) end
    if d <= limit then
      scored[#scored + 1] = { name = name, d = d, base = base, major = major, minor = minor }
    end
  end
  for _, name in ipairs(core.catalog_requests()) do consider(name) end
  local ok, types = pcall(core.catalog_find_types, "")
  if ok and type(types) == "table" then
    for _, name in ipairs(types) do
      if type(name) == "string" and not name:find("[.@:]") then consider(name) end
    end
  end
  -- closest first; among versions of one base name the newest first (23V2, 23, 22V5, ...)
  table.sort(scored, function(x, y)
    if x.d ~= y.d then return x.d < y.d end
    if x.base == y.base then
      if x.major ~= y.major then return x.major > y.major end
      if x.minor ~= y.minor then return x.minor > y.minor end
    end
    return x.name < y.name
  end)
  local out = {}
  for i = 1, math.min(n, #scored) do out[i] = scored[i].name end
  return out
end

return M
