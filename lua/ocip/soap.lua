-- ocip.soap: the SOAP 1.1 wrapping of OCI-P documents (BroadWorks
-- ProvisioningService, RPC style): request/response envelopes, faults, and the
-- JSESSIONID cookie. Used by the SOAP transport and by the simulator.
--
-- Encoding rule: inside SOAP the OCI document travels as characters in a UTF-8
-- envelope, not as bytes. envelope()/response_envelope() therefore re-encode a
-- document whose XML declaration names ISO-8859-1 (the usual OCI-P encoding)
-- from Latin-1 to UTF-8 before escaping it; its declaration is left as it was,
-- since the receiver reads characters. parse_response()/parse_request() return
-- the inner document as UTF-8 bytes and rewrite its declaration's encoding to
-- UTF-8, so the decoder, which follows the declaration, reads it right.
--
-- The envelope is read with a small XML tokenizer (no DOM library): elements
-- are matched by local name, CDATA, comments and processing instructions are
-- understood, a DOCTYPE is refused (no entity expansion), and only the five
-- predefined entities and character references are expanded.
local core = require "ocip.core"
local Error = require "ocip.error"

local M = {}

local SOAPENV = "http://schemas.xmlsoap.org/soap/envelope/"
local HEAD = '<?xml version="1.0" encoding="UTF-8"?>'
  .. '<soapenv:Envelope xmlns:soapenv="' .. SOAPENV .. '"'
  .. ' xmlns:xsd="http://www.w3.org/2001/XMLSchema"'
  .. ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>'
local TAIL = "</soapenv:Body></soapenv:Envelope>"
local ENCODING_STYLE = ' soapenv:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"'
local STRING_TYPE = ' xsi:type="soapenc:string" xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/"'

local UTF8_BOM = "\239\187\191"

local LATIN1 = {
  ["iso-8859-1"] = true, ["iso8859-1"] = true, ["iso_8859-1"] = true,
  ["latin1"] = true, ["latin-1"] = true, ["l1"] = true, ["cp819"] = true,
}
local AS_IS = { ["utf-8"] = true, ["utf8"] = true, ["us-ascii"] = true, ["ascii"] = true }

-- The encoding named by a leading XML declaration (lowercased), or nil.
local function declared_encoding(doc)
  local decl = doc:match("^%s*<%?xml(.-)%?>")
  if not decl then return nil end
  return (decl:match("encoding%s*=%s*[\"']([^\"']+)[\"']") or ""):lower()
end

local latin1_to_utf8 = core.latin1_to_utf8

-- The document as UTF-8 text (see the encoding rule above), or nil, err.
local function as_utf8(doc)
  if doc:sub(1, 3) == UTF8_BOM then return doc:sub(4) end
  local enc = declared_encoding(doc)
  if enc == nil or enc == "" or AS_IS[enc] then return doc end
  if LATIN1[enc] then return latin1_to_utf8(doc) end
  return nil, Error.new("usage", "soap: cannot carry a document encoded as " .. enc)
end

local text_escape, xml_unescape, xml_check_refs = core.text_escape, core.xml_unescape, core.xml_check_refs

--- escape(text) -> text safe as XML character data (CR kept as a reference).
M.escape = function(s) return text_escape(s) end

--- unescape(text) -> text with entity and character references expanded, or nil, err.
function M.unescape(s, i, j)
  local out, why = xml_unescape(s, i, j)
  if not out then return nil, Error.new("protocol", "soap: " .. why) end
  return out
end

-- Text runs at least this long (the escaped OCI document) are checked while the
-- envelope is read but expanded only when asked for (one copy of the document).
local LAZY = 256

-- A SOAP envelope has a handful of elements around one run of text: more elements,
-- text pieces or nesting than this is refused (a table per node would otherwise
-- let a large body cost many times its size in memory).
local MAX_ELEMENTS, MAX_PIECES, MAX_DEPTH = 1000, 10000, 64

