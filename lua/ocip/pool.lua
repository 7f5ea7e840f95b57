-- The pool: one queue of submitted commands shared by `sessions` connections.
-- A session that is free pulls the next document's worth (<= batch) from the queue, so
-- new documents always go to the least loaded connection; extra connections open only
-- when work is waiting and no connected session is free. `rate` (commands/s across the
-- pool) is a token bucket charged per document before it is written.
--
-- Deadlines and retries of queued commands: one "watch" task exists only while commands
-- are queued (so it never keeps ocip.run alive on its own). It sleeps until the oldest
-- queued command's deadline or the end of a failed session's back-off, whichever comes
-- first; then it fails the overdue commands (kind "timeout") and kicks the sessions.
-- The queue is ordered by deadline (one timeout per client; retries go back to the
-- front and are older than everything queued), so only its head is ever looked at.
-- A session that cannot connect backs off (0.05 s, doubling up to 1 s) and tries again
-- while commands wait; only a refused login (or a configuration error) fails the queue.
--
-- A command ("entry") is { req=, name=, deadline=, readonly=, task=, done=, resp=, err=,
-- sent=, retried=, alone= }; ocip.outcome gives it its one and only outcome.
-- A caller that gives up (ocip.timeout, task cancel) abandons its entry: still queued, it
-- ends here unsent and the queue skips it (never written); already written, it ends as
-- sent and its answer, when it comes, is dropped.
local core = require "ocip.core"
local Error = require "ocip.error"
local Session = require "ocip.session"

local M = {}
local Pool = {}
Pool.__index = Pool

local outcome = require "ocip.outcome"
local finish, fail, copy_error = outcome.finish, outcome.fail, outcome.copy

--- pool.new(opts, log, transport) -> pool
-- opts: sessions, batch, pipeline, rate, timeout and the connection/login options.
function M.new(opts, log, transport)
  local p = setmetatable({
    opts = opts, log = log, transport = transport,
    queue = {}, head = 1, tail = 0, -- FIFO of entries
    sessions = {}, closed = false, auth_error = nil,
    watch = nil, watch_at = math.huge, last_error = nil,
    rate = opts.rate, tokens = 0, refilled = core.now(),
  }, Pool)
  for i = 1, opts.sessions do p.sessions[i] = Session.new(p, i) end
  return p
end

function Pool:has_work()
  return self.head <= self.tail
end

function Pool:push(e)
  local t = self.tail + 1
  self.tail = t
  self.queue[t] = e
end

-- A queued command that is past its deadline.
function Pool:overdue(e)
  local last = self.last_error
  fail(e, "timeout", ("no connection could take the command within %gs%s"):format(self.opts.timeout,
    last and (" (last error: " .. tostring(last.message or last) .. ")") or ""), e.sent or false)
end

-- The watch task (see the top of this file).
function Pool:watch_loop()
  local me = core.current()
  while self.watch == me and not self.closed do
    local now = core.now()
    local q = self.queue
    while self.head <= self.tail do
      local h = self.head
      local e = q[h]
      if not e.done and e.deadline > now then break end
      q[h] = nil
      self.head = h + 1
      if not e.done then self:overdue(e) end
    end
    if self.head > self.tail then
      self.head, self.tail = 1, 0
      break
    end
    self:kick()
    local at = q[self.head].deadline
    for _, s in ipairs(self.sessions) do
      local r = s.retry_at
      if r and not s.running and not s.conn and r > now and r < at then at = r end
    end
    self.watch_at = at
    core.park(at - now)
    self.watch_at = math.huge
  end
  if self.watch == me then self.watch = nil end
end

-- Makes sure the watch task runs and wakes by `at`.
function Pool:arm(at)
  local w = self.watch
  if not w then
    if self.closed then return end
    self.watch = core.spawn(self.watch_loop, self)
  elseif at < self.watch_at then
    core.unpark(w)
  end
end

-- Ends the watch task (queue empty, or pool closed).
function Pool:stop_watch()
  local w = self.watch
  if w then
    self.watch = nil
    if w ~= core.current() and not core.unpark(w) then core.cancel(w) end
  end
end

--- pool:push_front(list): back to the head of the queue, in order (retries, unsent batches)
function Pool:push_front(list)
  for i = #list, 1, -1 do
    local h = self.head - 1
    self.head = h
    self.queue[h] = list[i]
  end
  if list[1] then self:arm(list[1].deadline) end
  self:kick()
end

--- pool:take(max) -> up to max live entries; entries past their deadline fail on the way.
-- An entry marked `alone` (its document was refused as a whole) travels in a document
-- of its own.
function Pool:take(max)
  local out, n = {}, 0
  local now = core.now()
  local q = self.queue
  while n < max and self.head <= self.tail do
    local h = self.head
    local e = q[h]
    if e.alone and n > 0 and not e.done then break end
    q[h] = nil
    self.head = h + 1
    if not e.done then
      if e.deadline <= now then
        self:overdue(e)
      else
        n = n + 1
        out[n] = e
        if e.alone then break end
      end
    end
  end
  if self.head > self.tail then
    self.head, self.tail = 1, 0
    self:stop_watch()
  end
  return out
