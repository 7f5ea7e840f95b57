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
local family_of, key_of = {}, {} -- caches: request name -> family, version key

-- version(name) -> family, key: a number, larger = newer: the fields class (0 no
-- suffix, 1 numbered, 2 RI), release, sp, mp, V, A, two decimal digits each. A suffix
-- that does not parse (or a number >= 100) makes the name a family of its own.
local function version(name)
  local fam = family_of[name]
  if fam then return fam, key_of[name] end
  local base, suffix = name:match("^(.*Request)(.*)$")
  local key
  if not base then
    base, key = name, 0
  elseif suffix == "" then
    key = 0
  elseif suffix == "RI" then
    key = 2e10
  else
    local major, r = suffix:match("^(%d+)(.*)$")
    if major then
      local sp, mp, rv, a = 0, 0, 0, 0
      local n, rest = r:match("^sp(%d+)(.*)$")
      if n then sp, r = tonumber(n), rest end
      n, rest = r:match("^[mM]p(%d+)(.*)$")
      if n then mp, r = tonumber(n), rest end
      n, rest = r:match("^V(%d+)(.*)$")
      if n then rv, r = tonumber(n), rest end
      if r == "A" then a, r = 1, "" end
      major = tonumber(major)
      if r == "" and major < 100 and sp < 100 and mp < 100 and rv < 100 then
        key = 1e10 + major * 1e8 + sp * 1e6 + mp * 1e4 + rv * 1e2 + a
      end
    end
    if not key then base, key = name, 0 end
  end
  family_of[name], key_of[name] = base, key
  return base, key
end

--- newer(a, b) -> true when request name a is a newer version of the same family as b
function M.newer(a, b)
  local fa, ka = version(a)
  local fb, kb = version(b)
  return fa == fb and ka > kb
end

-- Order for suggestions: by family name, newest version first.
local function family_order(a, b)
  local fa, ka = version(a)
  local fb, kb = version(b)
  if fa ~= fb then return fa < fb end
  return ka > kb
end

local members_of = {} -- family name -> its requests oldest first, or false

-- members(fam) -> the family's request names oldest first, or nil. They all start
-- with the family name: the catalog finds those by binary search, without listing
-- or parsing every name of the release.
local function members(fam)
  local list = members_of[fam]
  if list == nil then
    list = {}
    for _, n in ipairs(core.catalog_requests(fam)) do
      if version(n) == fam then list[#list + 1] = n end
    end
    table.sort(list, function(a, b) return key_of[a] < key_of[b] end)
    if not list[1] then list = false end
    members_of[fam] = list
  end
  return list or nil
end

-- every family name, sorted (parses every request name: only for suggestions)
local function family_names()
  local seen, out = {}, {}
  for _, n in ipairs(requests()) do
    local fam = version(n)
    if not seen[fam] then seen[fam] = true; out[#out + 1] = fam end
  end
  table.sort(out)
  return out
end

--- family(name) -> family name, array of its requests oldest first; `name` is a
-- request or a family name ("UserGetRequest"). nil when it is neither.
function M.family(name)
  if type(name) ~= "string" then return nil end
  local fam = M.is_request(name) and version(name) or name
  local list = members(fam)
  if not list then return nil end
  return fam, table.move(list, 1, #list, 1, {})
end

--- is_deprecated(name) -> true for a request of the release's deprecated schema files
function M.is_deprecated(name)
  return type(name) == "string" and core.catalog_deprecated(name)
end

-- newest request of a family that is not deprecated, or nil
local function current(list)
  for i = #list, 1, -1 do
    if not M.is_deprecated(list[i]) then return list[i] end
  end
end

--- latest(name) -> the newest request of the family of `name` (a family name such as
-- "UserGetRequest", or any of its requests) that is not deprecated; or nil, err
-- (usage) when the name is unknown (err.suggestions) or every version is deprecated.
function M.latest(name)
  local fam = type(name) == "string" and (M.is_request(name) and version(name) or name)
  local list = fam and members(fam)
  if not list then
    local sg = require "ocip.suggest"
    local close = type(name) == "string" and sg.close(name, family_names(), 3) or {}
    return nil, Error.new("usage", "unknown request family " .. tostring(name) .. sg.phrase(close),
      { command = type(name) == "string" and name or nil, suggestions = close })
  end
  local newest = current(list)
  if newest then return newest end
  return nil, Error.new("usage", ("every version of %s is deprecated (the newest is %s)"):format(fam,
    list[#list]), { command = name, newest = list[#list] })
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
-- Requests also carry family (see version below), versions (how many in the family),
-- latest (catalog.latest of the family, nil when all are deprecated) and deprecated.
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
    if t.role == "request" then
      local fam = version(t.name)
      local list = members(fam)
      d.family, d.versions, d.latest = fam, #list, current(list)
      d.deprecated = M.is_deprecated(t.name) or nil
    end
    if t.content then flatten(t.content, d.fields, d.choices, { required = true }) end
  end
  described[name] = d
  return d
end

--- find(pattern) -> sorted array of request names that contain `pattern`
-- (case-insensitive plain substring) or match it as a Lua pattern; second value:
-- marks, name -> "newest" (the family's latest, when the family has several
-- versions) or "deprecated".
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
  local marks = {}
  for _, name in ipairs(out) do
    if M.is_deprecated(name) then
      marks[name] = "deprecated"
    else
      local list = members((version(name)))
      if #list > 1 and current(list) == name then marks[name] = "newest" end
    end
  end
  return out, marks
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