-- Tokenizes `xml` into a tree of elements { name = local name, qname =, attrs = {},
-- kids = {}, text = {pieces} }; returns the document root, or nil, err. A piece is a
-- string, or { xml, i, j } for a long run of escaped text (see piece_text).
local function parse_tree(xml)
  local root = { name = "#document", kids = {}, text = {} }
  local stack = { root }
  local pos, n = 1, #xml
  local function fail(msg)
    return nil, Error.new("protocol", "soap: malformed envelope (" .. msg .. ")")
  end
  local elements, pieces = 0, 0
  local function too_many(what, max)
    return nil, Error.new("limit", ("soap: envelope has more than %d %s"):format(max, what))
  end
  while pos <= n do
    local lt = xml:find("<", pos, true)
    local top = stack[#stack]
    if not lt then
      if xml:find("%S", pos) then return fail("text after the root") end
      break
    end
    if lt > pos then
      pieces = pieces + 1
      if pieces > MAX_PIECES then return too_many("text pieces", MAX_PIECES) end
      if lt - pos >= LAZY then
        local ok, why = xml_check_refs(xml, pos, lt - 1)
        if not ok then return nil, Error.new("protocol", "soap: " .. why) end
        top.text[#top.text + 1] = { xml, pos, lt - 1 }
      else
        local txt, err = M.unescape(xml, pos, lt - 1)
        if not txt then return nil, err end
        top.text[#top.text + 1] = txt
      end
    end
    if xml:sub(lt, lt + 3) == "<!--" then
      local e = xml:find("-->", lt + 4, true)
      if not e then return fail("unterminated comment") end
      pos = e + 3
    elseif xml:sub(lt, lt + 8) == "<![CDATA[" then
      local e = xml:find("]]>", lt + 9, true)
      if not e then return fail("unterminated CDATA") end
      pieces = pieces + 1
      if pieces > MAX_PIECES then return too_many("text pieces", MAX_PIECES) end
      top.text[#top.text + 1] = xml:sub(lt + 9, e - 1)
      pos = e + 3
    elseif xml:sub(lt, lt + 1) == "<?" then
      local e = xml:find("?>", lt + 2, true)
      if not e then return fail("unterminated processing instruction") end
      pos = e + 2
    elseif xml:sub(lt, lt + 1) == "<!" then
      return fail("DOCTYPE not allowed")
    elseif xml:sub(lt, lt + 1) == "</" then
      local qname, e = xml:match("^</([^%s>]+)%s*>()", lt)
      if not qname then return fail("bad end tag") end
      if #stack == 1 or top.qname ~= qname then return fail("mismatched </" .. qname .. ">") end
      stack[#stack] = nil
      pos = e
    else
      local qname, p = xml:match("^<([^%s/>]+)()", lt)
      if not qname then return fail("bad start tag") end
      elements = elements + 1
      if elements > MAX_ELEMENTS then return too_many("elements", MAX_ELEMENTS) end
      if #stack > MAX_DEPTH then return too_many("levels of nesting", MAX_DEPTH) end
      local el = { qname = qname, name = qname:match("[^:]*$"), attrs = {}, kids = {}, text = {} }
      while true do
        local an, q, vstart = xml:match("^%s+([^%s=/>]+)%s*=%s*([\"'])()", p)
        if not an then break end
        local vend = xml:find(q, vstart, true)
        if not vend then return fail("unterminated attribute") end
        local v, err = M.unescape(xml, vstart, vend - 1)
        if not v then return nil, err end
        el.attrs[an] = v
        p = vend + 1
      end
      local slash, e = xml:match("^%s*(/?)>()", p)
      if not slash then return fail("bad tag <" .. qname .. ">") end
      if #stack == 1 and #root.kids > 0 then return fail("two roots") end
      top.kids[#top.kids + 1] = el
      if slash == "" then stack[#stack + 1] = el end
      pos = e
    end
  end
  if #stack > 1 then return fail("unclosed <" .. stack[#stack].qname .. ">") end
  if not root.kids[1] then return fail("no root element") end
  return root.kids[1]
end

-- First element with local name `name` in the subtree (depth first), or nil.
local function find(el, name)
  for _, k in ipairs(el.kids) do
    if k.name == name then return k end
    local f = find(k, name)
    if f then return f end
  end
  return nil
end

-- The text of a piece (parse_tree checked its references already); utf8_decl: with
-- its declaration marked as in mark_utf8.
local function piece_text(p, utf8_decl)
  if type(p) == "string" then return p end
  return (xml_unescape(p[1], p[2], p[3], utf8_decl))
end

-- All text of an element and its descendants.
local function all_text(el, out)
  out = out or {}
  for _, t in ipairs(el.text) do out[#out + 1] = piece_text(t) end
  for _, k in ipairs(el.kids) do all_text(k, out) end
  return out
end

-- The inner document as UTF-8 with its declaration saying so.
local function mark_utf8(doc)
  return (doc:gsub("^(%s*<%?xml[^>]-encoding%s*=%s*)([\"'])[^\"']*%2", "%1%2UTF-8%2", 1))
end

-- The element's own text as the inner document, marked UTF-8 (one copy of it when
-- it is a single run of text, the usual case).
local function own_document(el)
  local text = el.text
  if #text == 1 then
    local p = text[1]
    if type(p) ~= "string" then return piece_text(p, true) end
    return mark_utf8(p)
  end
  local parts = {}
  for i = 1, #text do parts[i] = piece_text(text[i]) end
  return mark_utf8(table.concat(parts))
end

-- Parses an envelope (converting it first when it declares Latin-1) down to Body.
local function body_of(envelope)
  if type(envelope) ~= "string" then
    return nil, Error.new("protocol", "soap: empty response")
  end
  local text, err = as_utf8(envelope)
  if not text then return nil, Error.new("protocol", err.message) end
  local root
  root, err = parse_tree(text)
  if not root then return nil, err end
  if root.name ~= "Envelope" then return nil, Error.new("protocol", "soap: not a SOAP envelope") end
  local body = find(root, "Body")
  if not body then return nil, Error.new("protocol", "soap: envelope without Body") end
  return body
end

-- A Fault element as an ocip.Error: NO_OCS_CONNECTION (the web service cannot
-- reach the OCS behind it) is `closed`, anything else (INVALID_REQUEST, ...) `protocol`.
local function fault_error(fault)
  local code_el = find(fault, "faultcode") or find(fault, "Code")
  local string_el = find(fault, "faultstring") or find(fault, "Reason")
  local code = code_el and table.concat(all_text(code_el)) or nil
  local reason = string_el and table.concat(all_text(string_el)) or nil
  local everything = table.concat(all_text(fault), " ")
  local kind = everything:find("NO_OCS_CONNECTION", 1, true) and "closed" or "protocol"
  return Error.new(kind, "SOAP fault: " .. (reason or code or "(no reason)"), {
    fault_code = code, fault_string = reason,
  })
end

local function extract(body, wrapper_child)
  local fault = find(body, "Fault")
  if fault then return nil, fault_error(fault) end
  local el = find(body, wrapper_child)
  if not el then
    return nil, Error.new("protocol", "soap: no " .. wrapper_child .. " in the envelope")
  end
  return own_document(el)
end

local REQUEST_OPEN = HEAD .. "<processOCIMessage" .. ENCODING_STYLE .. "><arg0" .. STRING_TYPE .. ">"
local REQUEST_CLOSE = "</arg0></processOCIMessage>" .. TAIL
local RESPONSE_OPEN = HEAD .. '<processOCIMessageResponse' .. ENCODING_STYLE .. '>'
  .. '<processOCIMessageReturn' .. STRING_TYPE .. '>'
local RESPONSE_CLOSE = "</processOCIMessageReturn></processOCIMessageResponse>" .. TAIL

--- envelope(document) -> SOAP request body (UTF-8) carrying the OCI document, or nil, err.
function M.envelope(document)
  local doc, err = as_utf8(document)
  if not doc then return nil, err end
  return text_escape(doc, REQUEST_OPEN, REQUEST_CLOSE)
end

--- parse_response(body) -> inner OCI document (UTF-8) or nil, err (faults mapped).
function M.parse_response(body)
  local b, err = body_of(body)
  if not b then return nil, err end
  return extract(b, "processOCIMessageReturn")
end

--- parse_request(body) -> the OCI document a client sent (simulator side), or nil, err.
function M.parse_request(body)
  local b, err = body_of(body)
  if not b then return nil, err end
  local call = find(b, "processOCIMessage")
  if not call then return nil, Error.new("protocol", "soap: no processOCIMessage in the request") end
  local arg = find(call, "arg0") or call.kids[1]
  if not arg then return nil, Error.new("protocol", "soap: processOCIMessage without argument") end
  return own_document(arg)
end

--- response_envelope(document) -> SOAP response body carrying the OCI document, or nil, err.
function M.response_envelope(document)
  local doc, err = as_utf8(document)
  if not doc then return nil, err end
  return text_escape(doc, RESPONSE_OPEN, RESPONSE_CLOSE)
end

--- fault_envelope(code, message) -> SOAP fault body: faultcode soapenv:Server,
--- faultstring "CODE: message" (CODE such as NO_OCS_CONNECTION or INVALID_REQUEST).
function M.fault_envelope(code, message)
  local reason = message and (code .. ": " .. message) or code
  return HEAD .. "<soapenv:Fault><faultcode>soapenv:Server</faultcode><faultstring>"
    .. M.escape(reason) .. "</faultstring></soapenv:Fault>" .. TAIL
end

--- cookie_from(headers) -> the JSESSIONID cookie value from a response's headers, or nil.
--- headers["set-cookie"] may be a string or an array (core.http_request gives an array).
function M.cookie_from(headers)
  local sc = headers and headers["set-cookie"]
  if type(sc) == "string" then sc = { sc } end
  if type(sc) ~= "table" then return nil end
  local found
  for _, c in ipairs(sc) do
    local v = c:match("^%s*JSESSIONID=([^;%s]*)")
    if v then found = v end -- the last one wins, as in a browser
  end
  return found
end

return M
