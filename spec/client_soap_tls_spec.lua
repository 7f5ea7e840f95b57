-- SOAP over https has the TCP transport's TLS rules: verification on by default, a
-- client certificate from cert_file/key_file, and never less than TLS 1.2. The servers
-- here are `openssl s_server` processes (the simulator's SOAP listener is plain HTTP);
-- the transport is driven directly: an answer that is not SOAP is fine, only whether
-- the TLS handshake succeeded matters.
package.path = "spec/support/?.lua;" .. package.path
local ocip = require "ocip"
local core = ocip.core
local helper = require "client_helper"

local has_curl = core.http_request ~= nil and core.tcp_listen ~= nil
  and os.execute("command -v openssl >/dev/null 2>&1")

local quiet_log = { log = function() end, add_secret = function() end, enabled = function() return false end }

-- Starts `openssl s_server` with the given options on a free port; returns port, stop().
local function s_server(args)
  local port
  local probe = assert(core.tcp_listen { host = "127.0.0.1", port = 0, mode = "raw" })
  port = probe:port()
  probe:close()
  local pidfile = os.tmpname()
  assert(os.execute(("(timeout 30 openssl s_server -accept 127.0.0.1:%d %s -www -quiet >/dev/null 2>&1 & echo $! > %s)")
    :format(port, args, pidfile)))
  local f = assert(io.open(pidfile))
  local pid = f:read("n")
  f:close()
  os.remove(pidfile)
  -- wait until it listens
  for _ = 1, 50 do
    local c = core.tcp_connect { host = "127.0.0.1", port = port, timeout = 1, mode = "raw" }
    if c then c:close(); break end
    core.sleep(0.05)
  end
  return port, function() os.execute("kill " .. math.tointeger(pid) .. " 2>/dev/null") end
end

-- Runs fn(port) against an s_server started with args, stopping it even when fn fails.
local function with_s_server(args, fn)
  local port, stop = s_server(args)
  local ok, msg = pcall(fn, port)
  stop()
  if not ok then error(msg, 0) end
end

-- One document through the SOAP transport to `port`; returns the error (nil on success).
local function post(port, extra)
  local opts = { url = ("https://127.0.0.1:%d/webservice/services/ProvisioningService"):format(port),
    timeout = 2 }
  for k, v in pairs(extra or {}) do opts[k] = v end
  local t = require("ocip.transport.soap").open(opts, quiet_log)
  assert(t:send('<?xml version="1.0" encoding="UTF-8"?><BroadsoftDocument protocol="OCI"/>'))
  local doc, err = t:receive()
  t:close()
  if doc then return nil end
  return err
end

describe("SOAP over https: TLS like the TCP transport", function()
  if not has_curl then
    pending("core.http_request / openssl not available")
    return
  end
  local certs = require("certs").make()

  it("sends the client certificate from cert_file/key_file", function()
    helper.run(30, function()
      with_s_server(("-cert %s -key %s -CAfile %s -Verify 1 -tls1_2")
        :format(certs.cert_file, certs.key_file, certs.ca_file), function(port)
        local err = post(port, { ca_file = certs.ca_file })
        assert.is_truthy(err, "the server requires a client certificate")
        assert.equal("tls", err.kind, tostring(err))
        err = post(port, { ca_file = certs.ca_file, cert_file = certs.client_cert_file,
          key_file = certs.client_key_file })
        -- s_server -www does not answer a POST: anything but a TLS failure is a pass
        assert.is_true(err == nil or err.kind ~= "tls", tostring(err))
      end)
    end)
  end)

  it("verifies the server by default; ca_path works like ca_file", function()
    helper.run(30, function()
      local hashdir = certs.dir .. "/capath"
      os.execute(("mkdir -p %s && cp %s %s/ && (openssl rehash %s || c_rehash %s) >/dev/null 2>&1")
        :format(hashdir, certs.ca_file, hashdir, hashdir, hashdir))
      with_s_server(("-cert %s -key %s"):format(certs.cert_file, certs.key_file), function(port)
        local err = post(port)
        assert.equal("tls", err and err.kind, tostring(err))
        err = post(port, { ca_path = hashdir })
        assert.is_true(err == nil or err.kind ~= "tls", tostring(err))
      end)
    end)
  end)
end)
