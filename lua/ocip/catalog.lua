-- ocip.catalog: the release's types seen from Lua. Descriptions come from the
-- compiled-in catalog (core.catalog_type) one type at a time, on first use, and
-- are cached: startup never pays for the ~7,000 types of a release.
local core = require "ocip.core"
local Error = require "ocip.error"

local M = {}

local raw = {}        -- type name -> core description, or false when unknown
local materialised = 0

--- type(name) -> the raw (cached) description of a type, or nil when unknown.
-- Shape: { name, kind = "simple"|"complex", abstract, base, prim, length, min_length,
-- max_length, min_inclusive, max_inclusive, enum, patterns, ws_preserve (simple);
-- role, response, subs, content = particle tree (complex) }. Particles:
-- { kind = "element"|"sequence"|"choice", min_occurs, max_occurs, name, snake,
--   type, nillable, list, default, fixed, items, columns }; `columns` (OCITable
-- elements only, when schemas/columns.lua has a hint) is the array of headings.
function M.type(name)
  local t = raw[name]
  if t == nil then
    t = type(name) == "string" and core.catalog_type(name) or false
    raw[name] = t
    if t then materialised = materialised + 1 end
  end
  return t or nil
end

--- stats() -> { types = number of descriptions materialised so far }
function M.stats()
  return { types = materialised }
end

--- release() -> release name, manifest sha256, type count, request count
function M.release()
  return core.catalog_release()
end

local request_names -- sorted array, made on first need
local function requests()
  if not request_names then request_names = core.catalog_requests() end
  return request_names
end
M.requests = requests

------------------------------------------------------------------------------
-- request families and versions
------------------------------------------------------------------------------
-- A request name is FAMILY .. VERSION, FAMILY being the name up to and including its
-- last "Request" (UserGetRequest, UserGetLoginInfoRequest). VERSION, oldest first:
--   ""                the family's first version (no suffix);
--   N[spN][mpN][VN][A] a release number with optional service pack, maintenance
--                     patch ("mp" or "Mp"), revision V and "A" variant, compared
--                     field by field as numbers: 14 < 14sp4 < 14sp9 < 14sp9A < 17 <
--                     17sp4 < 17sp4V2 < 21sp1 < 21sp1V2 < 22 < 22V2 < 23 < 23V2;
--   "RI"              release-independent: the current form, newest of all.
-- A name whose suffix fits none of these is a family of its own.
local version_cache = {}

-- version(name) -> family, key (array compared element by element)
local function version(name)
  local v = version_cache[name]
  if v then return v[1], v[2] end
  local base, suffix = name:match("^(.*Request)(.*)$")
  local key
  if not base then
    base, key = name, { 0 }
  elseif suffix == "" then
    key = { 0 }
  elseif suffix == "RI" then
    key = { 2 }
  else
    local major, rest = suffix:match("^(%d+)(.*)$")
    if major then
      local function take(pat)
        local n, r = rest:match("^" .. pat .. "(%d+)(.*)$")
        if n then rest = r return tonumber(n) end
        return 0
      end
      local sp, mp, rv = take("sp"), take("[mM]p"), take("V")
      local a = 0
      if rest == "A" then a, rest = 1, "" end
      if rest == "" then key = { 1, tonumber(major), sp, mp, rv, a } end
    end
    if not key then base, key = name, { 0 } end
  end
  version_cache[name] = { base, key }
  return base, key
end

