-- Exactly once in everyday cases (issue 9): a caller that gives up before its command was
-- written takes it out of the queue (the server never runs it, its error says sent =
-- false); `timeout` bounds the whole connect, all attempts together.
package.path = "spec/support/?.lua;" .. package.path
local ocip = require "ocip"
local helper = require "client_helper"

local has_sim = pcall(require, "ocip.sim") and ocip.core.tcp_connect ~= nil and ocip.core.tcp_listen ~= nil

describe("cancelled callers", function()
  if not has_sim then
    pending("ocip.sim / core.tcp_connect not available in this build")
    return
  end

  it("100 writes under ocip.timeout(0.001): those told sent = false never run", function()
    local N = 100
    helper.with_sim({ users = N, latency = 20 }, function(sim)
      local c = assert(ocip.connect { host = "127.0.0.1", port = sim.tcp_port, tls = false,
        username = sim.admin, password = sim.password, sessions = 1, timeout = 5, log = false })
      local ids, before = {}, {}
      for i = 1, N do
        ids[i] = ("user%06d@example.net"):format(i)
        before[i] = sim.state:user(ids[i]).last_name
      end
      local results, errors = ocip.gather(ids, function(id)
        return ocip.timeout(0.001, function()
          return c:UserModifyRequest22 { user_id = id, last_name = "Cancelled" }
        end)
      end, { limit = N })
      ocip.sleep(0.3) -- whatever was sent has been answered (20 ms per document)
      local unsent, sent, ok = 0, 0, 0
      for i = 1, N do
        local e = errors[i]
        local now = sim.state:user(ids[i]).last_name
        if results[i] then
          ok = ok + 1
          assert.equal("Cancelled", now)
        else
          assert.equal("timeout", e.kind)
          assert.equal("boolean", type(e.sent), "sent is known: " .. tostring(e))
          assert.equal("UserModifyRequest22", e.command)
          if e.sent then
            sent = sent + 1
            assert.equal("Cancelled", now, ids[i] .. " was written: this server runs what it reads")
          else
            unsent = unsent + 1
            assert.equal(before[i], now, ids[i] .. " was told sent = false, yet the server ran it")
          end
        end
      end
      assert.is_true(unsent > 0, ("%d ok, %d sent, %d unsent"):format(ok, sent, unsent))
      -- the session is still in step: a read after all that gets its own answer
      local u = assert(c:UserGetRequest23V2 { user_id = ids[1] })
      assert.equal(sim.state:user(ids[1]).first_name, u.first_name)
      c:close()
    end, 30)
  end)

  it("a command written before its caller gave up says sent = true; one still queued, false", function()
    helper.with_sim({ users = 5, latency = 1000 }, function(sim)
      local c = assert(ocip.connect { host = "127.0.0.1", port = sim.tcp_port, tls = false,
        username = sim.admin, password = sim.password, sessions = 1, batch = 1, timeout = 5, log = false })
      local id1, id2 = "user000001@example.net", "user000002@example.net"
      local out = {}
      -- batch = 1: the first is written at once, the second waits behind it in the queue
      local tasks = {}
      for i, id in ipairs { id1, id2 } do
        tasks[i] = ocip.spawn(function()
          out[i] = table.pack(ocip.timeout(0.4, function()
            return c:UserModifyRequest22 { user_id = id, last_name = "Gone" .. i }
          end))
        end)
      end
      for _, t in ipairs(tasks) do t:join() end
      ocip.sleep(1.3) -- past the first answer (1 s): the second would have been written by now
      assert.is_nil(out[1][1]); assert.is_nil(out[2][1])
      assert.equal(true, out[1][2].sent)
      assert.equal(false, out[2][2].sent)
      assert.equal("Gone1", sim.state:user(id1).last_name, "written before the timeout: the server ran it")
      assert.is_not.equal("Gone2", sim.state:user(id2).last_name, "given up while queued: never sent")
      local u = assert(c:UserGetRequest23V2 { user_id = id2 })
      assert.equal(sim.state:user(id2).first_name, u.first_name)
      c:close()
    end, 30)
  end)
end)

describe("connect timeout", function()
  if not has_sim then
    pending("core.tcp_listen not available in this build")
    return
  end

  it("bounds the whole connect against a server that never answers the login", function()
    helper.run(30, function()
      -- accepts and reads, never answers
      local listener = assert(ocip.core.tcp_listen { host = "127.0.0.1", port = 0 })
      local conns = {}
      local acceptor = ocip.spawn(function()
        while true do
          local conn = listener:accept()
          if not conn then return end
          conns[#conns + 1] = conn
          ocip.spawn(function() while conn:read() do end end)
        end
      end)
      local t0 = ocip.now()
      local c, err = ocip.connect { host = "127.0.0.1", port = listener:port(), tls = false,
        username = "admin", password = "pw", timeout = 2, log = false }
      local took = ocip.now() - t0
      listener:close()
      for _, conn in ipairs(conns) do conn:close() end
      ocip.core.cancel(acceptor)
      assert.is_nil(c)
      assert.equal("timeout", err.kind)
      -- three attempts of 2 s each took >= 6 s before; one budget of 2 s now
      assert.is_true(took >= 1.9 and took < 4.5, "connect took " .. took .. " s")
    end)
  end)
end)
