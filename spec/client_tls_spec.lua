-- TLS from the first byte against the simulator, with a throw-away CA and server
-- certificate made at test time by the `openssl` command.
package.path = "spec/support/?.lua;" .. package.path
local ocip = require "ocip"
local helper = require "client_helper"

-- spec/support/certs.lua (shared) when present; else a local maker.
local function make_certs()
  local ok, certs = pcall(require, "certs")
  if not ok then ok, certs = pcall(require, "spec.support.certs") end
  if ok and type(certs) == "table" and certs.make then return certs.make() end
  local dir = os.tmpname()
  os.remove(dir)
  assert(os.execute("mkdir -p " .. dir))
  local function sh(cmd) assert(os.execute("cd " .. dir .. " && " .. cmd .. " >/dev/null 2>&1"), cmd) end
  sh("openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=ocip-test-ca")
  sh("openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=localhost")
  local ext = assert(io.open(dir .. "/ext.cnf", "w"))
  ext:write("subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n")
  ext:close()
  sh("openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile ext.cnf")
  sh("openssl req -x509 -newkey rsa:2048 -nodes -keyout other.key -out other_ca.pem -days 2 -subj /CN=other-ca")
  return { dir = dir, ca_file = dir .. "/ca.pem", cert_file = dir .. "/server.pem",
    key_file = dir .. "/server.key", other_ca_file = dir .. "/other_ca.pem" }
end

local has_net = pcall(require, "ocip.sim") and ocip.core.tcp_connect ~= nil and ocip.core.tcp_listen ~= nil

describe("ocip client over TLS", function()
  if not has_net then
    pending("ocip.sim / core.tcp_connect not available in this build")
    return
  end
  local certs = make_certs()

  local function with_sim(fn)
    helper.with_sim({ users = 10, tcp_port = false,
      tls = { cert_file = certs.cert_file, key_file = certs.key_file } }, fn)
  end

  local function opts(sim, extra)
    local o = { host = "127.0.0.1", port = sim.tls_port, tls = true, ca_file = certs.ca_file,
      username = sim.admin, password = sim.password, timeout = 5, log = false }
    for k, v in pairs(extra or {}) do o[k] = v end
    return o
  end

  it("verifies the server (22V5 by default over TLS): Get, Add, ErrorResponse, logout", function()
    with_sim(function(sim)
      local lines = {}
      local c = assert(ocip.connect(opts(sim, { log = ocip.log.fn(function(_, l) lines[#lines + 1] = l end, "trace") })))
      assert.truthy(table.concat(lines, "\n"):find("LoginRequest22V5", 1, true))
      local u = assert(c:UserGetRequest23V2 { user_id = "user000002@example.net" })
      assert.equal(sim.state:user("user000002@example.net").first_name, u.first_name)
      assert(c:UserAddRequest22 { service_provider_id = "sp1", group_id = "g1", user_id = "tls.user@example.net",
        last_name = "T", first_name = "L", calling_line_id_last_name = "T", calling_line_id_first_name = "L" })
      assert.truthy(sim.state:user("tls.user@example.net"))
      local r, err = c:UserGetRequest23V2 { user_id = "missing@example.net" }
      assert.is_nil(r); assert.equal("server", err.kind)
      c:close()
      assert.truthy(table.concat(lines, "\n"):find("LogoutRequest", 1, true))
    end)
  end)

  it("logs in with 14sp4 when asked", function()
    with_sim(function(sim)
      local lines = {}
      local c = assert(ocip.connect(opts(sim, { login = "14sp4",
        log = ocip.log.fn(function(_, l) lines[#lines + 1] = l end, "trace") })))
      local all = table.concat(lines, "\n")
      assert.truthy(all:find("LoginRequest14sp4", 1, true))
      assert.is_nil(all:find("LoginRequest22V5", 1, true))
      assert(c:UserGetRequest23V2 { user_id = "user000001@example.net" })
      c:close()
    end)
  end)

  it("rejects a wrong host name", function()
    with_sim(function(sim)
      helper.connect_fails(opts(sim, { server_name = "wrong.example.org" }), "tls")
    end)
  end)

  it("rejects an unknown CA", function()
    with_sim(function(sim)
      helper.connect_fails(opts(sim, { ca_file = certs.other_ca_file }), "tls")
    end)
  end)

  it("accepts insecure = true, with a warning", function()
    with_sim(function(sim)
      local warned = {}
      local c = assert(ocip.connect(opts(sim, { ca_file = certs.other_ca_file, insecure = true,
        log = ocip.log.fn(function(level, l) if level == "warn" then warned[#warned + 1] = l end end, "warn") })))
      assert.truthy(table.concat(warned, "\n"):find("insecure", 1, true))
      assert(c:UserGetRequest23V2 { user_id = "user000001@example.net" })
      c:close()
    end)
  end)
end)
