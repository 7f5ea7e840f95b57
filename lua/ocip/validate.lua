-- ocip.validate: checks a request against the catalog before anything is sent and
-- normalises it into a request object (XML names, typed values) for the encoder.
--
-- Per type a *plan* is compiled once and cached: key -> field map (snake and XML
-- names), elements in schema order, the required fields of a plain sequence or the
-- group tree when the model has choices/optional groups, and one checker closure
-- per simple type (enum set, facets, patterns).
--
-- Decisions (documented in docs/INTERNALS.md too):
-- * keys: snake_case or exact XML name; giving both for one field is an error.
-- * list fields take an array; a single non-table value (or, for lists of complex
--   type, a single record) is accepted as a one-item list. An empty array = absent.
-- * string fields accept numbers, converted exactly (integers as %d, floats with
--   the shortest round-tripping %g); int fields accept integers, integral floats and
--   decimal integer strings; booleans only true/false.
-- * ocip.NIL on a nillable field sends xsi:nil. On an abstract-typed field it is sent
--   with the xsi:type of the first concrete type (by name): the content is empty, so
--   the choice carries no meaning; `{ _type = "X", _nil = true }` picks one explicitly.
-- * abstract types: `_type` must name a concrete type deriving from the declared one;
--   without `_type` it is inferred when one concrete type exists or exactly one
--   concrete type has every given field.
--
-- Problems: a request is checked first in a *fast* mode that stops at the first
-- problem (it only raises RETRY, nothing is collected), so valid requests pay nothing
-- for reporting. A request with a problem is checked again in *collect* mode with a
-- collector P: every problem is gathered and checking goes on, each one tagged with
-- the schema position of its field; each record sorts its own problems by that
-- position (stable), nested problems staying at their parent field's position;
-- unknown keys come first, sorted (a typo there often explains a "required" problem
-- below it). The result is the same on every run, whatever the table iteration
-- order. A value found bad in collect mode is stored as BAD, so that "required" and
-- choice checks still see it as given.
local catalog = require "ocip.catalog"
local core = require "ocip.core"
local Error = require "ocip.error"
local suggest = require "ocip.suggest"
local NIL = require("ocip.sentinel").NIL

local type, next, rawget, tostring, tointeger = type, next, rawget, tostring, math.tointeger
local find, format = string.find, string.format
local pattern_match, xml_text = core.pattern_match, core.xml_text

local M = {}

-- Request objects carry this metatable: the encoder trusts them as validated.
local Request = { __name = "ocip.Request" }
M.Request = Request

local RETRY = setmetatable({}, { __name = "ocip.validate.retry" })
local BAD = setmetatable({}, { __name = "ocip.validate.bad" })

-- fail(P, path, msg): in fast mode (P nil) abandons the check; in collect mode records
-- the problem at the current position P.pos and returns BAD.
local function fail(P, path, msg)
  if not P then error(RETRY, 0) end
  local list = P.list
  local n = #list + 1
  list[n] = { field = path, message = msg }
  P.keys[n] = P.pos
  return BAD
end

-- fail_at(P, f, path, msg): a problem of plan element f found outside its own check
-- (required, choice): recorded at f's schema position.
local function fail_at(P, f, path, msg)
  if P then P.pos = f.index end
  return fail(P, path, msg)
end

