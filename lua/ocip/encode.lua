-- ocip.encode: request objects -> OCI-P XML (ISO-8859-1). Fields go out in schema
-- order from the validator's cached per-type plans; text is escaped and converted
-- from UTF-8 to Latin-1, characters above U+00FF as character references. Output is
-- built in one table buffer per document (no concatenation in loops).
local validate = require "ocip.validate"
local Error = require "ocip.error"
local NIL = require("ocip.sentinel").NIL

local find, gsub, format = string.find, string.gsub, string.format
local concat, tointeger, type = table.concat, math.tointeger, type
local get_plan, Request, choose = validate.plan, validate.Request, validate.choose

local M = {}

M.MAX_COMMANDS = 15
M.HEADER = '<?xml version="1.0" encoding="ISO-8859-1"?>\n'
  .. '<BroadsoftDocument protocol="OCI" xmlns="C" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
M.FOOTER = "</BroadsoftDocument>\n"

local xml_escape, xml_text = require("ocip.core").xml_escape, require("ocip.core").xml_text

-- Text content and attribute values (input is valid UTF-8: the validator checked it).
local function text(s) return xml_escape(s, false) end
local function attr(s) return xml_escape(s, true) end
M.text, M.attr = text, attr

-- xs:decimal has no exponent form; xs:float accepts one.
local function number(v, prim)
  local i = tointeger(v)
  if i then return format("%d", i) end
  local s = validate.number_text(v)
  if prim == "decimal" and find(s, "[eE]") then
    s = gsub(gsub(format("%.17f", v), "0+$", ""), "%.$", "")
  elseif prim == "float" then
    if v == math.huge then s = "INF" elseif v == -math.huge then s = "-INF" end
  end
  return s
end

local emit_record

local function emit_value(buf, n, f, v)
  if v == NIL then
    n = n + 1; buf[n] = f.nil_tag
    return n
  end
  if f.check then
    local tv = type(v)
    local s
    if tv == "string" then s = xml_escape(v, false)
    elseif tv == "boolean" then s = v and "true" or "false"
    else s = number(v, f.prim) end
    buf[n + 1] = f.open; buf[n + 2] = s; buf[n + 3] = f.close
    return n + 3
  end
  local ty = v._type
  if v._nil then
    n = n + 1
    buf[n] = "<" .. f.xml .. ' xsi:type="' .. ty .. '" xsi:nil="true"/>'
    return n
  end
  n = n + 1
  if ty ~= nil and ty ~= f.tname then
    buf[n] = "<" .. f.xml .. ' xsi:type="' .. ty .. '">'
  else
    buf[n] = f.open
    ty = f.tname
  end
  n = emit_record(buf, n, get_plan(ty), v)
  n = n + 1; buf[n] = f.close
  return n
end

local function emit_field(buf, n, f, v)
  if f.list then
    for j = 1, #v do n = emit_value(buf, n, f, v[j]) end
    return n
  end
  return emit_value(buf, n, f, v)
end

-- Models where one element name occurs twice (in two choice branches) are walked as
-- a tree, emitting only the branch the validator chose (validate.choose).
local function emit_tree(buf, n, node, rec, done)
  if node.kind == "element" then
    local v = rec[node.xml]
    if v ~= nil and not done[node.xml] then
      done[node.xml] = true
      n = emit_field(buf, n, node, v)
    end
    return n
  end
  local items = node.items
  if node.kind == "choice" and node.max <= 1 then
    local b = choose(node, rec)
    if b then n = emit_tree(buf, n, b, rec, done) end
    return n
  end
  for i = 1, #items do n = emit_tree(buf, n, items[i], rec, done) end
  return n
end

function emit_record(buf, n, plan, rec)
  if plan.dups then return emit_tree(buf, n, plan.tree, rec, {}) end
  local order = plan.order
  for i = 1, #order do
    local f = order[i]
    local v = rec[f.xml]
    if v ~= nil then
      if type(v) == "string" and f.check then
        -- fast path: a single string value (most fields)
        buf[n + 1] = f.open; buf[n + 2] = xml_escape(v, false); buf[n + 3] = f.close
        n = n + 3
      else
        n = emit_field(buf, n, f, v)
      end
    end
  end
  return n