end

--- pool:abandon(e): e's caller gave up (its task is being cancelled) before e's outcome.
-- `cancel_err` (the error the task is cancelled with, when known: ocip.timeout's) learns
-- whether the command was written: sent = true when any abandoned command was.
function Pool:abandon(e, cancel_err)
  e.task = nil
  local sent = e.sent == true
  local kind = type(cancel_err) == "table" and cancel_err.kind or "closed"
  fail(e, kind, sent and "caller gave up before the answer came" or
    "caller gave up before the command was sent; it never will be", sent)
  if Error.is(cancel_err) then
    cancel_err.sent = cancel_err.sent == true or sent
    cancel_err.command = cancel_err.command or e.name
  end
end

--- pool:fail_queue(err or kind, message, sent): every queued command fails
function Pool:fail_queue(err, message, sent)
  local list = self:take(math.huge)
  for _, e in ipairs(list) do
    if type(err) == "string" then fail(e, err, message, sent)
    else finish(e, nil, copy_error(err, e, false)) end
  end
end

--- pool:submit(e): queue a command (it will get exactly one outcome)
function Pool:submit(e)
  if self.closed then
    return fail(e, "closed", "client is closed", false)
  end
  if self.auth_error then
    return finish(e, nil, copy_error(self.auth_error, e, false))
  end
  self:push(e)
  -- A free connected session takes the command at once: no watch needed (the common
  -- serial case). Otherwise the command may linger, and the watch enforces its deadline.
  if not self:kick() and not self.watch then self:arm(e.deadline) end
end

--- pool:kick() -> true when a free connected session was started on the queue.
-- Prefers a free connected session; else opens a free unconnected one that is not
-- backing off after a failed attempt (the watch task kicks again when that ends).
function Pool:kick()
  if self.closed or self.head > self.tail then return false end
  local spare
  local now = core.now()
  for _, s in ipairs(self.sessions) do
    if not s.running then
      if s.conn then s:start() return true end
      if not spare and (not s.retry_at or now >= s.retry_at) then spare = s end
    end
  end
  if spare then spare:start() end
  return false
end

--- pool:connected() -> true when some session holds a logged-in connection
function Pool:connected(except)
  for _, s in ipairs(self.sessions) do
    if s ~= except and (s.conn or s.connecting) then return true end
  end
  return false
end

--- pool:connect_failed(session, err): a session could not connect or log in.
-- A refused login stops the pool (no retry storm, no account lock-out): every waiting
-- and every later command fails with it until authenticate() succeeds again. A TLS
-- failure (certificate, host name) will not go away by itself either: the waiting
-- commands fail with it. Anything else (refused, reset, timed out, closed during the
-- login) is transient: the session backs off and tries again while commands wait; each
-- command still ends by its own deadline (the watch task).
function Pool:connect_failed(session, err)
  local now = core.now()
  session.failed_at = now
  if err.kind == "auth" or err.kind == "usage" then
    self.auth_error = err
    self:fail_queue(err)
  elseif err.kind == "tls" then
    self:fail_queue(err)
  else
    self.last_error = err
    local b = session.backoff
    b = b and math.min(b * 2, 1) or 0.05
    session.backoff = b
    session.retry_at = now + b
    self.log:log("debug", "session %d: cannot connect (%s); trying again in %gs", session.index,
      tostring(err.message or err), b)
    if self:has_work() then self:arm(session.retry_at) end
  end
end

--- pool:acquire(n): waits until n commands fit under the rate ceiling (token bucket,
-- one second of burst; a debt is paid by sleeping, so concurrent sessions pace correctly).
function Pool:acquire(n)
  local rate = self.rate
  if not rate then return end
  local now = core.now()
  local tokens = math.min(rate, self.tokens + (now - self.refilled) * rate)
  self.refilled = now
  tokens = tokens - n
  self.tokens = tokens
  if tokens < 0 then core.sleep(-tokens / rate) end
end

--- pool:authenticate() -> true or nil, err: opens (or reuses) the first session
function Pool:authenticate()
  if self.closed then return nil, Error.new("closed", "client is closed", { sent = false }) end
  self.auth_error = nil
  local s = self.sessions[1]
  local ok, err = s:ensure()
  if not ok then
    if err.kind == "auth" or err.kind == "usage" then self.auth_error = err end
    return nil, err
  end
  self:kick()
  return true
end

--- pool:close(): queued commands fail (not sent), in-flight ones fail (sent), every
-- connection sends LogoutRequest without waiting and closes. Idempotent.
function Pool:close()
  if self.closed then return end
  self.closed = true
  self:fail_queue("closed", "client closed before the command was sent", false)
  self:stop_watch()
  for _, s in ipairs(self.sessions) do s:shutdown() end
end

return M
