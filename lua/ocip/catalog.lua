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

--- suggest(word, n) -> up to n (default 5) request names close to `word` (ocip.suggest's
-- rule), the newest version of a family first.
function M.suggest(word, n)
  return require("ocip.suggest").close(word, requests(), n)
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
-- used inline as arguments). Unknown names give nil. pairs() lists every request.
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
    if not M.is_request(name) then return nil end
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