end

-- Validates plain tables; request objects (from build/commands) pass through.
local function as_request(req)
  if type(req) ~= "table" then
    return nil, Error.new("usage", "request object expected, got " .. type(req))
  end
  if getmetatable(req) == Request then return req end
  if type(req._type) ~= "string" then
    return nil, Error.new("usage", "request has no _type (use ocip.commands.X{...})")
  end
  return validate.request(req._type, req)
end

-- `<command xmlns="" xsi:type="NAME">` per request name, built once; and the same
-- without its closing `">` for commands that carry an echo attribute.
local command_open = setmetatable({}, { __index = function(t, name)
  local s = '<command xmlns="" xsi:type="' .. name .. '">'
  t[name] = s
  return s
end })
local command_echo = setmetatable({}, { __index = function(t, name)
  local s = '<command xmlns="" xsi:type="' .. name .. '" echo="'
  t[name] = s
  return s
end })
local INDEX = {} -- "1".."15": the per-command suffix of a document's echo
for i = 1, M.MAX_COMMANDS do INDEX[i] = tostring(i) end

-- echo: the document's escaped echo prefix (command i gets prefix .. i), or nil (the
-- request's own `_echo`, if any).
local function emit_command(buf, n, req, echo, i)
  local name = req._type
  n = n + 1
  if echo then
    buf[n], buf[n + 1], buf[n + 2], buf[n + 3] = command_echo[name], echo, INDEX[i], '">'
    n = n + 3
  elseif req._echo then
    buf[n] = '<command xmlns="" xsi:type="' .. name .. '" echo="' .. attr(req._echo) .. '">'
  else
    buf[n] = command_open[name]
  end
  n = emit_record(buf, n, get_plan(name), req)
  n = n + 1; buf[n] = "</command>"
  return n
end

--- command(req) -> `<command xmlns="" xsi:type="...">...</command>`, or nil, err
function M.command(req)
  local r, err = as_request(req)
  if not r then return nil, err end
  local buf = {}
  local n = emit_command(buf, 0, r)
  return concat(buf, "", 1, n)
end

local scratch -- the buffer of the last document (see document)
local SCRATCH_MAX = 4096

--- document(requests, session_id, echo) -> document string, or nil, err.
-- `requests` is one request or an array of 1..15. `echo` (optional string): command i
-- carries the attribute echo = echo .. i (the client's correlation), instead of the
-- requests' own `_echo`.
function M.document(requests, session_id, echo)
  if type(requests) ~= "table" then
    return nil, Error.new("usage", "requests expected, got " .. type(requests))
  end
  if requests._type ~= nil then requests = { requests } end
  local count = #requests
  if count == 0 then return nil, Error.new("usage", "no request to encode") end
  if count > M.MAX_COMMANDS then
    return nil, Error.new("limit", ("%d commands in one document; at most %d allowed"):format(count, M.MAX_COMMANDS))
  end
  if type(session_id) ~= "string" or session_id == "" or not xml_text(session_id) then
    return nil, Error.new("usage", "session id (non-empty UTF-8 string) expected")
  end
  if echo ~= nil then
    if type(echo) ~= "string" or not xml_text(echo) then
      return nil, Error.new("usage", "echo (UTF-8 string) expected")
    end
    echo = attr(echo)
  end
  -- one scratch buffer for every document (encoding never yields); pieces past n
  -- are stale and ignored, and a buffer grown by a huge document is not kept
  local buf = scratch or {}
  scratch = nil
  buf[1], buf[2], buf[3], buf[4] = M.HEADER, '<sessionId xmlns="">', text(session_id), "</sessionId>"
  local n = 4
  for i = 1, count do
    local r, err = as_request(requests[i])
    if not r then return nil, err end
    n = emit_command(buf, n, r, echo, i)
  end
  n = n + 1; buf[n] = M.FOOTER
  local doc = concat(buf, "", 1, n)
  if n <= SCRATCH_MAX then scratch = buf end
  return doc
end

return M
