-- Robustness of the pool when connections cannot be made or keep failing (issue 5 audit):
-- every queued command gets its outcome by its own deadline, transient connection
-- failures are retried (with a back-off) instead of failing the whole queue, a refused
-- login still fails fast, `sent` stays true once a command was written, and nothing
-- keeps ocip.run alive once the queue is empty.
package.path = "spec/support/?.lua;" .. package.path
local ocip = require "ocip"
local helper = require "client_helper"

local has_sim = pcall(require, "ocip.sim") and ocip.core.tcp_connect ~= nil

local function user(i) return ("user%06d@example.net"):format(i % 50 + 1) end

-- Runs n reads through gather against a simulator with `fault` = 0.3; returns the tally.
local function reads_under(fault, n, limit)
  local t = { ok = 0, wrong = 0, kinds = {}, n = n }
  helper.run(limit, function()
    local sim = require("ocip.sim").start { tcp_port = 0, users = 50, seed = 1 }
    local c = assert(ocip.connect { host = "127.0.0.1", port = sim.tcp_port, tls = false,
      username = sim.admin, password = sim.password, timeout = 2, sessions = 2, batch = 2, log = false })
    sim.faults[fault] = 0.3
    local ids = {}
    for i = 1, n do ids[i] = user(i) end
    local t0 = ocip.now()
    local res, errs = ocip.gather(ids, function(id) return c:UserGetRequest23V2 { user_id = id } end,
      { limit = 200 })
    t.elapsed = ocip.now() - t0
    for i = 1, n do
      if res[i] then
        t.ok = t.ok + 1
        if res[i].user_id ~= ids[i] then t.wrong = t.wrong + 1 end
      else
        t.kinds[errs[i].kind] = (t.kinds[errs[i].kind] or 0) + 1
      end
    end
    sim.faults[fault] = nil
    c:close()
    sim.stop()
  end)
  return t
end

local function summary(t)
  local parts = {}
  for k, v in pairs(t.kinds) do parts[#parts + 1] = k .. "=" .. v end
  return ("%d/%d ok in %.1fs; failed: %s"):format(t.ok, t.n, t.elapsed or -1, table.concat(parts, " "))
end

describe("client pool robustness", function()
  if not has_sim then
    pending("ocip.sim / core.tcp_connect not available in this build")
    return
  end

  it("a queued command gets its timeout by its deadline when no connection can be made", function()
    helper.run(20, function()
      local sim = require("ocip.sim").start { tcp_port = 0, users = 5 }
      local c = assert(ocip.connect { host = "127.0.0.1", port = sim.tcp_port, tls = false,
        username = sim.admin, password = sim.password, timeout = 1, sessions = 1, log = false })
      sim.stop()
      -- the first read is written on the dead connection, retried, and cannot reconnect
      local t0 = ocip.now()
      local r1, e1 = c:UserGetRequest23V2 { user_id = "user000001@example.net" }
      assert.is_nil(r1)
      assert.is_true(e1.sent, "written once, so sent = true: " .. tostring(e1))
      assert.is_true(ocip.now() - t0 < 2.5, "first read took " .. (ocip.now() - t0))
      -- the second one is never written: it ends with a timeout at its own deadline
      t0 = ocip.now()
      local r2, e2 = ocip.timeout(5, function()
        return c:UserGetRequest23V2 { user_id = "user000001@example.net" }
      end)
      local took = ocip.now() - t0
      assert.is_nil(r2)
      assert.equal("timeout", e2.kind)
      assert.is_false(e2.sent)
      assert.equal("UserGetRequest23V2", e2.command)
      assert.is_true(took >= 0.9 and took < 2, "second read took " .. took)
      c:close()
    end)
  end)

  it("commands queued while the server is down succeed once it is back (before their deadline)", function()
    helper.run(20, function()
      local sim = require("ocip.sim").start { tcp_port = 0, users = 50 }
      local port = sim.tcp_port
      local c = assert(ocip.connect { host = "127.0.0.1", port = port, tls = false,
        username = sim.admin, password = sim.password, timeout = 4, sessions = 2, log = false })
      sim.stop()
      local sim2
      ocip.spawn(function()
        ocip.sleep(1.2)
        sim2 = require("ocip.sim").start { tcp_port = port, users = 50 }
      end)
      local ids = {}
      for i = 1, 10 do ids[i] = user(i) end
      local res, errs = ocip.gather(ids, function(id) return c:UserGetRequest23V2 { user_id = id } end)
      for i = 1, #ids do
        assert.is_nil(errs[i], tostring(errs[i]))
        assert.equal(ids[i], res[i].user_id)
      end
      c:close()
      sim2.stop()
    end)
  end)

  it("connections closed without a reply (30%): reads fail only when the retry fails too", function()
    local t = reads_under("close_no_reply_p", 200, 60)
    assert.equal(0, t.wrong)
    -- a read fails when it and its one retry are both closed on: ~9%; never the whole queue
    assert.is_true(t.ok >= 200 * 0.8, summary(t))
  end)

  it("2,000 reads with connections closing (30%) all end, none stuck", function()
    local t = reads_under("close_no_reply_p", 2000, 60)
    assert.equal(0, t.wrong)
    assert.is_true(t.elapsed < 45, summary(t))
    assert.is_true(t.ok >= 2000 * 0.75, summary(t))
  end)

  it("a refused login still fails every queued command at once and is not retried", function()
    helper.run(20, function()
      local sim = require("ocip.sim").start { tcp_port = 0, users = 5 }
      local c = assert(ocip.client { host = "127.0.0.1", port = sim.tcp_port, tls = false,
        username = sim.admin, password = "wrong", timeout = 3, sessions = 2, log = false })
      local t0 = ocip.now()
      local ids = {}
      for i = 1, 20 do ids[i] = user(i) end
      local _, errs = ocip.gather(ids, function(id) return c:UserGetRequest23V2 { user_id = id } end)
      for i = 1, #ids do
        assert.equal("auth", errs[i] and errs[i].kind)
        assert.is_false(errs[i].sent)
      end
      assert.is_true(ocip.now() - t0 < 1, "auth failure took " .. (ocip.now() - t0))
      assert.is_true(sim.stats.connections <= 2, "login tried " .. sim.stats.connections .. " times")
      c:close()
      sim.stop()
    end)
  end)

  it("nothing keeps ocip.run alive once the queue is empty", function()
    local t0 = os.time()
    local n = 0
    ocip.run(function()
      local sim = require("ocip.sim").start { tcp_port = 0, users = 5 }
      local c = assert(ocip.connect { host = "127.0.0.1", port = sim.tcp_port, tls = false,
        username = sim.admin, password = sim.password, timeout = 30, sessions = 1, log = false })
      sim.stop()
      -- one failing read (the connection is gone and reconnecting fails) then nothing
      ocip.timeout(0.5, function() return c:UserGetRequest23V2 { user_id = "user000001@example.net" } end)
      n = n + 1
      c:close()
    end)
    assert.equal(1, n)
    assert.is_true(os.time() - t0 <= 3, "ocip.run took " .. (os.time() - t0) .. "s")
  end)
end)
