-- A schema-valid answer for any request, built from the catalog: SuccessResponse,
-- or the request's data response with every required element filled with a value
-- that satisfies its facets (enums, lengths, ranges, patterns). Handlers use
-- `fill` too, overlaying their state on top of the minimal response.
local core = require "ocip.core"
local schema = require "ocip.sim.schema"

local M = {}

-- Candidates tried in order for patterned strings; the first that matches every
-- pattern and the length facets wins.
local CANDIDATES = {
  "1", "x", "a", "A", "01", "100", "1234", "2025550100", "+1-2025550100", "user@example.net",
  "sip:user@example.net", "example.net", "www.example.net", "127.0.0.1", "00:00", "00:00:00",
  "001122334455", "00:11:22:33:44:55", "2024-01-01", "2024-01-01T00:00:00", "0", "x.wav",
  "http://example.net/", "*1", "#", "1-1", "a1", "aaaa", "1.0", "US", "en_US", "MON",
  "ISO-8859-1", "PT1M", "urn:x", "tel:+12025550100", "12:00", "20240101", "1:1", "abc.def",
}

local function length_ok(t, s)
  local n = utf8.len(s) or #s
  if t.length and n ~= t.length then return false end
  if t.min_length and n < t.min_length then return false end
  if t.max_length and n > t.max_length then return false end
  return true
end

local function patterns_ok(t, s)
  for _, p in ipairs(t.patterns or {}) do
    if not core.pattern_match(p, s) then return false end
  end
  return true
end

local NUMERIC = { int = true, long = true, decimal = true, float = true }

local simple_cache = {}

--- generic.simple(type_name) -> a value valid for the simple type
function M.simple(tname)
  local v = simple_cache[tname]
  if v ~= nil then return v end
  local t = schema.type(tname) or { prim = "string" }
  if tname == "xs:base64Binary" then
    v = "AAAA"
  elseif t.enum and t.enum[1] then
    v = t.enum[1]
  elseif t.prim == "boolean" then
    v = false
  elseif NUMERIC[t.prim] then
    local lo, hi = tonumber(t.min_inclusive), tonumber(t.max_inclusive)
    local n = lo or (hi and math.min(hi, 1)) or 1
    if t.prim == "int" or t.prim == "long" then n = math.tointeger(n) or math.floor(n) end
    if t.patterns then -- patterned numbers ("0|15|30|45"): first in-range candidate that fits
      for _, c in ipairs { n, 0, 1, 2, 5, 10, 15, 30, 60, 100, 1000 } do
        if (not lo or c >= lo) and (not hi or c <= hi) and patterns_ok(t, tostring(c)) then
          n = c break
        end
      end
    end
    v = n
  elseif t.prim == "dateTime" then
    v = "2024-01-01T00:00:00"
  elseif t.prim == "date" then
    v = "2024-01-01"
  else
    local want = t.length or math.max(t.min_length or 1, 1)
    local plain = string.rep("x", want)
    if not t.patterns and length_ok(t, plain) then
      v = plain
    else
      for _, c in ipairs(CANDIDATES) do
        if length_ok(t, c) and patterns_ok(t, c) then v = c break end
      end
      if not v then
        for n = 1, 8 do
          for _, d in ipairs { string.rep("1", n), string.rep("a", n), string.rep("A", n) } do
            if not v and length_ok(t, d) and patterns_ok(t, d) then v = d end
          end
        end
      end
      v = v or plain
    end
  end
  simple_cache[tname] = v
  return v
end

local fill

--- generic.repeated(element, value) -> array of min_occurs values (enums cycle so
--- that repeated entries stay distinct)
function M.repeated(e, v)
  local n = math.max(e.min or 1, 1)
  local t = e.simple and schema.type(e.type)
  local out = {}
  for i = 1, n do
    if t and t.enum then out[i] = t.enum[(i - 1) % #t.enum + 1] else out[i] = v end
  end
  return out
end

-- A value for element e (depth-bounded for recursive types).
local function value_for(e, depth)
  if e.fixed then return e.fixed end
  if e.simple then return M.simple(e.type) end
  if e.table then return { headings = e.columns or { "Name" }, rows = {} } end
  local tname = e.type
  local t = schema.type(tname)
  if t and t.abstract then
    tname = t.subs and t.subs[1]
    if not tname then return nil end
    local v = fill(tname, nil, depth + 1)
    v._type = tname
    return v
  end
  return fill(tname, nil, depth + 1)
end

--- generic.fill(type_name, overrides?) -> table with every required element present
function fill(tname, overrides, depth)
  depth = depth or 0
  local out = {}
  if overrides then for k, v in pairs(overrides) do out[k] = v end end
  out._type = out._type or tname
  local plan = schema.plan(tname)
  if not plan or depth > 12 then return out end
  for _, e in ipairs(plan.required) do
    if out[e.name] == nil and not e.choice then
      local v = value_for(e, depth)
      if e.list then v = M.repeated(e, v) end
      out[e.name] = v
    end
  end
  -- required choices nobody answered: fill the first branch's required elements
  -- (nothing when some branch may be empty)
  for _, c in ipairs(plan.choices) do
    local answered = false
    for _, name in ipairs(c.names) do
      if out[name] ~= nil then answered = true break end
    end
    if not answered and not c.emptiable then
      for _, be in ipairs(c.first_required) do
        local v = value_for(be, depth)
        if be.list then v = M.repeated(be, v) end
        out[be.name] = v
      end
    end
  end
  return out
end
M.fill = fill

local answers = {}

--- generic.answer(request_name) -> response table (cached per request name)
function M.answer(name)
  local a = answers[name]
  if a then return a end
  local rname = schema.response_of(name) or "SuccessResponse"
  if rname == "SuccessResponse" then
    a = { _type = "SuccessResponse" }
  else
    a = fill(rname)
  end
  answers[name] = a
  return a
end

return M
