-- The simulator's SOAP endpoint answers GET ...?wsdl with its WSDL (rpc/encoded,
-- urn:com:broadsoft:webservice, processOCIMessage string -> string) and serves the
-- request a SOAP library builds from it.
local ocip = require "ocip"
local core = ocip.core
local base = require "spec.support.client_helper"
local soap = require "ocip.soap"

local have = core.http_request ~= nil and core.tcp_listen ~= nil

-- Well-formed XML whose root element is wsdl:definitions (lua-expat, namespace-aware:
-- the root's name comes back as "namespace-URI|local-name").
local WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"
local function wsdl_root(doc)
  local lxp = require "lxp"
  local root
  local p = lxp.new({ StartElement = function(_, name) root = root or name end }, "|")
  local ok, msg, line = p:parse(doc)
  if ok then ok, msg, line = p:parse() end
  p:close()
  if not ok then return nil, ("not well-formed: %s (line %s)"):format(tostring(msg), tostring(line)) end
  return root
end

local function with_soap(fn)
  base.with_sim({ users = 2, soap_port = 0 }, fn, 30)
end

local function get(url, headers)
  return core.http_request { url = url, method = "GET", headers = headers or {}, timeout = 10 }
end

describe("ocip sim WSDL", function()
  if not have then
    it("needs core.http_request", function() pending("core.http_request not built") end)
    return
  end

  it("reads a request whose header trickles in a byte at a time (and one sent whole)", function()
    with_soap(function(sim)
      local path = sim.soap_url:match("^https?://[^/]+(/.*)$")
      local doc = '<?xml version="1.0" encoding="UTF-8"?><BroadsoftDocument protocol="OCI" xmlns="C" '
        .. 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><sessionId xmlns="">trickle-1</sessionId>'
        .. '<command xsi:type="AuthenticationRequest" xmlns=""><userId>' .. sim.admin .. '</userId></command>'
        .. '</BroadsoftDocument>'
      local body = assert(soap.envelope(doc))
      local request = ("POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/xml; charset=utf-8\r\n"
        .. "SOAPAction: \"\"\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s"):format(path, #body, body)
      local head_len = request:find("\r\n\r\n", 1, true) + 3
      for _, step in ipairs { 1, 3, #request } do
        local conn <close> = assert(core.tcp_connect { host = "127.0.0.1", port = sim.soap_port, mode = "raw",
          timeout = 10 })
        local i = 1
        while i <= #request do
          -- the header piece by piece; the body (after the header's last piece) in one go
          local j = i <= head_len and math.min(i + step - 1, head_len) or #request
          assert(conn:write(request:sub(i, j)))
          if j < head_len then core.sleep(0.0005) end
          i = j + 1
        end
        local got = {}
        while true do
          local chunk = conn:read()
          if not chunk then break end
          got[#got + 1] = chunk
        end
        local reply = table.concat(got)
        assert.truthy(reply:find("^HTTP/1%.1 200"), ("step %d: %s"):format(step, reply:sub(1, 200)))
        local inner = assert(soap.parse_response(reply:match("\r\n\r\n(.*)$")))
        assert.truthy(inner:find("AuthenticationResponse", 1, true), ("step %d: %s"):format(step, inner))
      end
    end)
  end)

  it("answers GET ...?wsdl with a well-formed rpc/encoded WSDL naming the operation and address", function()
    with_soap(function(sim)
      local r = assert(get(sim.soap_url .. "?wsdl"))
      assert.equal(200, r.status)
      assert.matches("^text/xml", r.headers["content-type"])
      local doc = r.body
      local root, why = wsdl_root(doc)
      assert.equal(WSDL_NS .. "|definitions", root, why)
      assert.matches('targetNamespace="urn:com:broadsoft:webservice"', doc, 1, true)
      assert.matches('<wsdl:operation name="processOCIMessage"', doc, 1, true)
      assert.matches('<wsdl:part name="arg0" type="xsd:string"/>', doc, 1, true)
      assert.matches('<wsdl:part name="processOCIMessageReturn" type="xsd:string"/>', doc, 1, true)
      assert.matches('style="rpc"', doc, 1, true)
      assert.matches('use="encoded"', doc, 1, true)
      assert.matches('<wsdlsoap:address location="' .. sim.soap_url .. '"/>', doc, 1, true)
      -- one operation only
      local n = 0
      for _ in doc:gmatch('<wsdl:operation name="') do n = n + 1 end
      assert.equal(2, n) -- portType and binding
      -- ?WSDL in another case, after other parameters; the Host header names the address
      r = assert(get(sim.soap_url .. "?x=1&WSDL", { Host = "bw.example.net:8080" }))
      assert.equal(200, r.status)
      assert.matches('location="http://bw.example.net:8080/webservice/services/ProvisioningService"',
        r.body, 1, true)
      -- a GET without ?wsdl is not a SOAP call; a hostile Host header is not echoed
      assert.equal(405, assert(get(sim.soap_url)).status)
      r = assert(get(sim.soap_url .. "?wsdl", { Host = 'x"><evil/>' }))
      assert.matches('location="' .. sim.soap_url .. '"', r.body, 1, true)
      assert.equal(WSDL_NS .. "|definitions", (wsdl_root(r.body)))
      assert.equal(404, assert(get("http://127.0.0.1:" .. sim.soap_port .. "/other?wsdl")).status)
    end)
  end)

  it("serves the rpc/encoded call a SOAP library builds from the WSDL", function()
    with_soap(function(sim)
      local doc = '<?xml version="1.0" encoding="ISO-8859-1"?><BroadsoftDocument protocol="OCI" xmlns="C" '
        .. 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><sessionId xmlns="">s1</sessionId>'
        .. '<command xsi:type="AuthenticationRequest" xmlns=""><userId>admin</userId></command>'
        .. '</BroadsoftDocument>'
      -- the shape zeep / PHP SoapClient send: the operation in the service namespace,
      -- the argument typed xsd:string
      local body = '<?xml version="1.0" encoding="UTF-8"?>'
        .. '<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" '
        .. 'xmlns:ns1="urn:com:broadsoft:webservice" xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
        .. 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        .. 'xmlns:SOAP-ENC="http://schemas.xmlsoap.org/soap/encoding/" '
        .. 'SOAP-ENV:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><SOAP-ENV:Body>'
        .. '<ns1:processOCIMessage><arg0 xsi:type="xsd:string">' .. soap.escape(doc)
        .. '</arg0></ns1:processOCIMessage></SOAP-ENV:Body></SOAP-ENV:Envelope>'
      local r = assert(core.http_request { url = sim.soap_url, method = "POST", body = body, timeout = 10,
        headers = { ["Content-Type"] = "text/xml; charset=utf-8", SOAPAction = '""' } })
      assert.equal(200, r.status)
      local answer = assert(soap.parse_response(r.body))
      local d = assert(core.decode(answer))
      assert.equal("AuthenticationResponse", d.responses[1]._type)
      assert.equal("admin", d.responses[1].user_id)
    end)
  end)
end)
