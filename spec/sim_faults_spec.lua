-- Each simulator fault and what a raw client sees. Faults are switched on and
-- off at run time through sim.faults (the live table).
local ocip = require "ocip"
local core = ocip.core
local S = require "spec.support.sim_raw"

local err_code = S.err_code

local function net_only()
  if not S.have_net then pending("network layer (core.tcp_listen) not built yet") return true end
end

local function f_parse(spec) return require("ocip.sim.faults").parse(spec) end

-- The encoded AuthenticationRequest of user admin in session s1.
local function auth_doc()
  return assert(ocip.xml.encode({ assert(ocip.catalog.build("AuthenticationRequest",
    { user_id = "admin" })) }, "s1"))
end

-- Asserts that under `faults` the sim closes the connection instead of answering a login.
local function closes_on_login(faults)
  S.with_sim({ users = 2, faults = faults }, function(sim)
    local c = assert(S.connect(sim))
    local r, err = c:call("AuthenticationRequest", { user_id = "admin" })
    assert.is_nil(r)
    assert.equal("closed", err.kind)
  end)
end

local GET = { "UserGetRequest23V2", { user_id = "user000001@example.net" } }

describe("ocip sim faults", function()
  it("parses the --faults spec and the Lua table form alike", function()
    local f = require "ocip.sim.faults"
    local a = f.parse("latency=5,jitter=2,drop_after=1000,drop_p=0.01,split=1,garbage_p=0.01,"
      .. "stall_p=0.01,expire_after=10,error_p=0.05,close_no_reply_p=0.01")
    assert.same({ latency = 5, jitter = 2, drop_after = 1000, drop_p = 0.01, split = true,
      garbage_p = 0.01, stall_p = 0.01, expire_after = 10, error_p = 0.05,
      close_no_reply_p = 0.01 }, a)
    assert.same(a, f.parse(a))
    assert.has_error(function() f.parse("nope=1") end)
    assert.has_error(function() f.parse("drop_p=2") end)
  end)

  it("rejects bare keys without =value, naming the item", function()
    local f = require "ocip.sim.faults"
    for _, spec in ipairs { "latency", "split", "latency=5,jitter" } do
      local ok, err = pcall(f.parse, spec)
      assert.is_false(ok, spec)
      assert.equal("usage", err.kind)
      local item = spec:match("([%w_]+)$")
      assert.truthy(tostring(err.message):find("'" .. item .. "'", 1, true), err.message)
      assert.truthy(tostring(err.message):find("key=value", 1, true), err.message)
    end
  end)

  it("error_p answers ErrorResponses, deterministically with the seed", function()
    local function run(seed)
      local codes = {}
      S.with_sim({ users = 2, seed = seed }, function(sim)
        local c = assert(S.connect(sim))
        c:login()
        sim.faults.error_p = 0.5
        for i = 1, 40 do codes[i] = err_code(c:call(GET[1], GET[2])) or 0 end
        sim.faults.error_p = nil
        assert.equal(0, err_code(c:call(GET[1], GET[2])) or 0)
        c:close()
      end)
      return codes
    end
    local a, b = run(9), run(9)
    assert.same(a, b)
    local errors = 0
    for _, v in ipairs(a) do if v == 4099 then errors = errors + 1 end end
    assert.is_true(errors > 5 and errors < 35, "errors: " .. errors)
  end)

  it("expire_commands and expire_after end the session", function()
    S.with_sim({ users = 2, faults = "expire_commands=2" }, function(sim)
      local c = assert(S.connect(sim))
      c:login()
      assert.equal("UserGetResponse23V2", c:call(GET[1], GET[2])._type)
      assert.equal("UserGetResponse23V2", c:call(GET[1], GET[2])._type)
      assert.equal(4004, err_code(c:call(GET[1], GET[2])))
      assert.equal(4004, err_code(c:call(GET[1], GET[2])))
      sim.faults.expire_commands = nil
      c:login()
      assert.equal("UserGetResponse23V2", c:call(GET[1], GET[2])._type)
      sim.faults.expire_after = 0.05
      core.sleep(0.1)
      assert.equal(4004, err_code(c:call(GET[1], GET[2])))
      c:close()
    end)
  end)

  it("latency delays every reply", function()
    if net_only() then return end
    S.with_sim({ users = 2, latency = 150 }, function(sim)
      local c = assert(S.connect(sim))
      local t0 = core.now()
      c:login()
      assert.is_true(core.now() - t0 >= 0.3)
      c:close()
    end)
  end)

  it("latency counts from the arrival of each document: pipelined documents overlap", function()
    if net_only() then return end
    S.with_sim({ users = 2, latency = 200 }, function(sim)
      local c = assert(S.connect(sim))
      local doc = auth_doc()
      local t0 = core.now()
      for _ = 1, 5 do assert(c.conn:write(doc)) end
      local times = {}
      for i = 1, 5 do
        local out = assert(c.conn:read())
        times[i] = core.now() - t0
        S.check_xsd(out)
        assert.equal("AuthenticationResponse", assert(core.decode(out)).responses[1]._type)
      end
      -- every reply 200 ms after its document arrived, not one after the other
      assert.is_true(times[1] >= 0.2, "first after " .. times[1])
      assert.is_true(times[5] < 0.2 * 2, "fifth after " .. times[5])
      c:close()
    end)
  end)

  it("jitter is deterministic with the seed", function()
    local server = require "ocip.sim.server"
    local rng = require "ocip.sim.rng"
    local function delays(seed)
      local sim = { faults = f_parse("latency=5,jitter=10"), rng = rng.new(seed) }
      local out = {}
      for i = 1, 20 do
        local what, d = server.decide(sim)
        assert.equal("reply", what)
        out[i] = d
      end
      return out
    end
    local a = delays(4)
    assert.same(a, delays(4))
    assert.are_not.same(a, delays(5))
    for _, d in ipairs(a) do assert.is_true(d >= 0.005 and d <= 0.015) end
  end)

  it("split writes one byte at a time and the document still frames", function()
    if net_only() then return end
    S.with_sim({ users = 2, faults = { split = true } }, function(sim)
      local c = assert(S.connect(sim, { mode = "raw" }))
      local doc = auth_doc()
      c.conn:write(doc)
      local chunk = assert(c.conn:read())
      assert.equal(1, #chunk)   -- the first read sees a single byte
      c:close()
    end)
  end)

  it("drop_after closes the connection mid-reply", function()
    if net_only() then return end
    closes_on_login("drop_after=100")
  end)

  it("drop_p closes with a partial reply", function()
    if net_only() then return end
    closes_on_login("drop_p=1")
  end)

  it("garbage_p replies with bytes that do not decode", function()
    if net_only() then return end
    S.with_sim({ users = 2, faults = "garbage_p=1" }, function(sim)
      local c = assert(S.connect(sim))
      local doc = auth_doc()
      local out = c:send_raw(doc)
      assert.is_string(out)
      assert.is_nil(core.decode(out))
      c:close()
    end)
  end)

  it("stall_p never replies; close_no_reply_p closes without a reply", function()
    if net_only() then return end
    S.with_sim({ users = 2, faults = "stall_p=1" }, function(sim)
      local c = assert(S.connect(sim))
      local doc = auth_doc()
      c.conn:write(doc)
      local got
      local reader = core.spawn(function() got = c.conn:read() end)
      core.sleep(0.3)
      assert.is_nil(got)
      assert.equal(1, sim.stats.stalled)
      core.cancel(reader)
      c:close()
      sim.faults.stall_p, sim.faults.close_no_reply_p = nil, 1
      local d = assert(S.connect(sim))
      local r, err = d:send_raw(doc)
      assert.is_nil(r)
      assert.equal("closed", err.kind)
    end)
  end)

  it("slow_read reads requests at BYTES/s: commands complete later; a short timeout fails each once", function()
    if net_only() then return end
    assert.same({ slow_read = 2000 }, f_parse("slow_read=2000"))
    S.with_sim({ users = 5 }, function(sim)
      -- raw client: 4 pipelined documents of ~n bytes take ~4n/rate to be read
      local c = assert(S.connect(sim))
      c:login()
      local doc = assert(ocip.xml.encode({ assert(ocip.catalog.build(GET[1], GET[2])) }, c.sid))
      sim.faults.slow_read = #doc * 10 -- 0.1 s per document
      local t0 = core.now()
      for _ = 1, 4 do assert(c.conn:write(doc)) end
      for _ = 1, 4 do
        local out = assert(c.conn:read())
        S.check_xsd(out)
        assert.equal("UserGetResponse23V2", assert(core.decode(out)).responses[1]._type)
      end
      local took = core.now() - t0
      assert.is_true(took >= 0.38, "took " .. took)
      sim.faults.slow_read = nil
      t0 = core.now()
      for _ = 1, 4 do assert(c.conn:write(doc)) end
      for _ = 1, 4 do assert(c.conn:read()) end
      assert.is_true(core.now() - t0 < 0.2)
      c:close()
      -- the client library with a short timeout: some commands time out, each
      -- command has exactly one outcome
      local cl = assert(ocip.connect { host = "127.0.0.1", port = sim.tcp_port, tls = false,
        username = sim.admin, password = sim.password, sessions = 1, batch = 1, timeout = 0.25,
        log = false })
      assert.equal("user000001@example.net", cl:UserGetRequest23V2 { user_id = GET[2].user_id }.user_id)
      sim.faults.slow_read = #doc * 5 -- 0.2 s per document
      local jobs = {}
      for i = 1, 6 do jobs[i] = ("user%06d@example.net"):format(i % 5 + 1) end
      local results, errors = ocip.gather(jobs, function(uid) return cl:UserGetRequest23V2 { user_id = uid } end)
      local ok, timeouts = 0, 0
      for i = 1, #jobs do
        assert.is_true((results[i] == nil) ~= (errors[i] == nil), "one outcome for " .. i)
        if results[i] then
          ok = ok + 1
          assert.equal(jobs[i], results[i].user_id)
        elseif errors[i].kind == "timeout" then
          timeouts = timeouts + 1
        end
      end
      assert.is_true(timeouts >= 1, "timeouts: " .. timeouts .. ", ok: " .. ok)
      sim.faults.slow_read = nil
      cl:close()
    end, 30)
  end)
end)
