-- Turns the parsed XSD trees into the catalog model of runtime/catalog.h:
-- named types (simple and complex), content particles, facets, roles.
local xsd = require "xsd"

local M = {}

-- Built-in XSD types the release uses, with their ocip_prim value.
M.BUILTINS = {
  ["xs:string"] = 0, ["xs:normalizedString"] = 1, ["xs:token"] = 2, ["xs:NMTOKEN"] = 3,
  ["xs:int"] = 4, ["xs:long"] = 5, ["xs:boolean"] = 6, ["xs:decimal"] = 7,
  ["xs:float"] = 8, ["xs:dateTime"] = 9, ["xs:date"] = 10, ["xs:base64Binary"] = 11,
}

-- Core protocol types referenced by role.
local CORE_REQUEST, CORE_RESPONSE, CORE_COMMAND = "OCIRequest", "OCIResponse", "OCICommand"
local CORE_TABLE = "OCITable"

local function fail(fmt, ...) error(string.format(fmt, ...), 0) end

local function occurs(v, dflt)
  if v == nil then return dflt end
  if v == "unbounded" then return 0xFFFF end
  local n = tonumber(v)
  if not n or n < 0 or n >= 0xFFFF or n % 1 ~= 0 then fail("bad occurs value %q", v) end
  return math.tointeger(n)
end

-- A model being built: defs[name] = {name=, kind="simple"|"complex", ...}.
local Builder = {}
Builder.__index = Builder

-- Structural equality, ignoring where a definition came from.
local function same(a, b)
  if type(a) ~= "table" or type(b) ~= "table" then return a == b end
  for k, v in pairs(a) do
    if k ~= "where" and not same(v, b[k]) then return false end
  end
  for k in pairs(b) do
    if k ~= "where" and a[k] == nil then return false end
  end
  return true
end

-- Types live in two namespaces (core "C" and none) but are stored by local name:
-- an identical redefinition (NonEmptyToken) is harmless, a different one is fatal.
function Builder:define(def, where)
  local old = self.defs[def.name]
  if old then
    if same(old, def) then return end
    fail("%s: type %s defined differently in %s", where, def.name, old.where)
  end
  def.where = where
  self.defs[def.name] = def
end

