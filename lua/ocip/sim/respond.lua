-- Encodes response tables into OCI-P response documents, in schema order.
-- A response table: { _type = "UserGetResponse23V2", <xml element name> = value, ... }
-- (snake names are accepted too). Values: strings, numbers, booleans, arrays for
-- list elements, tables for complex elements ({ _type = } for abstract ones),
-- and for OCITable elements { headings = {...}, rows = { {col, ...}, ... } }.
local schema = require "ocip.sim.schema"

local M = {}

local HEAD = '<?xml version="1.0" encoding="ISO-8859-1"?>\n'
  .. '<BroadsoftDocument protocol="OCI" xmlns="C" '
  .. 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><sessionId xmlns="">'
local TAIL = "</BroadsoftDocument>\n"

local ESC = { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;" }

-- Non-ASCII becomes character references: valid whatever the declared encoding.
local function escape(s)
  if not s:find('[&<>"\128-\255]') then return s end
  s = s:gsub('[&<>"]', ESC)
  if not s:find("[\128-\255]") then return s end
  if utf8.len(s) then
    return (s:gsub(utf8.charpattern, function(ch)
      if #ch == 1 then return ch end
      return "&#" .. utf8.codepoint(ch) .. ";"
    end))
  end
  return (s:gsub("[\128-\255]", function(ch) return "&#" .. ch:byte() .. ";" end))
end
M.escape = escape

local function scalar(v)
  local tv = type(v)
  if tv == "string" then return escape(v) end
  if tv == "boolean" then return v and "true" or "false" end
  if tv == "number" then
    local i = math.tointeger(v)
    if i then return tostring(i) end
    return string.format("%.17g", v)
  end
  return escape(tostring(v))
end
M.scalar = scalar

local encode_complex

local function encode_table(out, n, name, t)
  n = n + 1; out[n] = "<" .. name .. ">"
  local heads = t.headings
  for i = 1, #heads do
    n = n + 1; out[n] = "<colHeading>" .. escape(heads[i]) .. "</colHeading>"
  end
  local cols = #heads
  for _, row in ipairs(t.rows or {}) do
    n = n + 1; out[n] = "<row>"
    for i = 1, cols do
      local v = row[i]
      if v == nil or v == "" then
        n = n + 1; out[n] = "<col/>"
      else
        n = n + 1; out[n] = "<col>" .. scalar(v) .. "</col>"
      end
    end
    n = n + 1; out[n] = "</row>"
  end
  n = n + 1; out[n] = "</" .. name .. ">"
  return n
end

local function encode_element(out, n, e, v)
  if e.simple then
    out[n + 1] = e.open
    out[n + 2] = scalar(v)
    out[n + 3] = e.close
    return n + 3
  elseif e.table then
    return encode_table(out, n, e.name, v)
  end
  local tname = e.type
  local open = e.open
  if type(v) == "table" and v._type and v._type ~= tname then
    tname = v._type
    open = "<" .. e.name .. ' xsi:type="' .. tname .. '">'
  end
  n = n + 1; out[n] = open
  n = encode_complex(out, n, tname, v)
  n = n + 1; out[n] = e.close
  return n
end

-- Appends the children of a value of complex type `tname` to out, in schema order.
function encode_complex(out, n, tname, t)
  local plan = schema.plan(tname)
  if not plan then error("simulator: unknown type " .. tostring(tname), 0) end
  local elements = plan.elements
  for i = 1, #elements do
    local e = elements[i]
    local v = t[e.name]
    if v == nil then v = t[e.snake] end
    if v ~= nil then
      if e.list and type(v) == "table" and not (e.table and v.headings) and v[1] ~= nil then
        for _, item in ipairs(v) do n = encode_element(out, n, e, item) end
      elseif not (e.list and type(v) == "table" and next(v) == nil and not e.table) then
        n = encode_element(out, n, e, v)
      end
    end
  end
  return n
end

local CORE = { SuccessResponse = true, ErrorResponse = true }

-- An error's detail: in CDATA when asked (as a server sends validation details),
-- unless it holds bytes that are not ASCII (CDATA takes no character references,
-- and the document is declared ISO-8859-1) or control characters.
local function detail(resp)
  local d = tostring(resp.detail)
  if resp.cdata and not d:find("[%z\1-\8\11\12\14-\31\128-\255]") then
    return "<![CDATA[" .. d:gsub("]]>", "]]]]><![CDATA[>") .. "]]>"
  end
  return escape(d)
end

--- respond.command(resp, echo) -> the <command> element for one response table
function M.command(resp, echo)
  local tname = resp._type
  local attrs = ' echo="' .. (echo and escape(echo) or "") .. '"'
  if tname == "ErrorResponse" then
    attrs = ' type="' .. (resp.type or "Error") .. '"' .. attrs
  end
  local out, n = {}, 1
  if CORE[tname] then
    out[1] = "<command" .. attrs .. ' xsi:type="c:' .. tname .. '" xmlns:c="C" xmlns="">'
  else
    out[1] = "<command" .. attrs .. ' xsi:type="' .. tname .. '" xmlns="">'
  end
  if tname == "ErrorResponse" then
    if resp.errorCode then n = n + 1; out[n] = "<errorCode>" .. resp.errorCode .. "</errorCode>" end
    n = n + 1; out[n] = "<summary>" .. escape(resp.summary) .. "</summary>"
    n = n + 1; out[n] = "<summaryEnglish>" .. escape(resp.summaryEnglish or resp.summary)
      .. "</summaryEnglish>"
    if resp.detail then n = n + 1; out[n] = "<detail>" .. detail(resp) .. "</detail>" end
  elseif tname ~= "SuccessResponse" then
    n = encode_complex(out, n, tname, resp)
  end
  out[n + 1] = "</command>"
  return table.concat(out)
end

--- respond.document(session_id, commands) -> document string; commands are encoded
--- <command> strings (from respond.command).
function M.document(session_id, commands)
  return HEAD .. escape(session_id or "") .. "</sessionId>" .. table.concat(commands) .. TAIL
end

--- respond.error(code, text, detail, cdata) -> ErrorResponse table, BroadWorks style
--- (the code travels in the text: "[Error 4008] User not found: x"); cdata: send
--- the detail as a CDATA section.
function M.error(code, text, detail_text, cdata)
  local s = code and ("[Error " .. code .. "] " .. text) or text
  return { _type = "ErrorResponse", summary = s, summaryEnglish = s, detail = detail_text,
    cdata = cdata }
end

M.SUCCESS = { _type = "SuccessResponse" }

return M
