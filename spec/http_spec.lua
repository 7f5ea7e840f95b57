-- core.http_request (libcurl multi on the libuv loop) against a tiny HTTP/1.1
-- server written here on core.tcp_listen{mode="raw"}, and ocip.soap.
local ocip = require "ocip"
local core = ocip.core
local soap = require "ocip.soap"

-- Runs fn(env) as the main task; env tracks servers/connections and closes them
-- at the end so that no task is left waiting. Errors surface to busted.
local function run(fn)
  local env = { servers = {}, conns = {} }
  local ok, err
  local function body()
    ok, err = pcall(fn, env)
    for _, c in ipairs(env.conns) do c:close() end
    for _, s in ipairs(env.servers) do s:close() end
  end
  -- under the ocip host the spec already runs inside the main task
  if core.current() then body() else core.run(body) end
  if not ok then error(err, 0) end
end

-- Reads one HTTP request from a raw connection: method, path, headers, body.
-- Returns nil when the peer closed. `buf` carries bytes across keep-alive requests.
local function read_request(conn, state)
  state.buf = state.buf or ""
  while not state.buf:find("\r\n\r\n", 1, true) do
    local chunk = conn:read()
    if not chunk then return nil end
    state.buf = state.buf .. chunk
  end
  local head_end = state.buf:find("\r\n\r\n", 1, true)
  local head = state.buf:sub(1, head_end - 1)
  local method, path = head:match("^(%u+) (%S+) HTTP/1%.1")
  local headers = {}
  for name, value in head:gmatch("\r\n([^:\r\n]+):%s*([^\r\n]*)") do headers[name:lower()] = value end
  local len = tonumber(headers["content-length"] or "0")
  while #state.buf < head_end + 3 + len do
    local chunk = conn:read()
    if not chunk then return nil end
    state.buf = state.buf .. chunk
  end
  local body = state.buf:sub(head_end + 4, head_end + 3 + len)
  state.buf = state.buf:sub(head_end + 4 + len)
  return { method = method, path = path, headers = headers, body = body }
end

