-- One authenticated connection of the pool, and the task ("driver") that feeds it.
--
-- The driver exists only while there is work: it connects and logs in (once per
-- connection, before any command; concurrent authenticate() callers wait for that login),
-- takes up to `batch` commands from the pool queue, writes them as one document, and
-- reads the answer. With `pipeline = n` it keeps up to n documents in flight, answered
-- in order.
--
-- Correlation (position alone is not proof; rules in ocip.correlate): command i of
-- document n carries the echo "s<session>d<n>c<i>", unique on its connection; an answer
-- whose session id, command count, echoes or response types do not fit drops the
-- connection and fails that document's commands with kind "protocol" (sent = true);
-- documents behind it on the connection count as a lost connection. Bytes that arrive
-- while nothing is in flight are read as the next document's answer and fail it the same
-- way (no reader runs on an idle connection: it would keep ocip.run alive). A lone
-- echo-less ErrorResponse answering N > 1 commands is a document-level error (the server
-- ran none): each command is sent again alone, once, so only the faulty one fails, with
-- the server's own code. A lone non-error answer to N > 1 commands fails them and
-- suggests batch = 1.
--
-- Outcomes (the central invariant: every command ends exactly once, see ocip.outcome):
--  * answer accepted: each command gets its own response;
--  * connection lost / garbage reply: Get/List requests go back to the queue once, other
--    requests fail with kind "closed" (or "protocol" for garbage), sent = true;
--  * no answer within `timeout`: the document's commands fail with kind "timeout",
--    sent = true, and the connection is discarded (never reused out of step);
--  * "session expired / not logged in" answers: the server did not run the command, so
--    it is sent again after a fresh login (at most 3 times); documents still in flight
--    on that connection are read first (their commands were not run either).
--  * `sent = true` once the document was handed to the connection; a command whose
--    caller gave up before that is skipped (ocip.pool abandon), never written.
--
-- Throughput (the server's latency per document is the limit): when an answer arrives
-- and commands are queued, the next document is written before the answer is decoded
-- and handed out — the connection is free as soon as the answer is in (the server has
-- nothing else in flight), so decoding overlaps the server's work. Over TCP the answer
-- is decoded as its bytes arrive (transport.streaming: conn:read(dec)), all but its
-- last piece, which is decoded after the next document is written; over SOAP the
-- decoding runs in a short task of its own ("dispatch"), so that the driver goes
-- straight back to waiting on the connection (that wait is what starts the next POST).
-- Deadlines: over TCP the driver's read carries the earliest deadline of the documents in
-- flight (conn:read(dec, max, timeout): no task, no timer per document); over SOAP one
-- "guard" task per session watches them.
--
-- Rows (client:rows): a command whose entry has `on_rows` travels alone; over TCP its
-- answer is decoded in rows mode, each table of the command handing its rows to the
-- entry as they are decoded (at most ROWS_AHEAD batches wait for the consumer: the
-- driver then waits, the connection is not read, memory stays flat). The session id,
-- echo and response type are checked before the first row is handed out; the rest
-- (nothing after the command, well-formed to the end) only at the end of the answer:
-- a failure then fails the command after rows were handed out (the consumer's loop
-- raises). Such a command is never sent again once rows were handed out. Its answer
-- is not bounded by max_document (memory does not grow with it) and its deadline
-- moves with every batch of rows (timeout = no progress for that long).
local core = require "ocip.core"
local Error = require "ocip.error"
local xml = require "ocip.xml"
local login = require "ocip.login"
local outcome = require "ocip.outcome"
local correlate = require "ocip.correlate"

local finish, fail = outcome.finish, outcome.fail

local M = {}

local ROWS_AHEAD = 8                -- batches of rows decoded ahead of a slow consumer
local ROWS_MAX_DOCUMENT = 1 << 40   -- a rows answer is not held: no size bound but this

-- OCIP_PROFILE_SESSION=1: sums of where a document's time goes (the bench prints them).
local PROF = os.getenv("OCIP_PROFILE_SESSION") and {} or nil
M.prof = PROF
local function prof_add(k, v) PROF[k] = (PROF[k] or 0) + v end

local Session = {}
Session.__index = Session

--- Session.new(pool, index) -> session (not connected)
function M.new(pool, index)
  local opts = pool.opts
  local depth = opts.pipeline or 1
  if not pool.transport.pipelining then depth = 1 end
  return setmetatable({
    pool = pool, index = index, opts = opts, log = pool.log,
    batch = opts.batch, depth = depth,
    conn = nil, session_id = nil, inflight = {}, seq = 0, streaming = pool.transport.streaming,
    running = false, connecting = false, waiters = {},
    guard = nil, guard_at = math.huge, draining = false, reqs = {},
  }, Session)
end

-- A server answer saying the session is not (or no longer) logged in: the command
-- was not run, so sending it again after a new login is safe.
local function session_lost_answer(r)
  if not (Error.is(r) and r.kind == "server") then return false end
  local code = tonumber(r.code)
  if code == 4003 or code == 4004 or code == 4005 then return true end
  local text = ((r.summary_english or r.summary or "") .. ""):lower()
  return text:find("not logged in", 1, true) ~= nil or text:find("session expired", 1, true) ~= nil
    or text:find("log in again", 1, true) ~= nil or text:find("invalid session", 1, true) ~= nil
end

--- session:start(): run the driver task (when not already running)
function Session:start()
  if self.running then return end
  self.running = true
  core.spawn(self.run, self)
end

function Session:run()
  local ok, err = pcall(self.loop, self)
  self.running = false
  if not ok then
    -- a bug in here must not leave anybody waiting: drop the connection (its
    -- commands get their outcome) and report; an error raised while a decoder was
    -- fed (out of memory) leaves it unusable: the next answer gets a new one
    self.dec, self.rows_dec = nil, nil
    self.log:log("error", "session %d: internal error: %s", self.index, tostring(err))
    self:drop(Error.new("protocol", "internal error: " .. tostring(err)))
  end
  if #self.inflight == 0 then self:stop_guard() end
  self.pool:kick()
end

-- The guard: one task per session that sleeps until the earliest deadline of the
-- documents in flight and times out the first one still unanswered by then.
function Session:guard_loop()
  local me = core.current()
  while self.guard == me do
    local now, first, expired = core.now(), math.huge, nil
    for _, rec in ipairs(self.inflight) do
      if not rec.answered then
        if rec.deadline <= now then expired = rec; break end
        if rec.deadline < first then first = rec.deadline end
      end
    end
    if expired then
      self:timed_out(expired)
      expired.answered = true -- (already so unless it belonged to a discarded connection)
    elseif first == math.huge then
      break
    else
      self.guard_at = first
      core.park(first - now)
      self.guard_at = math.huge
    end
  end
  if self.guard == me then self.guard = nil end
end

-- Makes sure the guard watches `deadline` (started, or woken to sleep less).
function Session:arm(deadline)
  local g = self.guard
  if not g then
    g = core.spawn(self.guard_loop, self)
    self.guard = g
  elseif deadline < self.guard_at then
    core.unpark(g)
  end
end

-- Ends the guard (nothing in flight): a sleeping guard must not keep ocip.run waiting.
function Session:stop_guard()
  local g = self.guard
  if g then
    self.guard = nil -- the guard itself (timed_out -> lost) just ends its loop
    if g ~= core.current() and not core.unpark(g) then core.cancel(g) end
  end
end

function Session:loop()
  local pool = self.pool
  while not pool.closed do
    if not self.conn then
      if not pool:has_work() then return end
      local ok, err = self:ensure()
      if not ok then
        self.running = false
        pool:connect_failed(self, err)
        return
      end
    end
    -- fill the pipeline
    while self.conn and not self.draining and #self.inflight < self.depth and pool:has_work()
        and not pool.closed do
      local batch = pool:take(self.batch)
      if #batch > 0 then
        if pool.rate then
          pool:acquire(#batch)
          if pool.closed then
            for _, e in ipairs(batch) do fail(e, "closed", "client closed before the command was sent", false) end
            return
          end
          if not self.conn then pool:push_front(batch); break end
        end
        local conn = self.conn
        local sent, err = self:write(batch)
        if not sent and err then self:lost(conn, err) end
      end
    end
    if #self.inflight == 0 then
      if not pool:has_work() then return end
    else
      self:read_one()
    end
  end
end

--- session:ensure() -> true or nil, err: a logged-in connection, opening it when needed.
-- Only one login runs per session; callers arriving meanwhile wait for its result.
function Session:ensure()
  if self.conn then return true end
  if self.connecting then
    local me = core.current()
    self.waiters[#self.waiters + 1] = me
    while self.connecting do core.park() end
    if self.conn then return true end
    return nil, self.connect_error
  end
  self.connecting = true
  local ok, err = pcall(self.open, self)
  if not ok then err = Error.new("protocol", "internal error: " .. tostring(err)) end
  self.connecting = false
  self.connect_error = err
  local waiters = self.waiters
  self.waiters = {}
  for _, t in ipairs(waiters) do core.unpark(t) end
  if self.conn then
    self.failed_at, self.retry_at, self.backoff = nil, nil, nil
    self.pool.last_error = nil
    return true
  end
  return nil, err
end

local TRANSIENT = { closed = true, protocol = true, timeout = true }

local function client_closed() return Error.new("closed", "client is closed", { sent = false }) end

-- One connect + login attempt in a task of its own (so that the whole attempt can be
-- cut at the connect deadline, wherever it waits). Sets holder.t as soon as a
-- transport is open; returns the login response, or nil, err, "connect" when no
-- transport could be opened.
local function attempt(self, holder, sid)
  local pool, opts, log = self.pool, self.opts, self.log
  local t, err = pool.transport.open(opts, log)
  if not t then return nil, err, "connect" end
  holder.t = t
  if pool.closed then return nil, client_closed() end
  return login.run(t, opts, sid, log)
end

-- Connects and logs in (a few attempts when the link breaks during the login), all
-- attempts together within `timeout`; on success sets self.conn and self.session_id;
-- returns nothing or the error.
function Session:open()
  local pool, opts, log = self.pool, self.opts, self.log
  local deadline = core.now() + opts.timeout
  local err
  for n = 1, 3 do
    if pool.closed then return client_closed() end
    local left = deadline - core.now()
    if left <= 0 then break end
    local sid = core.random_id()
    local holder = {}
    local child = core.spawn(attempt, self, holder, sid)
    local r = table.pack(core.join(child, left))
    local t, resp, stage = holder.t, nil, nil
    if r[1] == nil then
      -- the deadline: whatever the attempt waits on (connect, TLS, login answer) ends
      core.cancel(child)
      t = holder.t
      if t then t:close() end
      if pool.closed then return client_closed() end
      if t then
        return Error.new("timeout", ("login got no answer within %gs"):format(opts.timeout), { sent = true })
      end
      return Error.new("timeout", ("connect timed out: no connection within %gs"):format(opts.timeout),
        { sent = false })
    end
    if r[1] == false then error(r[2], 0) end -- a bug in the attempt: Session:run reports it
    resp, err, stage = r[2], r[3], r[4]
    if stage == "connect" then
      if err.kind == "timeout" then err.message = "connect timed out: " .. tostring(err.message) end
      return err
    end
    if resp and not pool.closed then
      self.conn, self.session_id, self.inflight = t, sid, {}
      log:log("debug", "session %d: logged in to %s as %s (%s)", self.index, t.name, opts.username,
        tostring(resp._type))
      return nil
    end
    t:close()
    if pool.closed then return client_closed() end
    if not TRANSIENT[err.kind] then break end
    log:log("debug", "session %d: login attempt %d failed: %s", self.index, n, tostring(err))
    core.sleep(math.max(0, math.min(0.02 * n, deadline - core.now())))
  end
  if err and err.kind == "auth" then
    log:log("error", "login as %s failed: %s", opts.username, tostring(err))
  end
  return err or Error.new("timeout", ("login did not succeed within %gs"):format(opts.timeout), { sent = true })
end

-- Writes one document holding the batch and records it in flight (watched by the guard).
-- Commands whose caller gave up meanwhile (the rate limiter may have waited) are left out.
-- Returns true; or nil, err when the connection failed (the caller calls lost(), maybe
-- after handling an answer already in hand; the batch, never written, is back in the
-- queue); or nil when nothing was written (nothing left, or the batch could not be encoded).
function Session:write(batch)
  -- the request array only lives during encode: one per session, reused
  local reqs = self.reqs
  local deadline = math.huge
  local nb = 0
  for i = 1, #batch do
    local e = batch[i]
    if not e.done then
      nb = nb + 1
      batch[nb], reqs[nb] = e, e.req
      if e.deadline < deadline then deadline = e.deadline end
    end
  end
  for i = #batch, nb + 1, -1 do batch[i] = nil end
  if nb == 0 then return nil end
  self.seq = self.seq + 1
  local echo = correlate.echo(self.index, self.seq)
  local t_enc = PROF and core.now()
  local ok, doc, err = pcall(xml.encode, reqs, self.session_id, echo)
  for i = 1, nb do reqs[i] = nil end -- no reference kept to answered requests
  if PROF then prof_add("enc", core.now() - t_enc); prof_add("enc_n", 1) end
  if not ok or not doc then
    -- cannot happen with validated requests; fail them, unsent
    local why = ok and err or Error.new("protocol", tostring(doc))
    for _, e in ipairs(batch) do
      fail(e, why.kind or "protocol", "could not encode the document: " .. tostring(why.message or why), false)
    end
    return nil
  end
  local conn = self.conn
  if self.log:enabled("trace") then self.log:log("trace", "%s >> %s", conn.name, doc) end
  local sent
  sent, err = conn:send(doc)
  if not sent then
    -- nothing was written: the commands did not run and may go out on another connection
    err = err or Error.new("closed", "connection closed")
    if err.kind == "limit" then
      for _, e in ipairs(batch) do fail(e, "limit", "could not send the document: " .. tostring(err.message), false) end
    else
      self.pool:push_front(batch)
    end
    return nil, err
  end
  local rec = { entries = batch, conn = conn, echo = echo, sid = self.session_id, deadline = deadline,
    rows = nb == 1 and batch[1].on_rows ~= nil }
  for i = 1, nb do batch[i].sent = true end
  self.inflight[#self.inflight + 1] = rec
  -- a streaming transport's reads carry the deadline themselves (read_streaming): no guard
  if not self.streaming then self:arm(deadline) end
  if PROF then
    local t = core.now()
    rec.t_sent = t
    if self.t_answer then prof_add("turn", t - self.t_answer); prof_add("turn_n", 1); self.t_answer = nil end
  end
  return true
end

-- Delivers one decoded response to its command (the echo was ours: not shown to callers).
local function deliver(e, r)
  if Error.is(r) then
    r.echo = nil
    r.command = e.name
    r.sent = true
    if r.kind == "server" and (r.severity == "Warning" or r.severity == "Info") then
      -- Warnings/Info keep the response: the request succeeded
      return finish(e, { _type = "SuccessResponse", warnings = { r } }, nil)
    end
    return finish(e, nil, r)
  end
  r._echo = nil
  if r._rows then -- a rows command answered by a whole document (not decoded in rows mode)
    local rows, keys = r._rows, r._keys
    r._rows, r._keys = nil, nil
    if #rows > 0 and not e.done then e.on_rows(rows, keys) end
  end
  return finish(e, r, nil)
end

-- The session's decoders (made on first use, reused): answers, and rows-mode answers.
function Session:decoder(rows)
  if rows then
    local d = self.rows_dec
    if not d then d = core.decoder { rows = true, max_size = ROWS_MAX_DOCUMENT }; self.rows_dec = d end
    return d
  end
  local d = self.dec
  if not d then d = core.decoder { max_size = self.opts.max_document }; self.dec = d end
  return d
end

-- Takes the next document off the queue for an answer just read (pipelining: when the
-- session may write more). Returns the outcome of write(), or nil when nothing went.
function Session:write_next()
  local pool = self.pool
  if not self.draining and not pool.closed and not pool.rate and #self.inflight < self.depth
      and pool:has_work() then
    local batch = pool:take(self.batch)
    if #batch > 0 then return self:write(batch) end
  end
  return nil
end

-- Rows decoded so far for `rec` (rows mode) go to its command; checks the head of the
-- answer first. Waits while the consumer is ROWS_AHEAD batches behind. Returns false
-- when the connection was dropped.
function Session:hand_rows(conn, rec, dec)
  local rows, keys = dec:rows()
  if not rows then return true end
  local e = rec.entries[1]
  if not rec.checked then
    local sid, cmd, done = dec:head()
    local why = correlate.check_head(rec, sid, cmd, done)
    if why then
      self.log:log("warn", "session %d: %s; connection dropped", self.index, why)
      fail(e, "protocol", why, true)
      self:lost(conn, Error.new("protocol", why))
      return false
    end
    rec.checked = true
  end
  if e.done then return true end -- the consumer gave up: the answer is read to its end
  e.streamed = true
  local timeout = self.opts.timeout
  local waiting = e.on_rows(rows, keys)
  while waiting >= ROWS_AHEAD and not e.done and conn == self.conn do
    rec.deadline = math.huge -- the consumer is slow, not the server
    self.held = core.current()
    e.driver = self.held
    core.park()
    self.held, e.driver = nil, nil
    waiting = e.rows_waiting()
  end
  if conn ~= self.conn then return false end
  rec.deadline = core.now() + timeout
  if not self.streaming then self:arm(rec.deadline) end
  return true
end

-- The document in flight whose deadline comes first (the one a read waits for).
local function first_deadline(inflight)
  local first = inflight[1]
  for i = 2, #inflight do
    if inflight[i].deadline < first.deadline then first = inflight[i] end
  end
  return first
end

-- Reads the oldest answer over a streaming transport: decoded as it arrives; with
-- commands waiting, the next document goes out before its last piece is decoded.
function Session:read_streaming(conn)
  local rec = self.inflight[1]
  local dec = self:decoder(rec.rows)
  local ok, err
  repeat
    local due = first_deadline(self.inflight)
    ok, err = conn:receive_into(dec, rec.rows and ROWS_MAX_DOCUMENT or nil, due.deadline - core.now())
    if conn ~= self.conn then return end -- discarded meanwhile: its commands have their outcome
    if ok == false and not self:hand_rows(conn, rec, dec) then return end
  until ok ~= false
  if not ok then
    if type(err) == "table" and err.kind == "limit" then return self:over_limit(conn, err) end
    if type(err) == "table" and err.kind == "timeout" then
      local due = first_deadline(self.inflight)
      if due.deadline <= core.now() + 0.001 then
        self:timed_out(due)
        due.answered = true
        return
      end
      return -- (a deadline moved meanwhile: read again)
    end
    return self:lost(conn, err)
  end
  table.remove(self.inflight, 1)
  rec.answered = true
  if PROF then
    local t = core.now()
    self.t_answer = t
    prof_add("rtt", t - rec.t_sent); prof_add("docs", 1)
    local r = PROF.rtts or {}; PROF.rtts = r; r[#r + 1] = t - rec.t_sent
  end
  local sent, werr = self:write_next()
  if PROF and sent then prof_add("early", 1) end
  local t0 = PROF and core.now()
  local decoded, derr = xml.decoded(conn:finish(dec))
  if PROF then prof_add("dec", core.now() - t0) end
  if decoded and decoded.rows then -- the last rows: handed out once the answer is checked
    local r = decoded.responses[1]
    if type(r) == "table" and not Error.is(r) then r._rows, r._keys = decoded.rows, decoded.keys end
    decoded.rows, decoded.keys = nil, nil
  end
  self:answer_decoded(conn, rec, decoded, derr)
  if not sent and werr then return self:lost(conn, werr) end
end

-- Reads the answer to the oldest document in flight. With commands waiting, the next
-- document goes out first and the answer is decoded and handed out by a dispatch task.
function Session:read_one()
  local conn = self.conn
  if conn.receive_into and not self.log:enabled("trace") then return self:read_streaming(conn) end
  local doc, err = conn:receive()
  if conn ~= self.conn then return end -- discarded meanwhile: its commands have their outcome
  if not doc then
    if type(err) == "table" and err.kind == "limit" then return self:over_limit(conn, err) end
    return self:lost(conn, err)
  end
  local rec = table.remove(self.inflight, 1)
  rec.answered = true
  if PROF then
    local t = core.now()
    self.t_answer = t
    prof_add("rtt", t - rec.t_sent); prof_add("docs", 1)
    local r = PROF.rtts or {}; PROF.rtts = r; r[#r + 1] = t - rec.t_sent
  end
  local sent, werr = self:write_next()
  if not sent and werr then
    -- the connection broke under the new document: the answer in hand still counts
    self:answer(conn, rec, doc)
    return self:lost(conn, werr)
  end
  if sent then
    if PROF then prof_add("early", 1) end
    core.spawn(self.dispatch, self, conn, rec, doc)
    return
  end
  self:answer(conn, rec, doc)
end

-- The dispatch task of one answer (see read_one).
function Session:dispatch(conn, rec, doc)
  local ok, err = pcall(self.answer, self, conn, rec, doc)
  if not ok then
    self.log:log("error", "session %d: internal error: %s", self.index, tostring(err))
    for _, e in ipairs(rec.entries) do fail(e, "protocol", "internal error: " .. tostring(err), true) end
    if conn == self.conn then self:drop(Error.new("protocol", "internal error: " .. tostring(err))) end
  end
end

-- A document-level ErrorResponse: the server ran none of the commands; each goes back to
-- the queue to be sent alone, once (a second document-level error then answers it alone).
function Session:resend_alone(rec, r)
  local pool, log = self.pool, self.log
  local again = {}
  for _, e in ipairs(rec.entries) do
    if pool.closed then
      fail(e, "closed", "client closed before the command could be sent again (the server refused " ..
        "its document as a whole: " .. tostring(r.summary or r.message) .. ")", true)
    elseif not e.done then
      e.alone = true
      again[#again + 1] = e
    end
  end
  pool.document_errors = (pool.document_errors or 0) + 1
  log:log("debug", "session %d: one ErrorResponse for a document of %d commands (%s); sending each alone",
    self.index, #rec.entries, tostring(r.summary or r.message))
  if pool.document_errors == 3 then
    log:log("warn", "the server keeps answering documents of several commands with one ErrorResponse " ..
      "(%s); every command is sent again alone: use batch = 1 for this server", tostring(r.summary or r.message))
  end
  if #again > 0 then pool:push_front(again) end
end

-- Gives the commands of `rec` (no longer in flight) their answers from `doc`.
function Session:answer(conn, rec, doc)
  local log = self.log
  if log:enabled("trace") then log:log("trace", "%s << %s", conn.name, doc) end
  local t0 = PROF and core.now()
  local decoded, err = xml.decode(doc)
  if PROF then prof_add("dec", core.now() - t0) end
  if decoded and rec.rows then M.split_rows(decoded.responses[1]) end
  return self:answer_decoded(conn, rec, decoded, err)
end

--- split_rows(r): the rows of r's tables (a whole answer, not decoded in rows mode) are
-- taken out of r into r._rows / r._keys, for a rows command (client:rows).
function M.split_rows(r)
  if type(r) ~= "table" or Error.is(r) then return end
  local rows, keys = {}, {}
  for k, v in pairs(r) do
    if type(v) == "table" and type(v.headings) == "table" then
      for i = 1, #v do
        rows[#rows + 1], keys[#keys + 1] = v[i], k
        v[i] = nil
      end
    end
  end
  r._rows, r._keys = rows, keys
end

-- The same, for an answer already decoded (or an error decoding it).
function Session:answer_decoded(conn, rec, decoded, err)
  local log = self.log
  local t0 = PROF and core.now()
  local entries = rec.entries
  if not decoded then
    if type(err) == "table" and err.kind == "limit" then
      -- an answer over a decoder bound: asking again would get the same answer
      for _, e in ipairs(entries) do
        fail(e, "limit", "answer refused: " .. tostring(err.message or err), true)
      end
      return self:lost(conn, Error.new("closed", "answer over a limit"))
    end
    local why = Error.new("protocol", "unreadable answer: " .. tostring(err and err.message or err))
    self:give_back(entries, why)
    return self:lost(conn, why)
  end
  local responses = decoded.responses
  if correlate.document_error(rec, decoded) then return self:resend_alone(rec, responses[1]) end
  local why = correlate.check(rec, decoded)
  if why then
    log:log("warn", "session %d: %s; connection dropped", self.index, why)
    for _, e in ipairs(entries) do fail(e, "protocol", why, true) end
    return self:lost(conn, Error.new("protocol", why))
  end
  local again
  for i, e in ipairs(entries) do
    local r = responses[i]
    if session_lost_answer(r) and (e.relogins or 0) < 3 and not self.pool.closed then
      e.relogins = (e.relogins or 0) + 1
      again = again or {}
      again[#again + 1] = e
    else
      deliver(e, r)
    end
  end
  if PROF then prof_add("disp", core.now() - t0) end
  if again then
    log:log("debug", "session %d: server says the session is no longer logged in; logging in again", self.index)
    self.pool:push_front(again)
    if conn == self.conn then self.draining = true end
  end
  -- an expired session is dropped once the documents still in flight on it are read
  if self.draining and conn == self.conn and #self.inflight == 0 then
    self:lost(conn, Error.new("closed", "session expired"))
  end
end

-- The answer being read is over a limit (max_document, markup bounds): the oldest
-- document's commands fail with kind "limit" (not retried: the same answer would come
-- again); the connection is dropped, and the documents behind it count as lost.
function Session:over_limit(conn, err)
  local rec = table.remove(self.inflight, 1)
  if rec then
    rec.answered = true
    for _, e in ipairs(rec.entries) do
      fail(e, "limit", "answer refused: " .. tostring(err.message or err), true)
    end
  end
  return self:lost(conn, Error.new("closed", "answer over a limit: " .. tostring(err.message or err)))
end

-- Commands whose document got an unreadable answer: Get/List go back to the queue
-- once, the others fail (their outcome is unknown).
function Session:give_back(entries, err)
  local kind = (err and err.kind == "protocol") and "protocol" or "closed"
  local why = tostring(err and (err.message or err) or "connection lost")
  local again = {}
  for _, e in ipairs(entries) do
    if not e.done then
      if e.readonly and not e.retried and not e.streamed and not self.pool.closed then
        e.retried = true
        again[#again + 1] = e
      else
        fail(e, kind, "connection lost before the answer (" .. why .. "); not sent again, " ..
          "the server may have run it", true)
      end
    end
  end
  if #again > 0 then self.pool:push_front(again) end
end

-- Connection gone (closed, garbage, write error): discard it; Get/List commands in
-- flight go back to the queue once, the others fail (their outcome is unknown).
function Session:lost(conn, err)
  if conn ~= self.conn then return end
  self.conn = nil
  conn:close()
  if self.held then core.unpark(self.held) end -- a driver waiting for a rows consumer
  self.draining = false
  local inflight = self.inflight
  self.inflight = {}
  self:stop_guard()
  self.log:log("debug", "session %d: connection lost (%s)", self.index,
    tostring(err and (err.message or err) or "connection lost"))
  local all = {}
  for _, rec in ipairs(inflight) do
    rec.answered = true
    for _, e in ipairs(rec.entries) do all[#all + 1] = e end
  end
  self:give_back(all, err)
end

-- The oldest answer did not come in time: its commands fail with "timeout" and the
-- connection is discarded (later documents on it count as a lost connection).
function Session:timed_out(rec)
  local conn = rec.conn
  if conn ~= self.conn then return end
  self.log:log("warn", "session %d: no answer within %gs; connection discarded", self.index, self.opts.timeout)
  for _, e in ipairs(rec.entries) do
    fail(e, "timeout", ("no answer within %gs"):format(self.opts.timeout), true)
  end
  self:lost(conn, Error.new("closed", "timed out"))
end

-- Drops the connection after an internal error: everything it holds fails.
function Session:drop(err)
  local conn = self.conn
  if not conn then return end
  for _, rec in ipairs(self.inflight) do
    for _, e in ipairs(rec.entries) do fail(e, err.kind, err.message, true) end
  end
  self:lost(conn, err)
end

--- session:shutdown(): LogoutRequest without waiting, close; in-flight commands fail.
function Session:shutdown()
  local conn = self.conn
  if not conn then return end
  self.conn = nil
  if self.held then core.unpark(self.held) end
  self.draining = false
  local inflight = self.inflight
  self.inflight = {}
  self:stop_guard()
  for _, rec in ipairs(inflight) do
    rec.answered = true
    for _, e in ipairs(rec.entries) do
      fail(e, "closed", "client closed before the answer came", true)
    end
  end
  local ok, doc = pcall(login.logout_document, self.opts, self.session_id)
  if ok and doc then
    if self.log:enabled("trace") then self.log:log("trace", "%s >> %s", conn.name, doc) end
    conn:send_last(doc)
  else
    conn:close()
  end
  self.log:log("debug", "session %d: logged out", self.index)
end

return M
