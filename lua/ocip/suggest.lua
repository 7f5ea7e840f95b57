-- ocip.suggest: "did you mean" for a mistyped name (request, type or field name).
--   close(word, candidates, n, tie) -> up to n candidates, closest first
--   phrase(names) -> " (did you mean A, B or C?)" or ""
-- Rule: names equal to the word ignoring case and "_" win alone (UserGetRequest23v2 ->
-- UserGetRequest23V2, userid -> user_id); otherwise names that start with the word,
-- contain it, or are within edit distance max(2, #word // 4) of it. Work is bounded:
-- one pass over the candidates, each distance with an early exit, and words longer
-- than MAX_WORD get no suggestion.
local M = {}

local MAX_WORD = 200

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

local function norm(s) return (s:lower():gsub("_", "")) end
M.norm = norm

--- close(word, candidates, n, tie) -> array of up to n names from `candidates` (an
-- array of strings; duplicates are ignored). `tie(a, b)` (optional) orders names of
-- equal closeness (default: by name); `n` defaults to 5.
function M.close(word, candidates, n, tie)
  n = n or 5
  if type(word) ~= "string" or word == "" or #word > MAX_WORD then return {} end
  local w = norm(word)
  local limit = math.max(2, #w // 4)
  local scored, seen, exact = {}, {}, false
  for _, name in ipairs(candidates) do
    if not seen[name] then
      seen[name] = true
      local c = norm(name)
      local d
      if c == w then d = 0; exact = true
      elseif not exact then
        if c:sub(1, #w) == w then d = 0.5 -- the word starts the name (a family's base name)
        elseif c:find(w, 1, true) then d = 1 + (#c - #w) / 100
        else d = distance(w, c, limit) end
      end
      if d and d <= limit then scored[#scored + 1] = { name = name, d = d } end
    end
  end
  tie = tie or function(a, b) return a < b end
  table.sort(scored, function(x, y)
    if x.d ~= y.d then return x.d < y.d end
    if tie(x.name, y.name) then return true end
    if tie(y.name, x.name) then return false end
    return x.name < y.name
  end)
  local out = {}
  for i = 1, #scored do
    if #out == n or (exact and scored[i].d > 0) then break end
    out[#out + 1] = scored[i].name
  end
  return out
end

--- phrase(names) -> " (did you mean A?)", " (did you mean A or B?)", ... or "" for none
function M.phrase(names)
  if not names or #names == 0 then return "" end
  if #names == 1 then return " (did you mean " .. names[1] .. "?)" end
  return " (did you mean " .. table.concat(names, ", ", 1, #names - 1) .. " or " .. names[#names] .. "?)"
end

return M