-- simpleType node -> def; `name` given for anonymous ones.
function Builder:simple(node, name, where)
  local def = { name = name, kind = "simple", facets = {}, patterns = {}, enums = nil }
  local r
  for _, k in ipairs(node.kids) do
    if k.tag == "restriction" then r = k
    else fail("%s: simpleType %s uses unsupported xs:%s", where, name, k.tag) end
  end
  if not r then fail("%s: simpleType %s has no restriction", where, name) end
  if not r.attr.base then fail("%s: simpleType %s: restriction without base", where, name) end
  def.base = xsd.qname(r, r.attr.base)
  local step_patterns = {}
  for _, f in ipairs(r.kids) do
    local v = f.attr.value
    if f.tag == "enumeration" then
      def.enums = def.enums or {}
      def.enums[#def.enums + 1] = v
    elseif f.tag == "pattern" then
      step_patterns[#step_patterns + 1] = v
    elseif f.tag == "length" or f.tag == "minLength" or f.tag == "maxLength"
        or f.tag == "minInclusive" or f.tag == "maxInclusive" or f.tag == "whiteSpace" then
      if v == nil then fail("%s: %s facet without value", name, f.tag) end
      def.facets[f.tag] = v
    else
      fail("%s: simpleType %s uses unsupported facet xs:%s", where, name, f.tag)
    end
  end
  -- Several patterns in one step are alternatives (XSD 1.0 §4.3.4).
  if #step_patterns == 1 then
    def.pattern = step_patterns[1]
  elseif #step_patterns > 1 then
    def.pattern = "(" .. table.concat(step_patterns, ")|(") .. ")"
  end
  self:define(def, where)
  return name
end

-- The type name of an element or attribute: its type= or an inline anonymous type
-- registered under "Parent.name".
function Builder:element_type(node, parent, where)
  if node.attr.type then return xsd.qname(node, node.attr.type) end
  local synth = parent .. "." .. node.attr.name
  for _, k in ipairs(node.kids) do
    if k.tag == "simpleType" then return self:simple(k, synth, where) end
    if k.tag == "complexType" then return self:complex(k, synth, where) end
  end
  -- No type at all means the XSD ur-type (used by a few deprecated presence flags).
  return "xs:anyType"
end

function Builder:particle(node, owner, where)
  local tag = node.tag
  if tag == "element" then
    if node.attr.ref then fail("%s: %s: element ref is not supported", where, owner) end
    local a = node.attr
    return {
      kind = "element", name = a.name, type = self:element_type(node, owner, where),
      min = occurs(a.minOccurs, 1), max = occurs(a.maxOccurs, 1),
      nillable = a.nillable == "true", default = a.default, fixed = a.fixed,
    }
  elseif tag == "sequence" or tag == "choice" then
    local p = { kind = tag, min = occurs(node.attr.minOccurs, 1),
                max = occurs(node.attr.maxOccurs, 1), kids = {} }
    for _, k in ipairs(node.kids) do
      p.kids[#p.kids + 1] = self:particle(k, owner, where)
    end
    return p
  end
  fail("%s: %s: unsupported particle xs:%s", where, owner, tag)
end

-- Attributes are not part of the catalog model; only their inline types are kept
-- (named "Parent@attr") so that every anonymous type of the set has a name.
function Builder:attribute(node, owner, where)
  if node.attr.type == nil then
    for _, k in ipairs(node.kids) do
      if k.tag == "simpleType" then self:simple(k, owner .. "@" .. node.attr.name, where) end
    end
  end
end

function Builder:complex(node, name, where)
  local def = { name = name, kind = "complex", abstract = node.attr.abstract == "true" }
  local function body(kids)
    for _, k in ipairs(kids) do
      if k.tag == "sequence" or k.tag == "choice" then
        if def.model then fail("%s: %s has two content groups", where, name) end
        def.model = self:particle(k, name, where)
      elseif k.tag == "attribute" then
        self:attribute(k, name, where)
      else
        return k
      end
    end
  end
  local other = body(node.kids)
  if other then
    if other.tag ~= "complexContent" then fail("%s: %s: unsupported xs:%s", where, name, other.tag) end
    local ext = other.kids[1]
    if #other.kids ~= 1 or (ext.tag ~= "extension" and ext.tag ~= "restriction") then
      fail("%s: %s: only complexContent extension/restriction is supported", where, name)
    end
    def.base = xsd.qname(ext, ext.attr.base)
    -- A restriction restates the whole content model instead of appending to it.
    def.restriction = ext.tag == "restriction"
    local rest = body(ext.kids)
    if rest then fail("%s: %s: unsupported xs:%s in extension", where, name, rest.tag) end
  end
  self:define(def, where)
  return name
end

function Builder:file(f)
  for _, k in ipairs(f.tree.kids) do
    local name = k.attr.name
    if k.tag == "complexType" then
      self:complex(k, name, f.rel)
    elseif k.tag == "simpleType" then
      self:simple(k, name, f.rel)
    elseif k.tag == "element" then
      -- Top-level elements (the document root) are not catalog types; their
      -- inline types would be, but the release uses a named type.
      if not k.attr.type then fail("%s: top-level element %s without type", f.rel, name) end
    elseif k.tag ~= "include" and k.tag ~= "import" then
      fail("%s: unsupported top-level xs:%s", f.rel, k.tag)
    end
  end
end

-- Build the model from the loaded file set and the overlay.
function M.build(files, overlay)
  local b = setmetatable({ defs = {} }, Builder)
  for name, prim in pairs(M.BUILTINS) do
    b.defs[name] = { name = name, kind = "simple", builtin = true, prim = prim, facets = {} }
  end
  -- xs:anyType: a complex type with no declared content, role DATA.
  b.defs["xs:anyType"] = { name = "xs:anyType", kind = "complex", builtin = true }
  for _, f in ipairs(files) do b:file(f) end
  local defs = b.defs

  local function get(name, from)
    local d = defs[name]
    if not d then fail("%s refers to unknown type %s", from, name) end
    return d
  end

  -- Simple types: primitive and effective facets down the restriction chain.
  local function resolve_simple(d, depth)
    if d.resolved or d.builtin then return d end
    if depth > 64 then fail("restriction cycle at %s", d.name) end
    local base = get(d.base, d.name)
    if base.kind ~= "simple" then fail("%s restricts complex type %s", d.name, d.base) end
    resolve_simple(base, depth + 1)
    d.prim = base.prim
    local eff = {}
    for k, v in pairs(base.eff or {}) do eff[k] = v end
    for k, v in pairs(d.facets) do eff[k] = v end
    d.eff = eff
    d.eff_enums = d.enums or base.eff_enums
    local pats = {}
    for _, p in ipairs(base.eff_patterns or {}) do pats[#pats + 1] = p end
    if d.pattern then pats[#pats + 1] = d.pattern end
    d.eff_patterns = pats
    d.resolved = true
    return d
  end

  -- Complex types: base chain must stay complex and acyclic.
  local function chain(d)
    local c, seen = {}, {}
    local cur = d
    while cur do
      if seen[cur.name] then fail("extension cycle at %s", d.name) end
      seen[cur.name] = true
      c[#c + 1] = cur.name
      if cur.base then
        cur = get(cur.base, cur.name)
        if cur.kind ~= "complex" then fail("%s extends simple type %s", d.name, cur.name) end
      else
        cur = nil
      end
    end
    return c
  end

  local data_override = {}
  for _, n in ipairs(overlay.data_types or {}) do
    if not defs[n] then fail("overlay: data_types names unknown type %s", n) end
    data_override[n] = true
  end

  for _, d in pairs(defs) do
    if d.kind == "simple" then
      resolve_simple(d, 0)
    else
      d.chain = chain(d)
      local anc = {}
      for _, n in ipairs(d.chain) do anc[n] = true end
      d.ancestors = anc
      if d.name == CORE_TABLE then
        d.role = "table"
      elseif d.abstract and anc[CORE_COMMAND] then
        d.role = "base"
      elseif data_override[d.name] then
        d.role = "data"
      elseif not d.abstract and anc[CORE_REQUEST] then
        d.role = "request"
      elseif not d.abstract and anc[CORE_RESPONSE] then
        d.role = "response"
      else
        d.role = "data"
      end
    end
  end

  -- Every referenced element type must exist.
  local function check(p, owner)
    if p.kind == "element" then get(p.type, owner .. "." .. p.name)
    else for _, k in ipairs(p.kids) do check(k, owner) end end
  end
  for _, d in pairs(defs) do
    if d.kind == "complex" and d.model then check(d.model, d.name) end
  end

  -- Requests answer XResponseN when it exists and is a response, else SuccessResponse.
  -- A request is deprecated when the release defines it in a deprecated schema file:
  -- one whose name contains "Deprecated" (R25: OCISchemaDeprecated.xsd,
  -- OCISchemaDeprecatedAS.xsd, OCISchemaASDeprecatedSpecialExceptions.xsd, all
  -- included by OCISchemaAS.xsd).
  for _, d in pairs(defs) do
    if d.role == "request" then
      d.deprecated = M.deprecated_file(d.where)
      local head, tail = d.name:match("^(.*)Request(.-)$")
      local r = head and defs[head .. "Response" .. tail]
      d.response = (r and r.role == "response") and r.name or "SuccessResponse"
      get(d.response, d.name)
    end
  end
  return defs
end

--- deprecated_file(rel) -> true for a schema file of deprecated commands (by its name)
function M.deprecated_file(rel)
  local base = tostring(rel):match("([^/]*)$")
  return base:find("Deprecated", 1, true) ~= nil
end

-- camelCase -> snake_case: "_" at lower/digit->Upper and at Upper->Upper+lower.
function M.snake(s)
  s = s:gsub("([%l%d])(%u)", "%1_%2")
  s = s:gsub("(%u)(%u%l)", "%1_%2")
  return s:lower()
end

return M
