-- The scheduler (bindings/loop.c) and ocip.async.
local helpers = require "spec.helpers"
local ocip = require "ocip"
local async = require "ocip.async"
local core = require "ocip.core"
local Error = ocip.Error
local run = helpers.run

describe("scheduler", function()
  it("runs spawned tasks in the order their sleeps end", function()
    local order = run(function()
      local out = {}
      local ts = {
        async.spawn(function() async.sleep(0.03); out[#out + 1] = "a" end),
        async.spawn(function() async.sleep(0.01); out[#out + 1] = "b" end),
        async.spawn(function() async.sleep(0.02); out[#out + 1] = "c" end),
      }
      for _, t in ipairs(ts) do t:join() end
      return table.concat(out)
    end)
    assert.equal("bca", order)
  end)

  it("starts a spawned task only when the spawner yields", function()
    local log = run(function()
      local out = {}
      local t = async.spawn(function(x) out[#out + 1] = "child " .. x end, 1)
      out[#out + 1] = "parent"
      async.sleep(0)
      out[#out + 1] = "parent again"
      assert.is_true((t:join()))
      return table.concat(out, ",")
    end)
    assert.equal("parent,child 1,parent again", log)
  end)

  it("treats coroutine.yield in a task as a cooperative yield", function()
    local log = run(function()
      local out = {}
      local a = async.spawn(function() for i = 1, 3 do out[#out + 1] = "a" .. i; coroutine.yield() end end)
      local b = async.spawn(function() for i = 1, 3 do out[#out + 1] = "b" .. i; coroutine.yield() end end)
      a:join(); b:join()
      return table.concat(out, ",")
    end)
    assert.equal("a1,b1,a2,b2,a3,b3", log)
  end)

  it("a sleep or timed park after a long busy stretch still lasts its full time", function()
    -- libuv's cached loop time goes stale while Lua runs; timers must not count from it
    local slept, parked = run(function()
      local core = require "ocip.core"
      local t = async.now()
      while async.now() - t < 0.2 do end
      local t0 = async.now()
      async.sleep(0.05)
      local a = async.now() - t0
      t = async.now()
      while async.now() - t < 0.2 do end
      t0 = async.now()
      core.park(0.05)
      return a, async.now() - t0
    end)
    assert.is_true(slept >= 0.05, "slept " .. slept)
    assert.is_true(parked >= 0.05, "parked " .. parked)
  end)

  it("sleeps at least the requested time; now() is monotonic seconds", function()
    local elapsed = run(function()
      local t0 = async.now()
      async.sleep(0.05)
      return async.now() - t0
    end)
    assert.is_true(elapsed >= 0.05, "slept " .. elapsed)
    assert.is_true(elapsed < 1, "slept " .. elapsed)
    assert.equal("number", type(async.now()))
  end)

  it("core.sleep_until wakes at or after its time, never before; a past time only yields", function()
    local early, past_ok, cancelled = run(function()
      local early = {}
      for i = 1, 20 do
        local due = core.now() + 0.001 + (i % 5) * 0.0007
        core.sleep_until(due)
        local now = core.now()
        if now < due then early[#early + 1] = due - now end
      end
      local t0 = core.now()
      core.sleep_until(t0 - 1) -- already past: a cooperative yield
      local past_ok = core.now() - t0 < 0.5
      -- a task cancelled while it waits ends at once (its timer is released)
      local sleeper = async.spawn(function() core.sleep_until(core.now() + 30) end)
      async.sleep(0)
      sleeper:cancel()
      local ok = sleeper:join()
      return early, past_ok, ok == false
    end)
    assert.are.same({}, early)
    assert.is_true(past_ok)
    assert.is_true(cancelled)
  end)

  it("parks and unparks with values", function()
    local a, b, again = run(function()
      local t = async.spawn(function() return core.park() end)
      async.sleep(0)
      assert.equal("waiting", t:status())
      assert.is_true(core.unpark(t, "x", 2))
      local again = core.unpark(t, "y") -- already woken: refused
      local ok, x, y = t:join()
      assert.is_true(ok)
      return x, y, again
    end)
    assert.equal("x", a)
    assert.equal(2, b)
    assert.is_false(again)
  end)

  it("park with a timeout returns nil and a timeout error", function()
    local v, err = run(function() return core.park(0.01) end)
    assert.is_nil(v)
    assert.is_true(Error.is(err))
    assert.equal("timeout", err.kind)
  end)

  it("current() is the running task, nil outside tasks", function()
    run(function()
      local me = core.current()
      assert.is_not_nil(me)
      assert.equal("running", me:status())
      local inner = async.spawn(function() return core.current() end)
      local _, t = inner:join()
      assert.equal(inner, t)
      assert.is_nil(coroutine.wrap(function() return core.current() end)())
    end)
  end)

  it("join returns the results, or false and the error", function()
    local r = table.pack(run(function()
      local ok1 = async.spawn(function(a, b) async.sleep(0.001); return a + b, "s" end, 1, 2)
      local bad = async.spawn(function() async.sleep(0.001); error(Error.new("server", "nope")) end)
      local y = table.pack(bad:join()) -- joined before it ends: its error is ours, not reported
      local x = table.pack(ok1:join())
      local z = table.pack(ok1:join()) -- joining an ended task again gives the same answer
      return x, y, z
    end))
    local x, y, z = r[1], r[2], r[3]
    assert.same({ true, 3, "s", n = 3 }, x)
    assert.is_false(y[1])
    assert.equal("server", y[2].kind)
    assert.same(x, z)
  end)

  it("join with a timeout gives nil, timeout error and leaves the task running", function()
    run(function()
      local t = async.spawn(function() async.sleep(0.05); return "late" end)
      local v, err = t:join(0.005)
      assert.is_nil(v)
      assert.equal("timeout", err.kind)
      assert.same({ true, "late" }, { t:join() })
    end)
  end)

  it("cancel stops a waiting task for good; joiners get a closed error", function()
    run(function()
      local reached = false
      local t = async.spawn(function() async.sleep(0.02); reached = true end)
      local joiner = async.spawn(function() return t:join() end)
      async.sleep(0.001)
      assert.is_true(t:cancel())
      assert.is_false(t:cancel()) -- already ended
      local _, ok, err = joiner:join()
      assert.is_false(ok)
      assert.is_true(Error.is(err))
      assert.equal("closed", err.kind)
      assert.equal("task cancelled", err.message)
      async.sleep(0.04)
      assert.is_false(reached)
      assert.equal("done", t:status())
    end)
  end)

  it("cancel runs the task's to-be-closed variables", function()
    run(function()
      local closed = false
      local t = async.spawn(function()
        local guard <close> = setmetatable({}, { __close = function() closed = true end })
        core.park()
      end)
      async.sleep(0)
      t:cancel()
      assert.is_true(closed)
    end)
  end)

  it("a task cannot cancel or join itself", function()
    run(function()
      local me = core.current()
      assert.has_error(function() me:cancel() end)
      assert.has_error(function() me:join() end)
    end)
  end)

  it("gives a clear error when an awaiting function is called outside a task", function()
    run(function()
      local ok, err = pcall(coroutine.wrap(function() async.sleep(0.001) end))
      assert.is_false(ok)
      assert.matches("must be called from an ocip task", tostring(err), 1, true)
      ok, err = pcall(table.sort, { 3, 1, 2 }, function(a, b) async.sleep(0); return a < b end)
      assert.is_false(ok)
      assert.matches("non-yieldable", tostring(err), 1, true)
    end)
  end)

  it("run inside a task is a plain call; it raises the function's error as is", function()
    run(function()
      assert.same({ 1, 2 }, { async.run(function(a) return a, 2 end, 1) })
      local e = Error.new("usage", "bad")
      local ok, err = pcall(async.run, function() error(e) end)
      assert.is_false(ok)
      assert.equal(e, err)
    end)
  end)

  -- Runs src in a child host (a crash there is a failed assertion here, not a dead
  -- busted run); returns its stdout, exit code and stderr.
  local function child(src)
    local script = os.tmpname()
    local f = assert(io.open(script, "w"))
    f:write(src)
    f:close()
    local out, code, err = helpers.exec("timeout 10 " .. helpers.shell_quote(helpers.host()) .. " "
      .. helpers.shell_quote(script))
    os.remove(script)
    return out, code, err
  end

  -- A task whose to-be-closed variable cancels the task itself (and `other`, if set).
  local REENTRANT = [[
    local core = require "ocip.core"
    local function victim(other)
      local me = core.current()
      local x <close> = setmetatable({}, { __close = function()
        print("close", core.cancel(me), other and core.cancel(other[1]))
      end })
      core.park()
    end
  ]]

  it("a task cancelled again from its own __close handler finishes once", function()
    local out, code, err = child(REENTRANT .. [[
      core.run(function()
        local t = core.spawn(victim)
        core.sleep(0.01)
        print("cancel", core.cancel(t), core.cancel(t))
        print("status", core.task_status(t))
        local ok, e = core.join(t)
        print("join", ok, e.kind)
      end)
      print("end")
    ]])
    assert.equal(0, code, err)
    assert.equal("close\tfalse\tnil\ncancel\ttrue\tfalse\nstatus\tdone\tfalse\njoin\tfalse\tclosed\nend\n", out)
  end)

  it("cancel-all (deadlock, main task failure) copes with __close handlers that cancel again", function()
    -- the host's main task: ends in a deadlock, or fails; either way the two parked tasks
    -- are cancelled, and the first one's handler cancels the second, whose handler finds
    -- the first one already finishing
    local setup = REENTRANT .. [[
      local a, b = {}, {}
      a[1] = core.spawn(victim, b)
      b[1] = core.spawn(victim, a)
      core.sleep(0.01)
    ]]
    for _, case in ipairs {
      { src = setup .. "core.park()", err = "ocip: deadlock: 3 task%(s%) waiting with nothing pending" },
      { src = setup .. "error('main failed')", err = "main failed" },
    } do
      local out, code, err = child(case.src)
      assert.equal(1, code, err)
      assert.matches(case.err, err)
      assert.not_matches("Sanitizer", err)
      assert.equal("close\tfalse\tfalse\nclose\tfalse\ttrue\n", out)
    end
  end)

  it("reports a deadlock instead of hanging", function()
    local out, code, err = helpers.exec("timeout 10 " .. helpers.shell_quote(helpers.host())
      .. [[ -e 'local c = require "ocip.core"; c.spawn(function() c.park() end); c.park()']])
    assert.equal("", out)
    assert.equal(1, code)
    assert.matches("deadlock: 2 task%(s%) waiting with nothing pending", err)
  end)
end)

describe("ocip.async.event", function()
  it("wakes every current and future waiter with the values of set", function()
    local got = run(function()
      local ev = async.event()
      local got = {}
      local ts = {}
      for i = 1, 3 do
        ts[i] = async.spawn(function() local a, b = ev:wait(); got[#got + 1] = a .. b .. i end)
      end
      async.sleep(0.001)
      assert.equal(0, #got)
      assert.is_true(ev:set("v", 1))
      assert.is_false(ev:set("w", 2)) -- one-shot
      for _, t in ipairs(ts) do t:join() end
      local a, b = ev:wait() -- a later waiter returns at once
      got[#got + 1] = a .. b
      return got
    end)
    table.sort(got)
    assert.same({ "v1", "v11", "v12", "v13" }, got)
  end)

  it("wait with a timeout returns nil, timeout error", function()
    local v, err, later = run(function()
      local ev = async.event()
      local v, err = ev:wait(0.01)
      ev:set("late")
      return v, err, ev:wait(0.01)
    end)
    assert.is_nil(v)
    assert.equal("timeout", err.kind)
    assert.equal("late", later)
  end)
end)

describe("ocip.async.semaphore", function()
  it("limits concurrency to n", function()
    local max, total = run(function()
      local sem = async.semaphore(3)
      local cur, max, total = 0, 0, 0
      local ts = {}
      for i = 1, 10 do
        ts[i] = async.spawn(function()
          sem:acquire()
          cur = cur + 1
          max = math.max(max, cur)
          async.sleep(0.002)
          cur = cur - 1
          total = total + 1
          sem:release()
        end)
      end
      for _, t in ipairs(ts) do t:join() end
      return max, total
    end)
    assert.equal(3, max)
    assert.equal(10, total)
  end)

  it("with() releases the permit when fn raises", function()
    run(function()
      local sem = async.semaphore(1)
      local ok, err = pcall(sem.with, sem, function() error("inside", 0) end)
      assert.is_false(ok)
      assert.equal("inside", err)
      assert.same({ "again", 2 }, { sem:with(function(a) return a, 2 end, "again") })
    end)
  end)

  it("a cancelled waiter does not lose a permit", function()
    run(function()
      local sem = async.semaphore(1)
      sem:acquire()
      local waiter = async.spawn(function() sem:acquire(); sem:release() end)
      async.sleep(0)
      waiter:cancel()
      sem:release()
      local t = async.spawn(function() return sem:with(function() return "got it" end) end)
      assert.same({ true, "got it" }, { t:join(1) })
    end)
  end)
end)

describe("ocip.async.gather", function()
  it("returns results and errors in input order", function()
    local results, errors = run(function()
      return async.gather({ 30, 10, 20, 5 }, function(ms, i)
        async.sleep(ms / 1000)
        if i == 2 then error("raised " .. i, 0) end
        if i == 3 then return nil, Error.new("server", "returned") end
        if i == 4 then error(Error.new("timeout", "raised error object")) end
        return ms * 2
      end)
    end)
    assert.equal(60, results[1])
    assert.is_nil(results[2])
    assert.is_nil(results[3])
    assert.is_nil(results[4])
    assert.is_nil(errors[1])
    assert.equal("raised 2", errors[2])              -- other raised values are kept as is
    assert.equal("server", errors[3].kind)           -- nil, err: the err
    assert.is_true(Error.is(errors[4]))              -- an ocip.Error stays one
    assert.equal("timeout", errors[4].kind)
  end)

  it("runs at most `limit` at once", function()
    local max, results = run(function()
      local cur, max = 0, 0
      local list = {}
      for i = 1, 20 do list[i] = i end
      local results = async.gather(list, function(v)
        cur = cur + 1
        max = math.max(max, cur)
        async.sleep(0.001)
        cur = cur - 1
        return v * v
      end, { limit = 4 })
      return max, results
    end)
    assert.equal(4, max)
    assert.equal(20, #results)
    assert.equal(400, results[20])
  end)

  it("handles an empty list", function()
    local r, e = run(function() return async.gather({}, function() error("never") end) end)
    assert.same({}, r)
    assert.same({}, e)
  end)
end)

describe("ocip.async.timeout", function()
  it("returns fn's results when it finishes in time", function()
    assert.same({ "done", 2 }, { run(function()
      return async.timeout(1, function(a) async.sleep(0.001); return a, 2 end, "done")
    end) })
  end)

  it("gives nil, timeout error and cancels fn when it is late", function()
    local v, err, reached = run(function()
      local reached = false
      local v, err = async.timeout(0.01, function() async.sleep(0.05); reached = true end)
      async.sleep(0.08)
      return v, err, reached
    end)
    assert.is_nil(v)
    assert.is_true(Error.is(err))
    assert.equal("timeout", err.kind)
    assert.is_false(reached)
  end)

  it("raises fn's error", function()
    run(function()
      local ok, err = pcall(async.timeout, 1, function() error("bad thing", 0) end)
      assert.is_false(ok)
      assert.equal("bad thing", err)
    end)
  end)
end)

describe("ocip module", function()
  it("exposes the async functions", function()
    assert.equal(async.spawn, ocip.spawn)
    assert.equal(async.gather, ocip.gather)
    assert.equal(async.timeout, ocip.timeout)
    assert.equal(async.semaphore, ocip.semaphore)
    assert.equal(async.sleep, ocip.sleep)
    assert.equal(async.run, ocip.run)
  end)
end)
