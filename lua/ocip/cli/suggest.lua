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
    local d
    if ln == lw then d = 0
    elseif ln:find(lw, 1, true) then d = 1 + (#ln - #lw) / 100
    else d = distance(lw, ln, limit) end
    if d <= limit then scored[#scored + 1] = { name = name, d = d } end
  end
  for _, name in ipairs(core.catalog_requests()) do consider(name) end
  local ok, types = pcall(core.catalog_find_types, "")
  if ok and type(types) == "table" then
    for _, name in ipairs(types) do
      if type(name) == "string" and not name:find("[.@:]") then consider(name) end
    end
  end
  table.sort(scored, function(x, y)
    if x.d ~= y.d then return x.d < y.d end
    return x.name < y.name
  end)
  local out = {}
  for i = 1, math.min(n, #scored) do out[i] = scored[i].name end
  return out
end

return M
