-- OCI-P over SOAP (HTTP POST per document, JSESSIONID per session) against the simulator.
package.path = "spec/support/?.lua;" .. package.path
local ocip = require "ocip"
local helper = require "client_helper"

local has_sim = pcall(require, "ocip.sim") and ocip.core.tcp_listen ~= nil and ocip.core.http_request ~= nil

describe("ocip client over SOAP", function()
  if not has_sim then
    pending("ocip.sim / core.tcp_listen / core.http_request not available in this build")
    return
  end

  local function with_sim(fn, sim_opts)
    local o = sim_opts or { users = 10 }
    o.soap_port = 0
    helper.with_sim(o, fn)
  end

  local function opts(sim, extra)
    local o = { transport = "soap", url = sim.soap_url, username = sim.admin, password = sim.password,
      timeout = 5, log = false }
    for k, v in pairs(extra or {}) do o[k] = v end
    return o
  end

  it("logs in (14sp4 over http), Get, Add, ErrorResponse, logout", function()
    with_sim(function(sim)
      local lines = {}
      local c = assert(ocip.connect(opts(sim, { log = ocip.log.fn(function(_, l) lines[#lines + 1] = l end, "trace") })))
      local u = assert(c:UserGetRequest23V2 { user_id = "user000003@example.net" })
      local st = sim.state:user("user000003@example.net")
      assert.equal(st.first_name, u.first_name)
      assert.equal(st.email_address, u.email_address)
      assert(c:UserAddRequest22 { service_provider_id = "sp1", group_id = "g1", user_id = "soap.user@example.net",
        last_name = "S", first_name = "O", calling_line_id_last_name = "S", calling_line_id_first_name = "O" })
      assert.truthy(sim.state:user("soap.user@example.net"))
      local r, err = c:UserGetRequest23V2 { user_id = "missing@example.net" }
      assert.is_nil(r); assert.equal("server", err.kind); assert.truthy(err.summary)
      c:close()
      ocip.core.sleep(0.2) -- the LogoutRequest POST is not waited for
      local all = table.concat(lines, "\n")
      assert.truthy(all:find("LoginRequest14sp4", 1, true))
      assert.truthy(all:find("LogoutRequest", 1, true))
      r, err = c:UserGetRequest23V2 { user_id = "user000003@example.net" }
      assert.is_nil(r); assert.equal("closed", err.kind)
    end)
  end)

  it("keeps one JSESSIONID per session: concurrent sessions all work", function()
    with_sim(function(sim)
      local c = assert(ocip.connect(opts(sim, { sessions = 3, batch = 2 })))
      local ids = {}
      for i = 1, 10 do ids[i] = ("user%06d@example.net"):format(i) end
      local res, errs = ocip.gather(ids, function(id) return c:UserGetRequest23V2 { user_id = id } end, { limit = 10 })
      for i, id in ipairs(ids) do
        assert.is_nil(errs[i])
        assert.equal(sim.state:user(id).email_address, res[i].email_address)
      end
      c:close()
    end)
  end)

  it("22V5 over plain http is refused before sending; https is required", function()
    with_sim(function(sim)
      helper.connect_fails(opts(sim, { login = "22V5" }), "usage")
    end)
  end)

  it("a wrong password is an auth error", function()
    with_sim(function(sim)
      local err = helper.connect_fails(opts(sim, { password = "nope" }), "auth")
      assert.truthy(err.summary)
    end)
  end)
end)