-- Sorts the problems a record added since `start` by position (stable), then files
-- them all under the parent's position `saved`.
local function settle(P, start, saved)
  local list, keys = P.list, P.keys
  local n = #list
  if n > start then
    local idx = {}
    for i = start, n do idx[#idx + 1] = i end
    table.sort(idx, function(a, b)
      local ka, kb = keys[a], keys[b]
      if ka ~= kb then return ka < kb end
      return a < b
    end)
    local items = {}
    for j, i in ipairs(idx) do items[j] = list[i] end
    for j = 1, #items do list[start + j - 1] = items[j] end
  end
  for i = start, n do keys[i] = saved end
  P.pos = saved
end

-- Keys of t for which keep(k) is true, in a deterministic order (strings and numbers
-- by value, then other types by their text).
local function sorted_keys(t, keep)
  local ks = {}
  for k in next, t do
    if keep(k) then ks[#ks + 1] = k end
  end
  table.sort(ks, function(a, b)
    local ta, tb = type(a), type(b)
    if ta ~= tb then return ta < tb end
    if ta == "string" or ta == "number" then return a < b end
    return tostring(a) < tostring(b)
  end)
  return ks
end

------------------------------------------------------------------------------
-- simple types
------------------------------------------------------------------------------

-- Exact text of a number for a string field: integers as %d; floats that hold an
-- integer as %d too; others with the shortest %g that reads back the same value.
local function number_text(n)
  local i = tointeger(n)
  if i then return format("%d", i) end
  if n ~= n or n == math.huge or n == -math.huge then return nil end
  for p = 15, 17 do
    local s = format("%." .. p .. "g", n)
    if tonumber(s) == n then return s end
  end
  return format("%.17g", n)
end
M.number_text = number_text

-- A string value quoted for a message: one line, at most 40 characters shown.
local function quoted(v)
  local s = v
  if #v > 40 then
    local cut = 38 -- not inside a UTF-8 sequence
    while cut > 1 and v:byte(cut) & 0xC0 == 0x80 do cut = cut - 1 end
    s = v:sub(1, cut - 1) .. "..."
  end
  return '"' .. s:gsub("[%c\\\"]", function(c) return ("\\%03d"):format(c:byte()) end) .. '"'
end

local function enum_message(enum)
  if #enum <= 12 then
    return "must be one of " .. table.concat(enum, ", ")
  end
  return ("must be one of %d values (see ocip.describe)"):format(#enum)
end

local INT_RANGE = {
  int = { -2147483648, 2147483647 },
  long = { math.mininteger, math.maxinteger },
}

local simple_cache = {}

-- Returns checker(v) -> normalised value, or nil, message.
local function compile_simple(tname)
  local st = catalog.type(tname)
  if not st then error("ocip: catalog has no type " .. tostring(tname)) end
  local prim = st.prim
  local enumset, enum_msg
  if st.enum then
    enumset = {}
    for _, e in ipairs(st.enum) do enumset[e] = true end
    enum_msg = enum_message(st.enum)
  end
  local patterns = st.patterns
  local npat = patterns and #patterns or 0
  local length, minl, maxl = st.length, st.min_length, st.max_length

  if prim == "boolean" then
    return function(v)
      if v == true or v == false then return v end
      if type(v) == "string" then
        return nil, "boolean expected (true or false), got the string " .. quoted(v)
      end
      return nil, "boolean expected (true or false), got " .. type(v)
    end
  end

  if prim == "int" or prim == "long" then
    local range = INT_RANGE[prim]
    local lo, hi = range[1], range[2]
    local mn = st.min_inclusive and tointeger(tonumber(st.min_inclusive))
    local mx = st.max_inclusive and tointeger(tonumber(st.max_inclusive))
    if mn and mn > lo then lo = mn end
    if mx and mx < hi then hi = mx end
    return function(v)
      local n
      local tv = type(v)
      if tv == "number" then
        n = tointeger(v)
        if not n then return nil, "integer expected, got " .. tostring(v) end
      elseif tv == "string" and find(v, "^%s*[-+]?%d+%s*$") then
        n = tointeger(tonumber(v))
        if not n then return nil, "integer out of range: " .. v end
      else
        return nil, "integer expected, got " .. (tv == "string" and quoted(v) or tv)
      end
      if n < lo then return nil, ("less than %d"):format(lo) end
      if n > hi then return nil, ("greater than %d"):format(hi) end
      if enumset or npat > 0 then
        local s = format("%d", n)
        if enumset and not enumset[s] then return nil, enum_msg end
        for i = 1, npat do
          if not pattern_match(patterns[i], s) then
            return nil, ("does not match pattern %s"):format(patterns[i])
          end
        end
      end
      return n
    end
  end

  if prim == "decimal" or prim == "float" then
    local mn = st.min_inclusive and tonumber(st.min_inclusive)
    local mx = st.max_inclusive and tonumber(st.max_inclusive)
    return function(v)
      local n = v
      if type(v) == "string" then n = tonumber(v) end
      if type(n) ~= "number" or n ~= n then
        return nil, "number expected, got " .. type(v)
      end
      if prim == "decimal" and (n == math.huge or n == -math.huge) then
        return nil, "number expected, got " .. tostring(n)
      end
      if mn and n < mn then return nil, "less than " .. st.min_inclusive end
      if mx and n > mx then return nil, "greater than " .. st.max_inclusive end
      return n
    end
  end

  -- string-like: string, normalizedString, token, NMTOKEN, date, dateTime
  local ws = (prim == "string" or st.ws_preserve) and 0 or prim == "normalizedString" and 1 or 2
  local facets = enumset or length or minl or maxl or npat > 0
  return function(v)
    local tv = type(v)
    if tv ~= "string" then
      if tv == "number" then
        v = number_text(v)
        if not v then return nil, "string expected, got a non-finite number" end
      else
        return nil, "string expected, got " .. tv
      end
    end
    local n, cv = xml_text(v, ws)
    if not n then return nil, cv end
    if facets then
      cv = cv or v
      if enumset and not enumset[cv] then return nil, enum_msg end
      if length and n ~= length then
        return nil, ("must be exactly %d characters"):format(length)
      end
      if minl and n < minl then
        return nil, minl == 1 and "must not be empty" or ("shorter than %d characters"):format(minl)
      end
      if maxl and n > maxl then return nil, ("longer than %d characters"):format(maxl) end
      for i = 1, npat do
        if not pattern_match(patterns[i], cv) then
          return nil, ("does not match pattern %s"):format(patterns[i])
        end
      end
    end
    return v
  end
end

local function simple_checker(tname)
  local c = simple_cache[tname]
  if not c then
    c = compile_simple(tname)
    simple_cache[tname] = c
  end
  return c
end
M.simple_checker = simple_checker

------------------------------------------------------------------------------
-- complex types: plans
------------------------------------------------------------------------------

local plans = {}
local get_plan

local function times(a, b)
  local m = a * b
  return m > 0xFFFF and math.huge or m
end

-- `mult`: product of the enclosing groups' max_occurs (an element in a repeated
-- group may occur that many times in all).
local function compile_node(node, plan, mult)
  if node.kind == "element" then
    local st = catalog.type(node.type)
    if not st then error("ocip: catalog has no type " .. tostring(node.type)) end
    local f = {
      kind = "element", xml = node.name, snake = node.snake, tname = node.type,
      list = node.list, min = node.min_occurs, max = times(node.max_occurs, mult),
      nillable = node.nillable, fixed = node.fixed,
      check = st.kind == "simple" and simple_checker(node.type) or nil,
      prim = st.kind == "simple" and st.prim or nil,
    }
    -- the checker alone decides for a single simple value without a fixed value
    if f.check and not f.list and not f.fixed then f.fast = f.check end
    if plan.by_key[f.xml] then
      -- the same element name in several branches (or a base and a choice):
      -- the encoder walks the model tree to emit it once, in the chosen branch
      plan.dups = true
    else
      plan.by_key[f.xml] = f
      plan.by_key[f.snake] = f
    end
    f.index = #plan.order + 1 -- schema position: orders problems
    plan.order[f.index] = f
    return f
  end
  local g = { kind = node.kind, min = node.min_occurs, max = node.max_occurs, items = {}, keys = {} }
  local emptiable = node.kind == "sequence"
  local inner = times(mult, node.max_occurs)
  for i, item in ipairs(node.items) do
    local c = compile_node(item, plan, inner)
    g.items[i] = c
    if c.kind == "element" then
      g.keys[#g.keys + 1] = c.xml
    else
      for _, k in ipairs(c.keys) do g.keys[#g.keys + 1] = k end
    end
    local c_empty = c.min == 0 or (c.kind ~= "element" and c.emptiable)
    if node.kind == "sequence" then
      emptiable = emptiable and c_empty
    elseif c_empty then
      emptiable = true
    end
  end
  g.emptiable = emptiable
  g.keyset = {}
  for _, k in ipairs(g.keys) do g.keyset[k] = true end
  if node.kind ~= "sequence" or node.min_occurs == 0 then plan.simple = false end
  return g
end

local function compile_plan(tname)
  local t = catalog.type(tname)
  if not t or t.kind ~= "complex" then return nil end
  local plan = {
    name = tname, abstract = t.abstract, subs = t.subs or {}, subset = {},
    by_key = {}, order = {}, simple = true, role = t.role,
  }
  for _, s in ipairs(plan.subs) do plan.subset[s] = true end
  if t.content then
    plan.tree = compile_node(t.content, plan, 1)
    for _, it in ipairs(plan.tree.items or {}) do
      if it.kind ~= "element" then plan.simple = false end
    end
  end
  if plan.simple then
    local req = {}
    for _, f in ipairs(plan.order) do
      if f.min > 0 then req[#req + 1] = f end
    end
    plan.required = req
  end
  -- A constructor that pre-sizes the record's hash part (nil fields in a table
  -- constructor only size it), sparing the rehashes of a growing table.
  local slots = {}
  for i = 1, math.min(#plan.order, 63) do slots[i] = "s" .. i .. "=nil" end
  plan.new = load("local t = ... return function(n) return { _type = n, "
    .. table.concat(slots, ",") .. " } end", "=plan", "t")()
  -- tag per element, precomputed for the encoder
  for _, f in ipairs(plan.order) do
    f.open = "<" .. f.xml .. ">"
    f.close = "</" .. f.xml .. ">"
    f.nil_tag = "<" .. f.xml .. ' xsi:nil="true"/>'
  end
  return plan
end

function get_plan(tname)
  local p = plans[tname]
  if p == nil then
    p = compile_plan(tname) or false
    plans[tname] = p
  end
  return p or nil
end
M.plan = get_plan

------------------------------------------------------------------------------
-- checking values
------------------------------------------------------------------------------

local validate_record

local function join(path, name) return path .. "." .. name end

local function present(node, out)
  if node.kind == "element" then return out[node.xml] ~= nil end
  local keys = node.keys
  for i = 1, #keys do
    if out[keys[i]] ~= nil then return true end
  end
  return false
end

local function branch_names(node)
  if node.kind == "element" then return node.snake end
  local names = {}
  for _, it in ipairs(node.items) do names[#names + 1] = branch_names(it) end
  return "(" .. table.concat(names, " + ") .. ")"
end

local function first_element(node)
  while node.kind ~= "element" do node = node.items[1] end
  return node
end

-- Elements that must be present for a branch to be complete (its own sequence level).
local function complete(b, out)
  if b.kind == "element" then return out[b.xml] ~= nil end
  if b.kind == "choice" then return present(b, out) end
  for _, it in ipairs(b.items) do
    if it.min > 0 and not complete(it, out) then return false end
  end
  return true
end

--- choose(choice, out) -> the branch the given keys select, or nil plus `true` when
-- keys were given but no single branch holds them all. A key may belong to several
-- branches (userId in two branches of AuthenticationVerifyRequest22V4): the branch
-- must hold every given key of the choice; among several, the first complete one.
local function choose(node, out)
  local items = node.items
  local given = false
  local fit, fit_count, first_fit = nil, 0, nil
  for _, b in ipairs(items) do
    if present(b, out) then given = true end
  end
  if not given then return nil, false end
  local all = node.keys
  for _, b in ipairs(items) do
    local ks = b.keyset
    local ok = true
    for i = 1, #all do
      local k = all[i]
      if out[k] ~= nil and not (ks and ks[k] or b.xml == k) then ok = false break end
    end
    if ok then
      fit_count = fit_count + 1
      first_fit = first_fit or b
      if not fit and complete(b, out) then fit = b end
    end
  end
  if fit_count == 0 then return nil, true end
  return fit or first_fit, true
end
M.choose = choose

local function branch_list(node)
  local all = {}
  for _, b in ipairs(node.items) do all[#all + 1] = branch_names(b) end
  return table.concat(all, " | ")
end

-- Repeated groups holding sub-groups cannot be told apart per occurrence from a
-- keyed table; none exist in R25. Refuse rather than guess.
local function check_repeated(node, _, path, P)
  return fail_at(P, first_element(node), path,
    "repeated group of groups is not supported (" .. branch_list(node) .. ")")
end

local function check_group(node, out, path, P)
  if node.kind == "sequence" then
    local items = node.items
    for i = 1, #items do
      local ch = items[i]
      if ch.kind == "element" then
        if ch.min > 0 and out[ch.xml] == nil then fail_at(P, ch, join(path, ch.snake), "required field missing") end
      elseif ch.min > 0 or present(ch, out) then
        check_group(ch, out, path, P)
      end
    end
    return
  end
  if node.max > 1 then
    -- a repeated choice (e.g. phoneNumber | userId up to 10 times): branches mix;
    -- only the total number of occurrences is bounded
    local total = 0
    for _, b in ipairs(node.items) do
      if b.kind ~= "element" then return check_repeated(node, out, path, P) end
      local v = out[b.xml]
      if v ~= nil then total = total + (b.list and type(v) == "table" and #v or 1) end
    end
    if total > node.max then
      fail_at(P, first_element(node), path,
        ("choice: at most %d items in all of %s, got %d"):format(node.max, branch_list(node), total))
    elseif total < node.min then
      local f = first_element(node)
      fail_at(P, f, join(path, f.snake), "required: one of " .. branch_list(node))
    end
    return
  end
  local chosen, given = choose(node, out)
  if chosen then
    if chosen.kind ~= "element" then check_group(chosen, out, path, P) end
  elseif given then
    local names = {}
    for _, b in ipairs(node.items) do
      if present(b, out) then names[#names + 1] = branch_names(b) end
    end
    fail_at(P, first_element(node), path,
      "choice: give only one of " .. branch_list(node) .. " (got " .. table.concat(names, ", ") .. ")")
  elseif node.min > 0 and not node.emptiable then
    local f = first_element(node)
    fail_at(P, f, join(path, f.snake), "required: one of " .. branch_list(node))
  end
end

-- "path.field" or "path.field[i]" for list items
local function fpath(path, f, idx)
  if idx then return path .. "." .. f.snake .. "[" .. idx .. "]" end
  return path .. "." .. f.snake
end

-- true when `t` gives every required element of plan `sp` (by XML or snake name); only
-- the elements directly in its sequence count (a required choice is not looked into).
local function requires_given(sp, t)
  local req = sp.required
  if not req then
    req = {}
    for _, it in ipairs(sp.tree and sp.tree.items or {}) do
      if it.kind == "element" and it.min > 0 then req[#req + 1] = it end
    end
  end
  for i = 1, #req do
    local f = req[i]
    if t[f.xml] == nil and t[f.snake] == nil then return false end
  end
  return true
end

-- Resolves the concrete plan for a complex value of declared plan `plan`, or nil
-- (collect mode) after recording why not.
local function concrete(plan, t, path, P)
  local ty = rawget(t, "_type")
  if ty ~= nil then
    if ty == plan.name then
      if plan.abstract then
        fail(P, path, ("%s is abstract: set _type to one of %s"):format(ty, table.concat(plan.subs, ", ")))
        return nil
      end
      return plan
    end
    if not plan.subset[ty] then
      fail(P, path, ("_type %s is not a concrete type deriving from %s"):format(tostring(ty), plan.name))
      return nil
    end
    return get_plan(ty)
  end
  if not plan.abstract then return plan end
  local subs = plan.subs
  if #subs == 1 then return get_plan(subs[1]) end
  -- infer from field names: the only concrete type that knows every given key; when
  -- several know them, the only one of those whose required fields are all given
  local fits = {}
  for _, s in ipairs(subs) do
    local sp = get_plan(s)
    local ok = true
    for k in next, t do
      if k ~= "_type" and k ~= "_nil" and not sp.by_key[k] then ok = false break end
    end
    if ok then fits[#fits + 1] = sp end
  end
  if #fits == 1 then return fits[1] end
  local found
  for _, sp in ipairs(fits) do
    if requires_given(sp, t) then
      if found then found = nil break end
      found = sp
    end
  end
  if found then return found end
  fail(P, path, ("%s is abstract: set _type to one of %s"):format(plan.name, table.concat(subs, ", ")))
  return nil
end

local function check_one(f, v, path, idx, P)
  local check = f.check
  if v == NIL then
    if not f.nillable then return fail(P, fpath(path, f, idx), "not nillable: ocip.NIL is not allowed") end
    if check then return NIL end
    local p = get_plan(f.tname)
    if p.abstract then
      if not p.subs[1] then return fail(P, fpath(path, f, idx), p.name .. " has no concrete type") end
      return { _type = p.subs[1], _nil = true }
    end
    return NIL
  end
  if check then
    local nv, msg = check(v)
    if nv == nil then return fail(P, fpath(path, f, idx), msg) end
    if f.fixed and tostring(nv) ~= f.fixed then
      return fail(P, fpath(path, f, idx), "must be " .. f.fixed .. " (fixed)")
    end
    return nv
  end
  local sub = fpath(path, f, idx)
  if type(v) ~= "table" then return fail(P, sub, "table expected, got " .. type(v)) end
  if rawget(v, "_nil") == true then
    if not f.nillable then return fail(P, sub, "not nillable: _nil is not allowed") end
    local p = concrete(get_plan(f.tname), v, sub, P)
    if not p then return BAD end
    local extra = sorted_keys(v, function(k) return k ~= "_type" and k ~= "_nil" end)
    if extra[1] ~= nil then
      for _, k in ipairs(extra) do fail(P, sub .. "." .. tostring(k), "not allowed with _nil") end
      return BAD
    end
    return { _type = p.name, _nil = true }
  end
  return validate_record(get_plan(f.tname), v, sub, P)
end

local function check_field(f, v, path, P)
  if not f.list then return check_one(f, v, path, nil, P) end
  local arr = v
  if type(v) ~= "table" or v == NIL then
    arr = { v }
  elseif v[1] == nil and next(v) ~= nil then
    -- a single record for a list of complex type; a non-array for a simple list is an error
    if f.check then return fail(P, fpath(path, f), "array expected, got a table with non-integer keys") end
    arr = { v }
  end
  local n = #arr
  if n == 0 then return nil end
  local count, odd = 0, false
  for k in next, arr do
    count = count + 1
    if math.type(k) ~= "integer" then odd = true end
  end
  if odd then
    local ks = sorted_keys(arr, function(k) return math.type(k) ~= "integer" end)
    return fail(P, fpath(path, f), "array expected, got key " .. tostring(ks[1]))
  end
  if count ~= n then return fail(P, fpath(path, f), "array expected (holes or extra keys)") end
  if n < f.min then return fail(P, fpath(path, f), ("at least %d items required, got %d"):format(f.min, n)) end
  if n > f.max then return fail(P, fpath(path, f), ("at most %d items allowed, got %d"):format(f.max, n)) end
  local out = {}
  for i = 1, n do out[i] = check_one(f, arr[i], path, i, P) end
  return out
end

local SKIP = { _type = true, _echo = true, _nil = true }

-- "unknown field userid (did you mean user_id?)"
local function unknown_field(plan, k)
  local msg = "unknown field " .. tostring(k)
  if type(k) ~= "string" then return msg end
  local names = plan.snake_names
  if not names then
    names = {}
    for _, f in ipairs(plan.order) do names[#names + 1] = f.snake end
    plan.snake_names = names
  end
  return msg .. suggest.phrase(suggest.close(k, names, 3))
end

-- Collect mode: unknown keys, fields in schema order, then the group checks.
local function collect_record(plan, t, path, P)
  local saved, start = P.pos, #P.list + 1
  local out = {}
  local by_key, order = plan.by_key, plan.order
  P.pos = 0
  for _, k in ipairs(sorted_keys(t, function(k) return not by_key[k] and not SKIP[k] end)) do
    fail(P, join(path, tostring(k)), unknown_field(plan, k))
  end
  for i = 1, #order do
    local f = order[i]
    if by_key[f.xml] == f then -- an element name repeated in another branch is checked once
      P.pos = i
      local vx = rawget(t, f.xml)
      local vs = nil -- not `a and b or nil`: that loses a false value
      if f.snake ~= f.xml then vs = rawget(t, f.snake) end
      if vx ~= nil and vs ~= nil then
        out[f.xml] = fail(P, join(path, f.snake), ("given twice (as %s and %s)"):format(f.snake, f.xml))
      elseif vx ~= nil or vs ~= nil then
        local v = vx
        if v == nil then v = vs end
        out[f.xml] = check_field(f, v, path, P)
      end
    end
  end
  local req = plan.required
  if req then
    for i = 1, #req do
      local f = req[i]
      if out[f.xml] == nil then fail_at(P, f, join(path, f.snake), "required field missing") end
    end
  elseif plan.tree then
    check_group(plan.tree, out, path, P)
  end
  settle(P, start, saved)
  return #P.list >= start and BAD or out
end

function validate_record(plan, t, path, P)
  plan = concrete(plan, t, path, P)
  if not plan then return BAD end
  if P then return collect_record(plan, t, path, P) end
  local out = plan.new(plan.name)
  local by_key = plan.by_key
  for k, v in next, t do
    local f = by_key[k]
    if f then
      local xml = f.xml
      if out[xml] ~= nil then error(RETRY, 0) end -- given twice
      local fast = f.fast
      if fast and v ~= NIL then
        -- fast path: a single simple value (most fields)
        local nv = fast(v)
        if nv == nil then error(RETRY, 0) end
        out[xml] = nv
      else
        local nv = check_field(f, v, path)
        -- an empty list is absent: it still counts as given when the other name of
        -- the field is given too (collect mode reports "given twice")
        if nv == nil and f.snake ~= xml and rawget(t, k == xml and f.snake or xml) ~= nil then
          error(RETRY, 0)
        end
        out[xml] = nv
      end
    elseif not SKIP[k] then
      error(RETRY, 0) -- unknown field
    end
  end
  local req = plan.required
  if req then
    for i = 1, #req do
      if out[req[i].xml] == nil then error(RETRY, 0) end
    end
  elseif plan.tree then
    check_group(plan.tree, out, path)
  end
  return out
end

-- Summary of a problem list on one line: the only problem as "field: message", or
-- "N problems: f1: m1; f2: m2; ..." (the first MESSAGE_MAX of them).
local MESSAGE_MAX = 10
local function summary(problems)
  local n = #problems
  if n == 1 then return problems[1].field .. ": " .. problems[1].message end
  local parts = {}
  for i = 1, math.min(n, MESSAGE_MAX) do parts[i] = problems[i].field .. ": " .. problems[i].message end
  local text = ("%d problems: %s"):format(n, table.concat(parts, "; "))
  if n > MESSAGE_MAX then text = text .. ("; and %d more"):format(n - MESSAGE_MAX) end
  return text
end

--- error(command, problems) -> the validation error for a non-empty problem list
-- ({ field =, message = } each): field = the first one's, message = summary(problems).
function M.error(command, problems)
  return Error.new("validation", summary(problems),
    { field = problems[1].field, command = command, problems = problems })
end

-- The validation error of a failed request: every problem, in schema order.
local function problems_error(name, fields, plan)
  local P = { list = {}, keys = {}, pos = 0 }
  local echo = rawget(fields, "_echo")
  if echo ~= nil and type(echo) ~= "string" then fail(P, name .. "._echo", "string expected, got " .. type(echo)) end
  P.pos = 1
  validate_record(plan, fields, name, P)
  if #P.list == 0 then error("ocip.validate: " .. name .. " failed without a problem (bug)", 0) end
  return M.error(name, P.list)
end

--- request(name, fields) -> request object (metatable Request), or nil, err.
-- err.problems: every problem found, { field = "Req.path", message = "..." } each, in
-- schema order (unknown keys first, sorted); err.field is the first one's path.
function M.request(name, fields)
  local plan = type(name) == "string" and get_plan(name)
  if not plan or plan.role ~= "request" then
    return nil, catalog.unknown_request(name)
  end
  if fields == nil then fields = {} end
  if type(fields) ~= "table" then
    local msg = "table of fields expected, got " .. type(fields)
    return nil, Error.new("validation", name .. ": " .. msg,
      { field = name, command = name, problems = { { field = name, message = msg } } })
  end
  if getmetatable(fields) == Request and fields._type == name then return fields end
  local ok, out = pcall(validate_record, plan, fields, name)
  local echo = rawget(fields, "_echo")
  if not ok or (echo ~= nil and type(echo) ~= "string") then
    if ok or out == RETRY then return nil, problems_error(name, fields, plan) end
    error(out, 0)
  end
  if out._type ~= name then
    local msg = "_type " .. tostring(fields._type) .. " does not match"
    return nil, Error.new("validation", name .. ": " .. msg,
      { field = name, command = name, problems = { { field = name, message = msg } } })
  end
  if echo ~= nil then out._echo = echo end
  return setmetatable(out, Request)
end

return M
