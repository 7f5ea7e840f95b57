-- Checks for build/fuzz/fuzz_validate (see fuzz_validate.c): returns the function
-- called with each input. The input is read as a stream of choices (bytes; zeros once
-- it runs out) that builds the fields of one request; a raise is a finding.
local core = require "ocip.core"
local catalog = require "ocip.catalog"
local validate = require "ocip.validate"
local encode = require "ocip.encode"
local Error = require "ocip.error"
local NIL = require("ocip.sentinel").NIL

local XSD = os.getenv("OCIP_FUZZ_XSD") -- path of OCISchemaAS.xsd: validate encoded documents
local NAMES = catalog.requests()
local MAX_DEPTH, MAX_NODES = 6, 200

local INTS = { 0, 1, -1, 2147483647, 2147483648, -2147483648, -2147483649,
  math.maxinteger, math.mininteger, 255, 65535, 86400 }
local FLOATS = { 0.5, -0.0, 1e300, -1e-300, 0 / 0, math.huge, -math.huge, 2.0 ^ 53, 1.0 }
local STRINGS = { "", " ", "0", "-1", "1e3", "0x10", " 12 ", "true", "false", "abc", "a@b.c",
  "2025-01-01", "2025-01-01T00:00:00Z", "PT1S", "\xff\xfe", "\xc3\xa9", "\0", "<&>\"'",
  "\xed\xa0\x80", "\xf4\x90\x80\x80", string.rep("x", 300), "+1-2025550101", "*", "#" }

local function check(cond, fmt, ...)
  if not cond then error(fmt:format(...), 2) end
end

-- the choice stream
local In = {}
In.__index = In

function In:byte()
  local b = self.s:byte(self.i) or 0
  self.i = self.i + 1
  return b
end

