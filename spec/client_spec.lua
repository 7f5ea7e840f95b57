-- The client API: options, login, commands, errors, close. First against an in-process
-- fake transport (session logic alone), then against the simulator over plain TCP.
package.path = "spec/support/?.lua;" .. package.path
local ocip = require "ocip"
local Error = require "ocip.error"
local helper = require "client_helper"
local run = helper.run

describe("ocip client (fake transport)", function()
  local fake

  before_each(function()
    package.loaded.fake_oci = nil
    fake = require "fake_oci"
    fake.install()
  end)
  after_each(function() fake.uninstall() end)

  local function opts(extra)
    local o = { host = "fake.invalid", port = 2208, username = "admin", password = "secret",
      _transport = fake, log = false, timeout = 2 }
    for k, v in pairs(extra or {}) do o[k] = v end
    return o
  end

  it("rejects bad options with usage errors, before any connection", function()
    local cases = {
      { host = nil }, { transport = "udp" }, { batch = 16 }, { batch = 0 }, { sessions = 1.5 },
      { timeout = -1 }, { login = "md5" }, { port = 70000 }, { pipeline = 0 }, { rate = 0 },
      { password = 42 },
    }
    for _, extra in ipairs(cases) do
      local o = opts(extra)
      if extra.host == nil and next(extra) == nil then o.host = nil end
      local c, err = ocip.client(o)
      assert.is_nil(c)
      assert.is_true(Error.is(err))
      assert.equal("usage", err.kind)
    end
    local c, err = ocip.client(opts { host = false })
    assert.is_nil(c); assert.equal("usage", err.kind)
    assert.equal(0, fake.stats.connections)
  end)

  it("refuses 22V5 over plain TCP before sending anything", function()
    local c, err = ocip.client(opts { login = "22V5" })
    assert.is_nil(c)
    assert.equal("usage", err.kind)
    assert.matches("TLS", err.message)
    assert.equal(0, fake.stats.documents)
  end)

  it("logs in with 14sp4, answers commands, batches concurrent ones", function()
    run(10, function()
      local c = assert(ocip.connect(opts()))
      assert.equal(1, fake.stats.logins)
      local r = assert(c:UserGetRequest23V2 { user_id = "alice@example.net" })
      assert.equal("alice@example.net", r.first_name)
      r = assert(c:command(ocip.commands.UserGetRequest23V2 { user_id = "bob@example.net" }))
      assert.equal("bob@example.net", r.first_name)
      r = assert(c:command { _type = "UserGetRequest23V2", userId = "carol@example.net" })
      assert.equal("carol@example.net", r.first_name)
      r = assert(c:raw_command("UserGetRequest23V2", { userId = "dave@example.net" }))
      assert.equal("dave@example.net", r.first_name)
      local before = fake.stats.documents
      local tasks = {}
      for i = 1, 60 do
        tasks[i] = ocip.core.spawn(function()
          local u = "u" .. i .. "@example.net"
          local resp = assert(c:UserGetRequest23V2 { user_id = u })
          assert.equal(u, resp.first_name)
        end)
      end
      for i = 1, 60 do assert(ocip.core.join(tasks[i])) end
      assert.is_true(fake.stats.documents - before <= 8, "60 commands should travel in few documents")
      c:close()
    end)
  end)

  it("validates before sending", function()
    run(10, function()
      local c = assert(ocip.connect(opts()))
      local docs = fake.stats.documents
      local r, err = c:UserGetRequest23V2 { user_id = "a@b", no_such_field = 1 }
      assert.is_nil(r)
      assert.equal("validation", err.kind)
      assert.equal(false, err.sent)
      assert.equal("UserGetRequest23V2", err.command)
      r, err = c:raw_command("NoSuchRequest", {})
      assert.is_nil(r)
      assert.is_true(err.kind == "usage" or err.kind == "validation")
      assert.equal(docs, fake.stats.documents)
      -- a request name that does not exist is a programming error, raised at once
      local ok, uerr = pcall(function() return c.NoSuchRequestAtAll end)
      assert.is_false(ok)
      assert.equal("usage", uerr.kind)
      assert.is_nil(c.no_such_method)
      c:close()
    end)
  end)

  it("raise = true throws the same error object", function()
    run(10, function()
      local c = assert(ocip.connect(opts { raise = true }))
      local ok, err = pcall(c.UserGetRequest23V2, c, { user_id = "a@b", bogus = true })
      assert.is_false(ok)
      assert.is_true(Error.is(err))
      assert.equal("validation", err.kind)
      c:close()
      ok, err = pcall(c.UserGetRequest23V2, c, { user_id = "a@b" })
      assert.is_false(ok)
      assert.equal("closed", err.kind)
      assert.equal(false, err.sent)
    end)
  end)

  it("server errors carry code and summary; warnings keep the response", function()
    run(10, function()
      local c = assert(ocip.connect(opts()))
      fake.handler = function(typ)
        if typ == "UserDeleteRequest" then
          return Error.new("server", "nope", { summary = "[Error 4008] User not found", code = 4008, severity = "Error" })
        end
        return Error.new("server", "careful", { summary = "careful", severity = "Warning" })
      end
      local r, err = c:UserDeleteRequest { user_id = "x@y" }
      assert.is_nil(r)
      assert.equal("server", err.kind)
      assert.equal(4008, err.code)
      assert.equal(true, err.sent)
      assert.equal("UserDeleteRequest", err.command)
      assert.matches("4008", tostring(err))
      r, err = c:UserModifyRequest22 { user_id = "x@y", last_name = "Z" }
      assert.is_nil(err)
      assert.equal("SuccessResponse", r._type)
      assert.equal("Warning", r.warnings[1].severity)
      c:close()
    end)
  end)

  it("wrong password: auth error with the server's summary, no retry storm", function()
    run(10, function()
      local c, err = ocip.connect(opts { password = "wrong" })
      assert.is_nil(c)
      assert.equal("auth", err.kind)
      assert.matches("Invalid password", err.summary)
      assert.equal(1, fake.stats.connections)
      -- explicit form: commands after a refused login fail at once, no new logins
      c = assert(ocip.client(opts { password = "wrong" }))
      local ok, aerr = c:authenticate()
      assert.is_nil(ok); assert.equal("auth", aerr.kind)
      local conns = fake.stats.connections
      for _ = 1, 5 do
        local r, e = c:UserGetRequest23V2 { user_id = "a@b" }
        assert.is_nil(r); assert.equal("auth", e.kind); assert.equal(false, e.sent)
      end
      assert.equal(conns, fake.stats.connections)
      c:close()
      -- lazy form: a command whose session cannot log in was never sent
      c = assert(ocip.client(opts { password = "wrong" }))
      local r, e = c:UserGetRequest23V2 { user_id = "a@b" }
      assert.is_nil(r); assert.equal("auth", e.kind); assert.equal(false, e.sent)
      assert.equal("UserGetRequest23V2", e.command)
      assert.truthy(tostring(e):find("[not sent]", 1, true), tostring(e))
      assert.is_nil(tostring(e):find("may have reached", 1, true))
      c:close()
    end)
  end)

  it("auto login over TLS tries 22V5, then falls back to 14sp4", function()
    run(10, function()
      local c = assert(ocip.connect(opts { tls = true, port = 2209 }))
      local seen = table.concat(fake.stats.commands, ",")
      assert.matches("LoginRequest22V5,AuthenticationRequest,LoginRequest14sp4", seen, 1, true)
      c:close()
    end)
  end)

  it("close logs out, is idempotent, and later commands fail unsent", function()
    run(10, function()
      local c = assert(ocip.connect(opts()))
      assert(c:UserGetRequest23V2 { user_id = "a@b" })
      c:close()
      c:close()
      assert.equal("LogoutRequest", fake.stats.commands[#fake.stats.commands])
      local r, err = c:UserGetRequest23V2 { user_id = "a@b" }
      assert.is_nil(r)
      assert.equal("closed", err.kind)
      assert.equal(false, err.sent)
    end)
  end)

  it("<close> logs out at the end of the scope", function()
    run(10, function()
      do
        local c <close> = assert(ocip.connect(opts()))
        assert(c:UserGetRequest23V2 { user_id = "a@b" })
      end
      assert.equal("LogoutRequest", fake.stats.commands[#fake.stats.commands])
    end)
  end)

  it("commands outside a task are a clear error", function()
    local c = assert(ocip.client(opts()))
    -- a plain coroutine is not an ocip task (under the host, busted itself runs in one)
    local ok, err = coroutine.wrap(function() return pcall(c.UserGetRequest23V2, c, { user_id = "a@b" }) end)()
    assert.is_false(ok)
    assert.matches("ocip task", tostring(err and err.message or err))
  end)

  it("connection loss: reads retried once on a new login, writes fail closed/sent", function()
    run(10, function()
      local c = assert(ocip.connect(opts { sessions = 1 }))
      fake.faults.drop = 1
      local r = assert(c:UserGetRequest23V2 { user_id = "a@b" })
      assert.equal("a@b", r.first_name)
      assert.equal(2, fake.stats.logins)
      fake.faults.drop = 1
      local r2, err = c:UserDeleteRequest { user_id = "a@b" }
      assert.is_nil(r2)
      assert.equal("closed", err.kind)
      assert.equal(true, err.sent)
      local deletes = 0
      for _, name in ipairs(fake.stats.commands) do if name == "UserDeleteRequest" then deletes = deletes + 1 end end
      assert.equal(1, deletes)
      -- a read that fails twice is not retried a third time
      fake.faults.drop = 2
      local r3, err3 = c:UserGetRequest23V2 { user_id = "a@b" }
      assert.is_nil(r3)
      assert.equal("closed", err3.kind)
      c:close()
    end)
  end)

  it("mismatched answer count fails the document's commands with protocol", function()
    run(10, function()
      local c = assert(ocip.connect(opts { sessions = 1 }))
      fake.faults.count = 1
      local r, err = c:UserGetRequest23V2 { user_id = "a@b" }
      assert.is_nil(r)
      assert.equal("protocol", err.kind)
      -- and the next command works on a fresh connection
      assert(c:UserGetRequest23V2 { user_id = "a@b" })
      c:close()
    end)
  end)

  it("a stalled answer times out, the connection is discarded", function()
    run(10, function()
      local c = assert(ocip.connect(opts { sessions = 1, timeout = 0.3 }))
      fake.faults.stall = 1
      local t0 = ocip.core.now()
      local r, err = c:UserGetRequest23V2 { user_id = "a@b" }
      assert.is_nil(r)
      assert.equal("timeout", err.kind)
      assert.equal(true, err.sent)
      assert.is_true(ocip.core.now() - t0 < 1)
      local conns = fake.stats.connections
      assert(c:UserGetRequest23V2 { user_id = "a@b" })
      assert.equal(conns + 1, fake.stats.connections)
      c:close()
    end)
  end)

  it("pipeline = n keeps several documents in flight, each answer to its commands", function()
    run(10, function()
      fake.faults.latency = 0.02
      local c = assert(ocip.connect(opts { sessions = 1, pipeline = 4, batch = 2 }))
      local tasks = {}
      for i = 1, 40 do
        tasks[i] = ocip.core.spawn(function()
          local u = "p" .. i
          local resp = assert(c:UserGetRequest23V2 { user_id = u })
          assert.equal(u, resp.first_name)
        end)
      end
      for i = 1, 40 do assert(ocip.core.join(tasks[i])) end
      c:close()
    end)
  end)

  it("rate caps commands per second", function()
    run(10, function()
      local c = assert(ocip.connect(opts { rate = 50, batch = 5 }))
      local t0 = ocip.core.now()
      local tasks = {}
      for i = 1, 60 do
        tasks[i] = ocip.core.spawn(function() assert(c:UserGetRequest23V2 { user_id = "r" .. i }) end)
      end
      for i = 1, 60 do assert(ocip.core.join(tasks[i])) end
      local took = ocip.core.now() - t0
      -- 60 commands at 50/s with one second of burst: at least ~0.2 s
      assert.is_true(took >= 0.15, "took " .. took)
      c:close()
    end)
  end)
end)

-- Against the simulator over plain TCP ------------------------------------------------
local has_sim = pcall(require, "ocip.sim") and ocip.core.tcp_connect ~= nil

describe("ocip client against the simulator (TCP)", function()
  if not has_sim then
    pending("ocip.sim / core.tcp_connect not available in this build")
    return
  end
  local sim

  local function start(o)
    local s
    run(10, function() s = require("ocip.sim").start(o or { users = 50 }) end)
    return s
  end

  local function opts(extra)
    local o = { host = "127.0.0.1", port = sim.tcp_port, tls = false, username = sim.admin,
      password = sim.password, timeout = 5, log = false }
    for k, v in pairs(extra or {}) do o[k] = v end
    return o
  end

  it("logs in (14sp4), gets, adds, reports an ErrorResponse, logs out", function()
    run(20, function()
      sim = require("ocip.sim").start { users = 20 }
      local c = assert(ocip.connect(opts()))
      local u = assert(c:UserGetRequest23V2 { user_id = "user000001@example.net" })
      local st = sim.state:user("user000001@example.net")
      assert.equal(st.first_name, u.first_name)
      assert.equal(st.last_name, u.last_name)
      assert.equal("number", math.type(1) and "number")
      local ok, err = c:UserAddRequest22 {
        service_provider_id = "sp1", group_id = "g1", user_id = "new.user@example.net",
        last_name = "User", first_name = "New", calling_line_id_last_name = "User",
        calling_line_id_first_name = "New", password = "S3cret!pw",
      }
      assert.is_nil(err)
      assert.truthy(ok)
      assert.truthy(sim.state:user("new.user@example.net"))
      local r
      r, err = c:UserGetRequest23V2 { user_id = "nobody@example.net" }
      assert.is_nil(r)
      assert.equal("server", err.kind)
      assert.equal(true, err.sent)
      assert.truthy(err.summary)
      c:close()
      c:close()
      r, err = c:UserGetRequest23V2 { user_id = "user000001@example.net" }
      assert.is_nil(r); assert.equal("closed", err.kind); assert.equal(false, err.sent)
      sim.stop()
    end)
  end)

  it("refuses 22V5 over plain TCP, and a wrong password is an auth error", function()
    run(20, function()
      sim = require("ocip.sim").start { users = 1 }
      local c, err = ocip.connect(opts { login = "22V5" })
      assert.is_nil(c); assert.equal("usage", err.kind)
      c, err = ocip.connect(opts { password = "not-the-password" })
      assert.is_nil(c)
      assert.equal("auth", err.kind)
      assert.truthy(err.summary)
      sim.stop()
    end)
  end)

  it("unreachable server: connect error", function()
    run(20, function()
      local c, err = ocip.connect { host = "127.0.0.1", port = 1, tls = false, username = "a",
        password = "b", timeout = 2, log = false }
      assert.is_nil(c)
      assert.is_true(err.kind == "connect" or err.kind == "timeout")
    end)
  end)
  local _ = start
end)