local function key_less(a, b)
  for i = 1, math.max(#a, #b) do
    local x, y = a[i] or -1, b[i] or -1
    if x ~= y then return x < y end
  end
  return false
end

--- newer(a, b) -> true when request name a is a newer version of the same family as b
function M.newer(a, b)
  local fa, ka = version(a)
  local fb, kb = version(b)
  return fa == fb and key_less(kb, ka)
end

-- Order for suggestions: by family name, newest version first.
local function family_order(a, b)
  local fa, ka = version(a)
  local fb, kb = version(b)
  if fa ~= fb then return fa < fb end
  return key_less(kb, ka)
end

--- suggest(word, n, types) -> up to n (default 5) request names close to `word`
-- (ocip.suggest's rule), the newest version of a family first; with `types`, the
-- other named types of the catalog are candidates too.
function M.suggest(word, n, types)
  local candidates = requests()
  if types then
    candidates = table.move(candidates, 1, #candidates, 1, {})
    local ok, all = pcall(core.catalog_find_types, "")
    for _, name in ipairs(ok and all or {}) do
      if not name:find("[.@:]") then candidates[#candidates + 1] = name end
    end
  end
  return require("ocip.suggest").close(word, candidates, n, family_order)
end

--- unknown_request(name) -> the usage error for a name that is not a request, with
-- `suggestions` (an array, maybe empty) and the message naming them.
function M.unknown_request(name)
  local close = type(name) == "string" and M.suggest(name, 3) or {}
  local t = type(name) == "string" and M.type(name)
  if t and t.role == "response" then
    -- XResponseN answers XRequestN: that request first
    local req = name:gsub("^(.*)Response", "%1Request")
    if M.is_request(req) then
      for i = #close, 1, -1 do if close[i] == req then table.remove(close, i) end end
      table.insert(close, 1, req)
      close[4] = nil
    end
  end
  local what = t and ("%s is a %s, not a request"):format(name, t.kind == "simple" and "simple type"
    or t.role == "response" and "response" or "data type") or ("unknown request " .. tostring(name))
  return Error.new("usage", what .. require("ocip.suggest").phrase(close),
    { command = type(name) == "string" and name or nil, suggestions = close })
end

--- is_request(name) -> true when name is a request of the release
function M.is_request(name)
  local t = M.type(name)
  return t ~= nil and t.kind == "complex" and t.role == "request"
end

local KIND = { request = "request", response = "response", data = "data", table = "table", base = "data" }

local function facets_of(st)
  return {
    length = st.length, min_length = st.min_length, max_length = st.max_length,
    min_inclusive = st.min_inclusive and (math.tointeger(tonumber(st.min_inclusive)) or tonumber(st.min_inclusive)),
    max_inclusive = st.max_inclusive and (math.tointeger(tonumber(st.max_inclusive)) or tonumber(st.max_inclusive)),
    patterns = st.patterns, -- nil when the type has none
  }
end

-- Flattens the particle tree into fields in schema order. A field is required when
-- its own min_occurs and every enclosing group's is >= 1 and no choice encloses it;
-- fields inside a choice carry the id of their innermost choice.
local function flatten(node, fields, choices, ctx)
  if node.kind == "element" then
    local st = M.type(node.type)
    local f = {
      name = node.snake, xml_name = node.name, type = node.type,
      required = ctx.required and node.min_occurs > 0,
      list = node.list, min_occurs = node.min_occurs, max_occurs = node.max_occurs,
      nillable = node.nillable, default = node.default, fixed = node.fixed,
      choice = ctx.choice, branch = ctx.branch,
    }
    if st and st.kind == "simple" then
      f.prim = st.prim
      f.enum = st.enum
      f.facets = facets_of(st)
    elseif st then
      f.abstract = st.abstract
      f.subs = st.subs
      f.columns = node.columns -- table fields: hinted headings in server order, or nil
    end
    fields[#fields + 1] = f
    return
  end
  local required = ctx.required and node.min_occurs > 0
  if node.kind == "sequence" then
    for _, ch in ipairs(node.items) do
      flatten(ch, fields, choices, { required = required, choice = ctx.choice, branch = ctx.branch })
    end
    return
  end
  local id = #choices + 1
  local ch = { id = id, required = required, branches = {} }
  choices[id] = ch
  for b, item in ipairs(node.items) do
    local first = #fields + 1
    flatten(item, fields, choices, { required = false, choice = id, branch = b })
    local names = {}
    for i = first, #fields do names[#names + 1] = fields[i].name end
    ch.branches[b] = names
  end
end

local described = {}

--- describe(name) -> { name, kind, base, response, abstract, subs, fields = {...},
-- choices = { [id] = { required, branches = { {field names}, ... } } } } or nil, err.
-- A field of type OCITable carries `columns`, its headings in server order (from the
-- catalog's column hints), or nil when unknown.
-- Simple types: { name, kind = "simple", prim, enum, facets }.
function M.describe(name)
  local d = described[name]
  if d then return d end
  local t = M.type(name)
  if not t then
    return nil, Error.new("usage", "unknown type: " .. tostring(name))
  end
  if t.kind == "simple" then
    d = { name = t.name, kind = "simple", base = t.base, prim = t.prim, enum = t.enum, facets = facets_of(t) }
  else
    d = {
      name = t.name, kind = KIND[t.role] or "data", base = t.base, response = t.response,
      abstract = t.abstract, subs = t.subs or {}, fields = {}, choices = {},
    }
    if t.content then flatten(t.content, d.fields, d.choices, { required = true }) end
  end
  described[name] = d
  return d
end

--- find(pattern) -> sorted array of request names that contain `pattern`
-- (case-insensitive plain substring) or match it as a Lua pattern.
function M.find(pattern)
  pattern = tostring(pattern or "")
  local lower = pattern:lower()
  local out = {}
  for _, name in ipairs(requests()) do
    local hit = name:lower():find(lower, 1, true)
    if not hit then
      local ok, r = pcall(string.find, name, pattern)
      hit = ok and r
    end
    if hit then out[#out + 1] = name end
  end
  return out
end

--- build(name, fields) -> validated request object, or nil, err (never raises).
function M.build(name, fields)
  return require("ocip.validate").request(name, fields)
end

-- commands.X{...} -> request object; raises the validation error (constructors are
-- used inline as arguments). An unknown name raises a usage error naming the close
-- requests (a typo is a programming error): test names with catalog.is_request.
-- pairs() lists every request.
local constructors = {}
local function constructor(name)
  local ctor = constructors[name]
  if not ctor then
    local validate = require "ocip.validate"
    ctor = function(fields)
      local req, err = validate.request(name, fields)
      if not req then error(err, 2) end
      return req
    end
    constructors[name] = ctor
  end
  return ctor
end

M.commands = setmetatable({}, {
  __index = function(_, name)
    if constructors[name] then return constructors[name] end
    if not M.is_request(name) then error(M.unknown_request(name), 2) end
    return constructor(name)
  end,
  __newindex = function() error("ocip.commands is read-only", 2) end,
  -- the names come from the request list: no type is materialised while iterating
  __pairs = function(t)
    local names, i = requests(), 0
    return function()
      i = i + 1
      local name = names[i]
      if name then return name, constructor(name) end
    end, t, nil
  end,
})

return M
