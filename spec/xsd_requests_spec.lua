-- Every request type of the catalog: a minimal instance (required fields only) and
-- maximal instances (every optional field; lists with 2 items; each choice branch
-- and each concrete type of an abstract field at least once across instances),
-- plus a nil instance (ocip.NIL on every nillable field) where one applies. Each
-- instance must pass our validator, be encoded, and the documents (15 commands
-- each; every other one with the client's echo attributes) must validate against the
-- XSD release with libxml2 (core.xsd_validate).
--
-- Why core.xsd_validate validates the SAX stream and not a DOM: see bindings/xsd.c
-- (libxml2 keeps `xmlns=""` as an empty-href namespace in a tree, so xsi:type on
-- `<command xmlns="">` would resolve to {""}X; the bytes we send are correct).
local ocip = require "ocip"
local core = require "ocip.core"
local catalog = require "ocip.catalog"
local xml = require "ocip.xml"
local NIL = ocip.NIL

local function file_exists(p)
  local f = io.open(p, "rb")
  if f then f:close() return true end
  return false
end

local function schema_root()
  local dir = os.getenv("OCIP_SCHEMA_DIR")
  if not dir or dir == "" then
    for _, d in ipairs { "../shared/schemas/ocip-r25", "/work/shared/schemas/ocip-r25" } do
      if file_exists(d .. "/OCISchemaAS.xsd") then dir = d break end
    end
  end
  if dir and file_exists(dir .. "/OCISchemaAS.xsd") then return dir .. "/OCISchemaAS.xsd" end
  return nil
end

------------------------------------------------------------------------------
-- value generator
------------------------------------------------------------------------------

-- Candidate texts for the XSD patterns of the release (any new pattern falls back
-- to the generic candidates and, failing those, is reported as a failure).
local PATTERN_SAMPLES = {
  ["\\*|#"] = { "*", "#" },
  ["[0-9]|\\*|#"] = { "5", "*", "#" },
  ["[0-9]|[1-9][0-9]{1,2}"] = { "7", "42", "365" },
  ["[0-9][0-9][0-9][0-9]"] = { "1234", "0000" },
  ["0|15|30|45"] = { "15", "30", "0", "45" },
  ["([0-9]|\\*|#){0,3}"] = { "1*#", "9", "" },
  ["[A-Z][A-Z][A-Z]"] = { "ABC", "XYZ" },
}

local TEXT = "Vé€x" -- Latin-1 and non-Latin-1 characters: both encodings exercised

local function text_of(len, seed)
  local base = TEXT .. tostring(seed)
  local s = base
  while utf8.len(s) < len do s = s .. base end
  return s:sub(1, utf8.offset(s, len + 1) - 1)
end

local gen = {}

-- Generates a value for simple type `tname`; k rotates through enum values and samples.
function gen.simple(tname, k, maximal)
  local st = catalog.type(tname)
  local check = require("ocip.validate").simple_checker(tname)
  local cands = {}
  local function add(v) cands[#cands + 1] = v end
  if st.enum then
    local e = st.enum
    add(e[(k % #e) + 1])
    for _, v in ipairs(e) do add(v) end
  end
  for _, p in ipairs(st.patterns or {}) do
    for _, v in ipairs(PATTERN_SAMPLES[p] or {}) do add(v) end
  end
  local prim = st.prim
  if prim == "boolean" then
    add(k % 2 == 0); add(k % 2 == 1)
  elseif prim == "int" or prim == "long" then
    local mn = st.min_inclusive and math.tointeger(tonumber(st.min_inclusive))
    local mx = st.max_inclusive and math.tointeger(tonumber(st.max_inclusive))
    if maximal then add(mx or 2147483647); add(mn or 1) else add(mn or 1); add(mx or 1) end
    for _, c in ipairs(cands) do if type(c) == "string" then add(math.tointeger(tonumber(c))) end end
    add(1); add(0)
  elseif prim == "decimal" or prim == "float" then
    local mn = st.min_inclusive and tonumber(st.min_inclusive)
    local mx = st.max_inclusive and tonumber(st.max_inclusive)
    add(maximal and mx or mn or 1.5); add(1.5); add(0)
  elseif prim == "dateTime" then
    add("2024-02-29T13:45:00Z")
  elseif prim == "date" then
    add("2024-02-29")
  elseif prim == "base64Binary" then
    add("T0NJLVA=")
  elseif prim == "NMTOKEN" then
    add("tok" .. k)
  else
    local len
    if st.length then len = st.length
    elseif maximal then len = math.min(st.max_length or 40, 255)
    else len = math.max(st.min_length or 1, 1) end
    if st.max_length and len > st.max_length then len = st.max_length end
    add(text_of(len, k))
    add(("1"):rep(len))
    add(tostring(k))
    add("x")
  end
  for _, v in ipairs(cands) do
    if v ~= nil and check(v) ~= nil then return v end
  end
  error(("no generated value fits %s (patterns: %s)"):format(tname, table.concat(st.patterns or {}, " ")))
end

local function fixed_value(el)
  local st = catalog.type(el.type)
  if st.kind ~= "simple" then return el.fixed end
  if st.prim == "boolean" then return el.fixed == "true" end
  if st.prim == "int" or st.prim == "long" then return math.tointeger(tonumber(el.fixed)) end
  return el.fixed
end

-- ctx: { variant = n, maximal = bool, nils = bool, xml_names = bool, spread = max
-- number of branches/concrete types met (so the caller knows how many variants to make),
-- counter = k for rotating values }
local complex

local function key_of(el, ctx) return ctx.xml_names and el.name or el.snake end

local function element_value(el, ctx, depth)
  if el.fixed then return fixed_value(el) end
  local st = catalog.type(el.type)
  if ctx.nils and el.nillable then return NIL end
  ctx.counter = ctx.counter + 1
  if st.kind == "simple" then return gen.simple(el.type, ctx.counter + ctx.variant, ctx.maximal) end
  return complex(el.type, ctx, depth + 1)
end

local function items_for(el, ctx, depth)
  local n = el.min_occurs
  if ctx.maximal and depth < 6 then n = math.max(n, math.min(2, el.max_occurs)) end
  if n < 1 then n = 1 end
  if not el.list then return element_value(el, ctx, depth) end
  local arr = {}
  for i = 1, n do arr[i] = element_value(el, ctx, depth) end
  return arr
end

local fill

local function fill_choice(node, t, ctx, depth)
  local nb = #node.items
  if nb > ctx.spread then ctx.spread = nb end
  local pick = (ctx.variant % nb) + 1
  if node.max_occurs > 1 and ctx.maximal then
    -- repeated choice: one item of each branch (bounded by the group's max)
    for i = 1, math.min(nb, node.max_occurs) do fill(node.items[i], t, ctx, depth, true) end
    return
  end
  fill(node.items[pick], t, ctx, depth, true)
end

function fill(node, t, ctx, depth, forced)
  if node.kind == "element" then
    if forced or node.min_occurs > 0 or (ctx.maximal and depth < 6) then
      t[key_of(node, ctx)] = items_for(node, ctx, depth)
      if node.list and node.max_occurs == 1 and type(t[key_of(node, ctx)]) == "table"
        and #t[key_of(node, ctx)] > 1 then
        t[key_of(node, ctx)] = { t[key_of(node, ctx)][1] }
      end
    end
    return
  end
  local wanted = forced or node.min_occurs > 0 or (ctx.maximal and depth < 6)
  if not wanted then return end
  if node.kind == "sequence" then
    for _, it in ipairs(node.items) do fill(it, t, ctx, depth, false) end
  else
    fill_choice(node, t, ctx, depth)
  end
end

function complex(tname, ctx, depth)
  local ct = catalog.type(tname)
  local t = {}
  if ct.abstract then
    local subs = ct.subs or {}
    if #subs > ctx.spread then ctx.spread = #subs end
    tname = subs[(ctx.variant % #subs) + 1]
    t._type = tname
    ct = catalog.type(tname)
  end
  if depth > 12 then error("generator recursion too deep at " .. tname) end
  if ct.content then fill(ct.content, t, ctx, depth, false) end
  return t
end
gen.complex = complex

-- Instances of one request: { {label, fields}, ... }
local function has_nillable(tname, seen)
  seen = seen or {}
  if seen[tname] then return false end
  seen[tname] = true
  local ct = catalog.type(tname)
  local found = false
  local function walk(n)
    if found then return end
    if n.kind == "element" then
      if n.nillable then found = true return end
      local st = catalog.type(n.type)
      if st.kind == "complex" and not st.abstract and has_nillable(n.type, seen) then found = true end
      return
    end
    for _, it in ipairs(n.items) do walk(it) end
  end
  if ct.content then walk(ct.content) end
  return found
end

local function instances(name)
  local out = {}
  local ctx = { variant = 0, maximal = false, counter = 0, spread = 1 }
  out[#out + 1] = { "minimal", complex(name, ctx, 0) }
  local v, spread = 0, 1
  repeat
    ctx = { variant = v, maximal = true, counter = v, spread = 1, xml_names = v % 2 == 1 }
    out[#out + 1] = { "maximal#" .. v, complex(name, ctx, 0) }
    if ctx.spread > spread then spread = ctx.spread end
    v = v + 1
  until v >= spread
  if has_nillable(name) then
    ctx = { variant = 0, maximal = true, counter = 0, spread = 1, nils = true }
    out[#out + 1] = { "nil", complex(name, ctx, 0) }
  end
  return out
end

------------------------------------------------------------------------------

describe("XSD validation of every request", function()
  local root = schema_root()

  it("minimal, maximal and nil instances of every request validate", function()
    if not root then
      if os.getenv("CI") == "true" then
        error("OCIP_SCHEMA_DIR is not set or holds no OCISchemaAS.xsd")
      end
      pending("OCIP_SCHEMA_DIR not set: XSD validation skipped")
      return
    end
    local t0 = os.clock()
    local names = catalog.requests()
    local failures = {}
    local pending_cmds = {} -- { {name, label, request}, ... } for the current document
    local documents, commands, batches = 0, 0, 0
    local kinds = {}
    local sid = "spec-session-1"

    local function flush()
      if #pending_cmds == 0 then return end
      local reqs = {}
      for i, p in ipairs(pending_cmds) do reqs[i] = p[3] end
      -- every other document carries the client's per-command echo (OCICommand@echo)
      local doc = assert(xml.encode(reqs, sid, batches % 2 == 0 and ("s1d" .. batches .. "c") or nil))
      batches = batches + 1
      local ok = core.xsd_validate(root, doc)
      if not ok then
        -- find the culprits one by one
        for _, p in ipairs(pending_cmds) do
          local one = assert(xml.encode({ p[3] }, sid))
          local ok1, msg = core.xsd_validate(root, one)
          if not ok1 then
            failures[#failures + 1] = ("%s (%s): XSD: %s"):format(p[1], p[2], msg)
          end
        end
      end
      documents = documents + #pending_cmds
      pending_cmds = {}
    end

    for _, name in ipairs(names) do
      local ok, list = pcall(instances, name)
      if not ok then
        failures[#failures + 1] = ("%s: generator: %s"):format(name, tostring(list))
      else
        for _, inst in ipairs(list) do
          local req, err = catalog.build(name, inst[2])
          if not req then
            failures[#failures + 1] = ("%s (%s): our validator rejected it: %s"):format(name, inst[1], tostring(err))
          else
            commands = commands + 1
            local kind = inst[1]:match("^%a+")
            kinds[kind] = (kinds[kind] or 0) + 1
            pending_cmds[#pending_cmds + 1] = { name, inst[1], req }
            if #pending_cmds == 15 then flush() end
          end
        end
      end
    end
    flush()
    local secs = os.clock() - t0
    print(("\nvalidated %d requests (%d instances: %d minimal, %d maximal, %d nil; %d documents), %d failed, %.1f s CPU")
      :format(#names, commands, kinds.minimal or 0, kinds.maximal or 0, kinds["nil"] or 0, batches, #failures, secs))
    if #failures > 0 then
      table.sort(failures)
      for i = 1, math.min(#failures, 40) do print("  " .. failures[i]) end
    end
    assert.are.equal(0, #failures, failures[1])
    assert.is_true(#names > 3000, "catalog lists too few requests")
    assert.are.equal(commands, documents)
  end)
end)

describe("core.xsd_validate", function()
  it("refuses a document with a DOCTYPE, like the decoder", function()
    local root = schema_root()
    if not root then pending("XSD release not found (OCIP_SCHEMA_DIR)") return end
    local body = '<BroadsoftDocument protocol="OCI" xmlns="C" '
      .. 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><sessionId xmlns="">s</sessionId>'
      .. '<command xsi:type="LogoutRequest" xmlns=""><userId>u</userId></command></BroadsoftDocument>'
    local plain = '<?xml version="1.0" encoding="ISO-8859-1"?>' .. body
    assert.is_true((core.xsd_validate(root, plain)))
    for _, doctype in ipairs {
      '<!DOCTYPE BroadsoftDocument>',
      '<!DOCTYPE BroadsoftDocument [<!ENTITY e "x">]>',
      '<!DOCTYPE BroadsoftDocument SYSTEM "file:///etc/passwd">',
    } do
      local ok, why = core.xsd_validate(root, '<?xml version="1.0" encoding="ISO-8859-1"?>'
        .. doctype .. body)
      assert.is_false(ok, doctype)
      assert.matches("DOCTYPE", why)
    end
  end)
end)
