-- ocip.async: structured concurrency on the scheduler in bindings/loop.c.
-- Tasks are coroutines owned by the scheduler; everything here that waits must be
-- called from a task (the host's main chunk, ocip.run, ocip.spawn).
local core = require "ocip.core"
local Error = require "ocip.error"

local M = {}

local pack, unpack = table.pack, table.unpack

--- spawn(fn, ...) -> task (methods: join([timeout]), cancel([err]), status())
M.spawn = core.spawn
--- sleep(seconds): 0 (or nothing) yields to the other ready tasks.
M.sleep = core.sleep
--- now() -> monotonic seconds (float)
M.now = core.now
--- run(main, ...) -> main's results; raises its error. Inside a task: a plain call.
M.run = core.run
M.current = core.current
M.join = core.join
M.cancel = core.cancel

local function current(what)
  local me = core.current()
  if not me then
    error("ocip: " .. what .. " must be called from an ocip task (ocip.run / ocip.spawn)", 3)
  end
  return me
end

-- removes the first occurrence of v from the array t
local function remove_value(t, v)
  for i = 1, #t do
    if t[i] == v then table.remove(t, i) return true end
  end
  return false
end

---------------------------------------------------------------------------
-- event: one-shot. ev:set(...) wakes every current and future waiter with
-- those values; later calls of set are ignored.
local Event = {}
Event.__index = Event
Event.__name = "ocip.event"

function M.event()
  return setmetatable({ waiters = {}, values = nil }, Event)
end

--- ev:wait([timeout]) -> the values given to set, or nil, Error{kind="timeout"}
function Event:wait(timeout)
  if self.values then return unpack(self.values, 1, self.values.n) end
  local me = current("event:wait")
  local waiters = self.waiters
  waiters[#waiters + 1] = me
  -- set() unparks with true as first value; a timeout returns nil, err
  local r = pack(core.park(timeout))
  if r[1] == nil then
    remove_value(waiters, me)
    return nil, r[2]
  end
  return unpack(r, 2, r.n)
end

function Event:set(...)
  if self.values then return false end
  self.values = pack(...)
  local waiters = self.waiters
  self.waiters = {}
  for _, t in ipairs(waiters) do core.unpark(t, true, ...) end
  return true
end

function Event:is_set() return self.values ~= nil end

---------------------------------------------------------------------------
-- semaphore(n): at most n holders at once; waiters are served in FIFO order.
local Semaphore = {}
Semaphore.__index = Semaphore
Semaphore.__name = "ocip.semaphore"

function M.semaphore(n)
  n = math.tointeger(n)
  if not n or n < 1 then error("ocip.semaphore: expected a positive integer", 2) end
  return setmetatable({ count = n, queue = {} }, Semaphore)
end

--- sem:acquire(): waits for a permit (release hands it to the first waiter).
function Semaphore:acquire()
  if self.count > 0 and #self.queue == 0 then
    self.count = self.count - 1
    return true
  end
  local me = current("semaphore:acquire")
  local queue = self.queue
  queue[#queue + 1] = me
  local granted = false
  -- Runs if this task is cancelled while waiting (the scheduler closes its
  -- to-be-closed variables): leave the queue, or pass on a permit handed to us.
  local guard <close> = setmetatable({}, { __close = function()
    if granted then return end
    if not remove_value(queue, me) then self:release() end
  end })
  core.park()
  granted = true
  return true
end

function Semaphore:release()
  local queue = self.queue
  while #queue > 0 do
    local t = table.remove(queue, 1)
    if core.unpark(t) then return end
  end
  self.count = self.count + 1
end

--- sem:with(fn, ...) -> fn's results; the permit is released even when fn raises.
function Semaphore:with(fn, ...)
  self:acquire()
  local r = pack(pcall(fn, ...))
  self:release()
  if not r[1] then error(r[2], 0) end
  return unpack(r, 2, r.n)
end

---------------------------------------------------------------------------
--- timeout(seconds, fn, ...) -> fn's results, or nil, Error{kind="timeout"} when
--- fn did not finish in time (it then runs in a child task that is cancelled).
--- An error raised by fn is raised again here.
--- While the timeout's cancel runs (the child's to-be-closed variables, synchronously),
--- M.cancelling() returns its error: a command the child abandons records on it whether
--- it was sent (err.sent, err.command; see ocip.pool abandon).
local cancelling = nil
function M.cancelling() return cancelling end

function M.timeout(seconds, fn, ...)
  current("ocip.timeout")
  local child = core.spawn(fn, ...)
  -- if this task is cancelled while waiting, the child goes with it
  local cleanup <close> = setmetatable({}, { __close = function() core.cancel(child) end })
  local r = pack(core.join(child, seconds))
  if r[1] == nil then
    local err = Error.new("timeout", ("timed out after %gs"):format(seconds))
    local outer = cancelling
    cancelling = err
    local ok, why = pcall(core.cancel, child, err)
    cancelling = outer
    if not ok then error(why, 0) end
    return nil, err
  end
  if r[1] == false then error(r[2], 0) end
  return unpack(r, 2, r.n)
end

---------------------------------------------------------------------------
--- gather(list, fn, {limit=n}) -> results, errors
--- Runs fn(list[i], i) for every element, at most `limit` (default 100) at once,
--- each in its own task. Both arrays are in input order:
---   results[i] = fn's first value (nil when it failed);
---   errors[i]  = when fn returned nil, err: that err;
---                when fn raised: the raised value as is (an ocip.Error stays an
---                ocip.Error, a string message stays a string — nothing is wrapped);
---                nil otherwise.
--- Errors never escape gather. If the task calling gather is cancelled, its
--- workers are cancelled too.
function M.gather(list, fn, opts)
  current("ocip.gather")
  local limit = opts and opts.limit or 100
  limit = math.tointeger(limit)
  if not limit or limit < 1 then error("ocip.gather: limit must be a positive integer", 2) end
  local n = #list
  local results, errors = {}, {}
  local next_i = 0
  local function worker()
    while next_i < n do
      next_i = next_i + 1
      local i = next_i
      local ok, v, err = pcall(fn, list[i], i)
      if ok then
        results[i] = v
        if v == nil and err ~= nil then errors[i] = err end
      else
        errors[i] = v
      end
    end
  end
  local workers = {}
  local cleanup <close> = setmetatable({}, { __close = function()
    for _, t in ipairs(workers) do core.cancel(t) end
  end })
  for w = 1, math.min(limit, n) do workers[w] = core.spawn(worker) end
  for _, t in ipairs(workers) do core.join(t) end
  return results, errors
end

return M