local function response(status, headers, body)
  local lines = { ("HTTP/1.1 %d X"):format(status) }
  for _, h in ipairs(headers) do lines[#lines + 1] = h end
  lines[#lines + 1] = "Content-Length: " .. #body
  return table.concat(lines, "\r\n") .. "\r\n\r\n" .. body
end

-- Starts a server whose handler(req, conn, env) returns the bytes to answer
-- (or nil to answer nothing). Returns the port.
local function serve(env, handler)
  local server = assert(core.tcp_listen { host = "127.0.0.1", port = 0, mode = "raw" })
  env.servers[#env.servers + 1] = server
  env.accepted = 0
  core.spawn(function()
    while true do
      local conn = server:accept()
      if not conn then return end
      env.accepted = env.accepted + 1
      env.conns[#env.conns + 1] = conn
      core.spawn(function()
        local state = {}
        while true do
          local req = read_request(conn, state)
          if not req then break end
          local out = handler(req, conn, env)
          if out then conn:write(out) end
        end
        conn:close()
      end)
    end
  end)
  return server:port()
end

local function url(port, path) return ("http://127.0.0.1:%d%s"):format(port, path or "/") end

describe("core.http_request", function()
  it("POSTs and returns status, lowercased headers, body and every Set-Cookie", function()
    run(function(env)
      local seen
      local port = serve(env, function(req)
        seen = req
        return response(201, {
          "Content-Type: text/xml; charset=utf-8",
          "Set-Cookie: JSESSIONID=abc123; Path=/; HttpOnly",
          "Set-Cookie: route=r1",
          "X-Custom:   spaced value  ",
        }, "got:" .. req.body)
      end)
      local r, err = core.http_request {
        url = url(port, "/webservice/services/ProvisioningService"),
        headers = { ["Content-Type"] = "text/xml; charset=utf-8", SOAPAction = '""' },
        body = "<x>é</x>", timeout = 5,
      }
      assert.is_nil(err)
      assert.equal(201, r.status)
      assert.equal("got:<x>é</x>", r.body)
      assert.equal("text/xml; charset=utf-8", r.headers["content-type"])
      assert.equal("spaced value", r.headers["x-custom"])
      assert.same({ "JSESSIONID=abc123; Path=/; HttpOnly", "route=r1" }, r.headers["set-cookie"])
      assert.equal("abc123", soap.cookie_from(r.headers))
      assert.equal("POST", seen.method)
      assert.equal("/webservice/services/ProvisioningService", seen.path)
      assert.equal("text/xml; charset=utf-8", seen.headers["content-type"])
      assert.equal('""', seen.headers["soapaction"])
      assert.is_nil(seen.headers["expect"])
    end)
  end)

  it("accepts headers as an array of 'Name: value' lines", function()
    run(function(env)
      local port = serve(env, function(req)
        return response(200, { "Connection: close" }, req.headers["x-a"] .. "," .. req.headers["x-b"])
      end)
      local r = assert(core.http_request { url = url(port), headers = { "X-A: 1", "X-B: two" }, body = "" })
      assert.equal("1,two", r.body)
    end)
  end)

  it("reuses the connection between requests", function()
    run(function(env)
      local port = serve(env, function(req) return response(200, {}, req.body) end)
      for i = 1, 3 do
        local r = assert(core.http_request { url = url(port), body = "n" .. i, timeout = 5 })
        assert.equal("n" .. i, r.body)
      end
      assert.equal(1, env.accepted)
    end)
  end)

  it("times out against a server that never answers", function()
    run(function(env)
      local port = serve(env, function() return nil end)
      local t0 = core.now()
      local r, err = core.http_request { url = url(port), body = "x", timeout = 0.3 }
      assert.is_nil(r)
      assert.equal("timeout", err.kind)
      assert.is_true(err.sent)
      local dt = core.now() - t0
      assert.is_true(dt >= 0.25 and dt < 3, "took " .. dt)
    end)
  end)

  it("reports a refused connection as kind connect, not sent", function()
    run(function()
      local s = assert(core.tcp_listen { host = "127.0.0.1", port = 0, mode = "raw" })
      local port = s:port()
      s:close()
      local r, err = core.http_request { url = url(port), body = "x", timeout = 5 }
      assert.is_nil(r)
      assert.equal("connect", err.kind)
      assert.is_false(err.sent)
    end)
  end)

  it("enforces max_size with and without Content-Length", function()
    run(function(env)
      local big = string.rep("x", 20000)
      local port = serve(env, function(req)
        if req.path == "/chunked" then
          local chunks = { "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" }
          for _ = 1, 10 do chunks[#chunks + 1] = ("%x\r\n%s\r\n"):format(2000, big:sub(1, 2000)) end
          chunks[#chunks + 1] = "0\r\n\r\n"
          return table.concat(chunks)
        end
        return response(200, {}, big)
      end)
      for _, path in ipairs { "/sized", "/chunked" } do
        local r, err = core.http_request { url = url(port, path), body = "x", max_size = 1000, timeout = 5 }
        assert.is_nil(r, path)
        assert.equal("limit", err.kind, path)
      end
      local r = assert(core.http_request { url = url(port, "/chunked"), body = "x", max_size = 20000 })
      assert.equal(big, r.body)
    end)
  end)

  it("serves two tasks concurrently, each getting its own answer", function()
    run(function(env)
      local waiting = {}
      local port = serve(env, function(req, conn)
        -- hold every answer until both requests have arrived: proves concurrency
        waiting[#waiting + 1] = { conn = conn, body = req.body }
        if #waiting == 2 then
          for _, w in ipairs(waiting) do w.conn:write(response(200, {}, "re:" .. w.body)) end
        end
      end)
      local a = core.spawn(function() return core.http_request { url = url(port), body = "A", timeout = 5 } end)
      local b = core.spawn(function() return core.http_request { url = url(port), body = "B", timeout = 5 } end)
      local oka, ra = core.join(a)
      local okb, rb = core.join(b)
      assert.is_true(oka)
      assert.is_true(okb)
      assert.equal("re:A", ra.body)
      assert.equal("re:B", rb.body)
      assert.equal(2, env.accepted)
    end)
  end)

  it("stops the transfer when the waiting task is cancelled", function()
    run(function(env)
      local closed = false
      local port = serve(env, function(_, conn)
        closed = conn:read() == nil -- waits until the client goes away
      end)
      local t = core.spawn(function() return core.http_request { url = url(port), body = "x", timeout = 10 } end)
      core.sleep(0.2)
      core.cancel(t)
      local t0 = core.now()
      while not closed and core.now() - t0 < 3 do core.sleep(0.05) end
      assert.is_true(closed)
    end)
  end)

  it("fails with kind tls when an https server does not speak TLS", function()
    run(function(env)
      local server = assert(core.tcp_listen { host = "127.0.0.1", port = 0, mode = "raw" })
      env.servers[#env.servers + 1] = server
      core.spawn(function()
        local conn = server:accept()
        if not conn then return end
        env.conns[#env.conns + 1] = conn
        conn:read() -- the ClientHello
        conn:write("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
      end)
      local r, err = core.http_request { url = ("https://127.0.0.1:%d/"):format(server:port()), body = "x", timeout = 5 }
      assert.is_nil(r)
      assert.equal("tls", err.kind, tostring(err))
      assert.is_false(err.sent)
    end)
  end)

  it("verifies certificates by default; insecure = true skips it", function()
    local dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -p " .. dir))
    local cert, key = dir .. "/cert.pem", dir .. "/key.pem"
    assert(os.execute(("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
      .. " -keyout %s -out %s -days 1 -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1"):format(key, cert)))
    run(function(env)
      local server = assert(core.tcp_listen { host = "127.0.0.1", port = 0, mode = "raw",
        tls = { cert_file = cert, key_file = key } })
      env.servers[#env.servers + 1] = server
      core.spawn(function()
        while true do
          local conn = server:accept()
          if not conn then return end
          env.conns[#env.conns + 1] = conn
          core.spawn(function()
            local state = {}
            local req = read_request(conn, state)
            if req then conn:write(response(200, { "Connection: close" }, "secure")) end
          end)
        end
      end)
      local u = ("https://127.0.0.1:%d/"):format(server:port())
      local r, err = core.http_request { url = u, body = "x", timeout = 5 }
      assert.is_nil(r)
      assert.equal("tls", err.kind, tostring(err))
      r = assert(core.http_request { url = u, body = "x", timeout = 5, ca_file = cert })
      assert.equal("secure", r.body)
      r = assert(core.http_request { url = u, body = "x", timeout = 5, insecure = true })
      assert.equal("secure", r.body)
    end)
    os.execute("rm -rf " .. dir)
  end)

  it("refuses to run outside a task", function()
    local ok, err = coroutine.wrap(function()
      return pcall(core.http_request, { url = "http://127.0.0.1:1/", body = "" })
    end)()
    assert.is_false(ok)
    assert.matches("must be called from an ocip task", tostring(err))
  end)
end)

describe("ocip.soap over HTTP", function()
  it("carries an OCI document to a SOAP server and back", function()
    run(function(env)
      local port = serve(env, function(req)
        local doc = assert(soap.parse_request(req.body))
        local reply = doc:gsub("Request", "Response")
        return response(200, { "Content-Type: text/xml; charset=utf-8" }, assert(soap.response_envelope(reply)))
      end)
      local doc = '<?xml version="1.0" encoding="ISO-8859-1"?><BroadsoftDocument protocol="OCI">'
        .. '<command>Request Ren\233e</command></BroadsoftDocument>'
      local r = assert(core.http_request {
        url = url(port, "/webservice/services/ProvisioningService"),
        headers = { ["Content-Type"] = "text/xml; charset=utf-8", SOAPAction = '""' },
        body = assert(soap.envelope(doc)), timeout = 5,
      })
      local back = assert(soap.parse_response(r.body))
      assert.equal('<?xml version="1.0" encoding="UTF-8"?><BroadsoftDocument protocol="OCI">'
        .. "<command>Response Ren\195\169e</command></BroadsoftDocument>", back)
    end)
  end)
end)

describe("ocip.soap", function()
  local LATIN1_DOC = '<?xml version="1.0" encoding="ISO-8859-1"?>\n<BroadsoftDocument protocol="OCI" xmlns="C">'
    .. '<sessionId xmlns="">s&amp;1</sessionId><command xmlns="">'
    .. '<firstName>Ren\233e</firstName><lastName>M\252ller &lt;A&gt;</lastName></command></BroadsoftDocument>\n'
  local AS_UTF8 = LATIN1_DOC:gsub("ISO%-8859%-1", "UTF-8"):gsub("\233", "\195\169"):gsub("\252", "\195\188")

  it("wraps a Latin-1 document as escaped UTF-8 in processOCIMessage/arg0", function()
    local env = assert(soap.envelope(LATIN1_DOC))
    assert.truthy(env:find('^<%?xml version="1.0" encoding="UTF%-8"%?>'))
    assert.truthy(env:find("<soapenv:Body><processOCIMessage", 1, false))
    assert.truthy(env:find("&lt;firstName&gt;Ren\195\169e&lt;/firstName&gt;", 1, true))
    assert.truthy(env:find("s&amp;amp;1", 1, true))
    assert.falsy(env:find("[\128-\255]Ren")) -- no raw Latin-1 byte left
    assert.is_true(utf8.len(env) ~= nil)
  end)

  it("round-trips a request (simulator side) and a response (client side)", function()
    assert.equal(AS_UTF8, assert(soap.parse_request(assert(soap.envelope(LATIN1_DOC)))))
    assert.equal(AS_UTF8, assert(soap.parse_response(assert(soap.response_envelope(LATIN1_DOC)))))
    -- a UTF-8 document travels unchanged
    assert.equal(AS_UTF8, assert(soap.parse_response(assert(soap.response_envelope(AS_UTF8)))))
  end)

  it("matches processOCIMessageReturn by local name and reads CDATA and references", function()
    local body = '<?xml version="1.0" encoding="utf-8"?><!-- c --><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/">'
      .. '<s:Header/><s:Body><ns1:processOCIMessageResponse xmlns:ns1="urn:com:broadsoft:webservice">'
      .. '<ns1:processOCIMessageReturn>&lt;a x=&quot;1&quot;&gt;&#233;&#x20AC;<![CDATA[<b>&amp;</b>]]>&lt;/a&gt;'
      .. '</ns1:processOCIMessageReturn></ns1:processOCIMessageResponse></s:Body></s:Envelope>'
    assert.equal('<a x="1">\195\169\226\130\172<b>&amp;</b></a>', assert(soap.parse_response(body)))
  end)

  it("maps faults: NO_OCS_CONNECTION -> closed, INVALID_REQUEST -> protocol", function()
    local r, err = soap.parse_response(soap.fault_envelope("NO_OCS_CONNECTION", "OCS unreachable"))
    assert.is_nil(r)
    assert.is_true(ocip.Error.is(err))
    assert.equal("closed", err.kind)
    assert.equal("soapenv:Server", err.fault_code)
    assert.equal("NO_OCS_CONNECTION: OCS unreachable", err.fault_string)
    r, err = soap.parse_response(soap.fault_envelope("INVALID_REQUEST", "bad <doc> & more"))
    assert.is_nil(r)
    assert.equal("protocol", err.kind)
    assert.equal("INVALID_REQUEST: bad <doc> & more", err.fault_string)
  end)

  it("rejects malformed envelopes, DOCTYPEs and unknown entities as protocol errors", function()
    for _, bad in ipairs {
      "", "not xml", "<a><b></a>", '<!DOCTYPE x [<!ENTITY e "boom">]><x>&e;</x>',
      '<s:Envelope xmlns:s="x"><s:Body><processOCIMessageReturn>&bogus;</processOCIMessageReturn></s:Body></s:Envelope>',
      '<s:Envelope xmlns:s="x"><s:Body><other/></s:Body></s:Envelope>',
    } do
      local r, err = soap.parse_response(bad)
      assert.is_nil(r, bad)
      assert.equal("protocol", err.kind, bad)
    end
    assert.is_nil((soap.parse_response(nil)))
  end)

  it("bounds the memory an envelope full of elements or text pieces can cost", function()
    for _, filler in ipairs { "<a/>", "x<!---->", "<b>" } do
      local body = "<Envelope><Body>" .. string.rep(filler, 250000) .. "</Body></Envelope>"
      collectgarbage()
      collectgarbage("stop")
      local before = collectgarbage("count")
      local r, err = soap.parse_response(body)
      local grown = collectgarbage("count") - before
      collectgarbage("restart")
      assert.is_nil(r)
      assert.is_true(err.kind == "limit" or err.kind == "protocol", filler)
      assert.is_true(grown < 8 * 1024, ("%s: grew %d KiB"):format(filler, grown // 1))
    end
  end)

  it("escapes and unescapes text exactly once, keeping CR and rejecting bad references", function()
    assert.equal("a&amp;lt;b&gt;&lt;&#13;\n", soap.escape("a&lt;b><\r\n"))
    assert.equal("a&lt;b><\r\n", assert(soap.unescape(soap.escape("a&lt;b><\r\n"))))
    assert.equal("\195\169\240\159\152\128'\"", assert(soap.unescape("&#233;&#x1F600;&apos;&quot;")))
    assert.equal("plain", soap.unescape("plain"))
    for _, bad in ipairs { "a&b", "&#0;", "&#xD800;", "&#x110000;", "&nbsp;", "&#12a;", "&", "&lt" } do
      local r, err = soap.unescape(bad)
      assert.is_nil(r, bad)
      assert.equal("protocol", err.kind, bad)
    end
  end)

  it("refuses documents in encodings it cannot carry", function()
    local r, err = soap.envelope('<?xml version="1.0" encoding="ISO-8859-2"?><a/>')
    assert.is_nil(r)
    assert.equal("usage", err.kind)
  end)

  it("finds the JSESSIONID cookie", function()
    assert.equal("abc", soap.cookie_from { ["set-cookie"] = { "x=1", "JSESSIONID=abc; Path=/; Secure" } })
    assert.equal("z9", soap.cookie_from { ["set-cookie"] = "JSESSIONID=z9" })
    assert.is_nil(soap.cookie_from { ["set-cookie"] = { "MYJSESSIONID=no" } })
    assert.is_nil(soap.cookie_from {})
    assert.is_nil(soap.cookie_from(nil))
  end)
end)
