-- ocip.suggest: "did you mean" for a mistyped name (request, type or field name).
--   close(word, candidates, n, tie) -> up to n candidates, closest first
--   phrase(names) -> " (did you mean A, B or C?)" or ""
-- Rule: names equal to the word ignoring case and "_" win alone (UserGetRequest23v2 ->
-- UserGetRequest23V2, userid -> user_id); otherwise names that start with the word,
-- contain it, or are within edit distance max(2, #word // 4) of it. Work is bounded:
-- one pass over the candidates keeping the n best, each distance banded in C with an
-- early exit, and words longer than MAX_WORD get no suggestion.
local M = {}

local MAX_WORD = 200

-- Levenshtein distance of two byte strings, or limit + 1 once it exceeds `limit`
-- (in C: checked against every request name of a release on each typo).
local distance = require("ocip.core").edit_distance
M.distance = distance

local function norm(s) return (s:lower():gsub("_", "")) end
M.norm = norm

-- Candidates are the catalog's names (a fixed set): their normal forms are kept.
local norm_of = setmetatable({}, { __index = function(t, name)
  local c = norm(name)
  t[name] = c
  return c
end })

--- close(word, candidates, n, tie) -> array of up to n names from `candidates` (an
-- array of strings; duplicates are ignored). `tie(a, b)` (optional) orders names of
-- equal closeness (default: by name); `n` defaults to 5.
function M.close(word, candidates, n, tie)
  n = n or 5
  if type(word) ~= "string" or word == "" or #word > MAX_WORD then return {} end
  local w = norm(word)
  local limit = math.max(2, #w // 4)
  tie = tie or function(a, b) return a < b end
  local function better(x, y)
    if x.d ~= y.d then return x.d < y.d end
    if tie(x.name, y.name) then return true end
    if tie(y.name, x.name) then return false end
    return x.name < y.name
  end
  -- the n best, kept in order as the candidates go by (a short word such as "get"
  -- is in thousands of names: sorting them all would cost more than the search)
  local top, seen, exact = {}, {}, false
  for _, name in ipairs(candidates) do
    if not seen[name] then
      seen[name] = true
      local c = norm_of[name]
      local d
      if c == w then d = 0; exact = true
      elseif not exact then
        if c:sub(1, #w) == w then d = 0.5 -- the word starts the name (a family's base name)
        elseif c:find(w, 1, true) then d = 1 + (#c - #w) / 100
        else d = distance(w, c, limit) end
      end
      if d and d <= limit then
        local item = { name = name, d = d }
        if #top < n or better(item, top[#top]) then
          local i = math.min(#top, n - 1)
          while i >= 1 and better(item, top[i]) do top[i + 1] = top[i]; i = i - 1 end
          top[i + 1] = item
          top[n + 1] = nil
        end
      end
    end
  end
  local out = {}
  for i = 1, #top do
    if exact and top[i].d > 0 then break end
    out[#out + 1] = top[i].name
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