function In:pick(list)
  if #list == 0 then return nil end
  return list[(self:byte() * 256 + self:byte()) % #list + 1]
end

function In:bytes(n)
  local s = self.s:sub(self.i, self.i + n - 1)
  self.i = self.i + n
  return s
end

function In:string()
  local n = self:byte()
  if n >= 224 then return self:pick(STRINGS) end
  return self:bytes(n % 48)
end

function In:number()
  local op = self:byte() % 6
  if op == 0 then return self:pick(INTS) end
  if op == 1 then return self:pick(FLOATS) end
  if op == 2 then return self:byte() - 128 end
  local s = self:bytes(8)
  if #s < 8 then return 0 end
  if op == 3 then return (string.unpack("<i8", s)) end
  return (string.unpack("<d", s))
end

local describe_cache = {}
local function describe(tname)
  if type(tname) ~= "string" then return nil end
  local d = describe_cache[tname]
  if d == nil then
    d = catalog.describe(tname) or false
    describe_cache[tname] = d
  end
  return d or nil
end

local value, record

-- A value for a field of type tname (or of no known type).
function value(r, tname, depth, ctx)
  ctx.nodes = ctx.nodes + 1
  if ctx.nodes > MAX_NODES then return r:string() end
  local d = describe(tname)
  local op = r:byte() % 16
  if op <= 3 then
    if d and d.kind == "simple" and d.enum and op <= 2 then return r:pick(d.enum) end
    return r:string()
  elseif op <= 5 then return r:number()
  elseif op == 6 then return r:byte() % 2 == 0
  elseif op == 7 then return NIL
  elseif op <= 11 then return record(r, tname, depth + 1, ctx)
  elseif op <= 13 then -- a list of values of the same type
    local t = {}
    for i = 1, r:byte() % 5 do t[i] = value(r, tname, depth + 1, ctx) end
    return t
  elseif op == 14 then -- a table met earlier: shared or cyclic
    return ctx.tables[r:byte() % #ctx.tables + 1]
  end
  return r:string()
end

local PLAIN = { dateTime = "2025-01-01T00:00:00Z", date = "2025-01-01", base64Binary = "QUJD" }

-- A value the field's simple type likely accepts, or a filled record: most random
-- tables miss a required field, and the encoder is only reached past the validator.
local function plausible(r, f, depth, ctx)
  local d = describe(f.type)
  if not d or d.kind ~= "simple" then return record(r, f.type, depth + 1, ctx, true) end
  if d.enum then return r:pick(d.enum) end
  local fa = d.facets or {}
  if d.prim == "boolean" then return r:byte() % 2 == 0 end
  if d.prim == "int" or d.prim == "long" or d.prim == "decimal" or d.prim == "float" then
    return fa.min_inclusive or fa.max_inclusive or 1
  end
  return PLAIN[d.prim] or string.rep("a", math.max(fa.length or fa.min_length or 1, 1))
end

-- A keyed table for a complex type (keys mostly from its fields, snake or XML name).
-- fill: then give every required field a plausible value (when the input asks for it).
function record(r, tname, depth, ctx, fill)
  if depth > MAX_DEPTH then return {} end
  local t = {}
  ctx.tables[#ctx.tables + 1] = t
  local d = describe(tname)
  if d and d.abstract and d.subs and #d.subs > 0 then -- a concrete type to build
    local sub = r:pick(d.subs)
    t._type, d = sub, describe(sub)
  end
  local fields = d and d.fields or {}
  fill = fill or (depth == 1 and r:byte() % 2 == 0)
  for _ = 1, r:byte() % 8 do
    local op = r:byte() % 16
    local key, ftype
    if op <= 9 and #fields > 0 then
      local f = r:pick(fields)
      key, ftype = op % 3 == 0 and f.xml_name or f.name, f.type
    elseif op == 10 then -- _type: a subtype of this type, a request, or anything
      key = "_type"
      local subs = d and d.subs or {}
      local pick = r:byte() % 3
      t[key] = pick == 0 and r:pick(subs) or pick == 1 and r:pick(NAMES) or r:string()
    elseif op == 11 then
      key = (r:byte() % 2 == 0) and "_nil" or "_echo"
    elseif op == 12 then
      key = r:byte() % 4 + 1
    else
      key = r:string()
    end
    if key ~= "_type" and key ~= "" then t[key] = value(r, ftype, depth, ctx) end
  end
  if fill then
    for _, f in ipairs(fields) do
      if f.required and t[f.name] == nil and t[f.xml_name] == nil and ctx.nodes < MAX_NODES then
        ctx.nodes = ctx.nodes + 1
        local v = plausible(r, f, depth, ctx)
        t[f.name] = f.list and { v } or v
      end
    end
  end
  return t
end

local function check_error(err, what)
  check(Error.is(err), "%s: not an ocip.Error: %s", what, tostring(err))
  check(err.kind == "validation" or err.kind == "usage", "%s: error kind %s", what, tostring(err.kind))
  check(type(err.message) == "string", "%s: error without a message", what)
end

return function(data)
  local r = setmetatable({ s = data, i = 1 }, In)
  local name = r:byte() == 255 and r:string() or r:pick(NAMES)
  local ctx = { nodes = 0, tables = {} }
  local fields = record(r, name, 1, ctx)
  local ok, req, err = pcall(validate.request, name, fields)
  check(ok, "validate.request raised: %s", tostring(req))
  if not req then
    check_error(err, "validate.request")
    return
  end
  check(getmetatable(req) == validate.Request and req._type == name, "not a request object of %s", name)
  -- an accepted request encodes, alone and in a document
  local cmd, cerr = encode.command(req)
  check(type(cmd) == "string", "encode.command failed: %s", tostring(cerr))
  local doc, derr = encode.document(req, "fuzz-session")
  check(type(doc) == "string", "encode.document failed: %s", tostring(derr))
  check(doc:find(cmd, 1, true), "the document does not hold the command")
  -- validating the request object again gives it back as is
  check(validate.request(name, req) == req, "a request object is not taken as is")
  if XSD then
    local valid, why = core.xsd_validate(XSD, doc)
    check(valid, "accepted by the validator, refused by the XSD: %s\n%s", tostring(why), doc)
  end
end
