-- Listeners and per-connection loops: OCI-P over TCP and TLS (framed documents),
-- and SOAP over HTTP/1.1 (Content-Length bodies, keep-alive, JSESSIONID).
-- Faults are applied here, per document, from the live sim.faults table.
local core = require "ocip.core"
local engine = require "ocip.sim.engine"
local auth = require "ocip.sim.auth"
local faults_mod = require "ocip.sim.faults"
local respond = require "ocip.sim.respond"
local wsdl = require "ocip.sim.wsdl"

local M = {}

local SOAP_PATH = "/webservice/services/ProvisioningService"
local MAX_HEADER = 64 * 1024
local MAX_BODY = 64 * 1024 * 1024

-- sim.conns: conn -> { session = (OCI-P only), since = time it was last seen
-- not logged in, nil while logged in }
local function track(sim, conn, session)
  sim.conns[conn] = { session = session, since = core.now() }
  sim.stats.connections = sim.stats.connections + 1
end

-- Runs fn(...) as a task that sim.stop() cancels if it is still running.
local function spawn(sim, fn, ...)
  local t
  t = core.spawn(function(...)
    local ok, err = pcall(fn, ...)
    sim.active[t] = nil
    if not ok then error(err, 0) end
  end, ...)
  sim.active[t] = true
  return t
end

local function untrack(sim, conn)
  sim.conns[conn] = nil
  conn:close()
end

-- Bytes that frame like a document (the root element closes, so a reader gets
-- a whole document) but do not decode: the tags inside do not match.
local function garbage(rng)
  local junk = {}
  for i = 1, 16 do junk[i] = string.format("%02x", rng:int(0, 255)) end
  return '<?xml version="1.0" encoding="ISO-8859-1"?>\n<BroadsoftDocument protocol="OCI">'
    .. '<sessionId xmlns="">garbage</sessionId><garbage x="' .. table.concat(junk, "", 1, 8)
    .. '">' .. table.concat(junk, "", 9) .. "</rubbish></BroadsoftDocument>\n"
end

-- Hostile answers, on the wire ---------------------------------------------

local MANY_ATTRS = 300000
local attrs_cache = { n = 0, s = "" }

-- many_attrs_p: ` a1="" a2="" ...` inserted into the first <command start tag.
local function many_attrs(reply, n)
  if attrs_cache.n ~= n then
    local t = {}
    for i = 1, n do t[i] = ' a' .. i .. '=""' end
    attrs_cache.n, attrs_cache.s = n, table.concat(t)
  end
  local at = reply:find("<command", 1, true)
  if not at then return reply end
  at = at + #"<command"
  return reply:sub(1, at - 1) .. attrs_cache.s .. reply:sub(at)
end

-- extra_doc_p: a plausible answer nobody asked for (the last echo again).
local function extra_doc(info)
  return respond.document(info.sid, { respond.command(respond.SUCCESS, info.echo) })
end

-- Applies many_attrs_p, dup_answer_p and dup_login_p to an engine reply (info:
-- from engine.document). Returns the bytes to write and whether an extra
-- document should follow.
local function hostile(sim, reply, info)
  local f, rng, stats = sim.faults, sim.rng, sim.stats
  if f.many_attrs_p and rng:chance(f.many_attrs_p) then
    stats.many_attrs = stats.many_attrs + 1
    reply = many_attrs(reply, f.many_attrs_n or MANY_ATTRS)
  end
  if f.dup_answer_p and rng:chance(f.dup_answer_p) then
    stats.dup_answers = stats.dup_answers + 1
    reply = reply .. reply
  elseif info and info.login and f.dup_login_p and rng:chance(f.dup_login_p) then
    stats.dup_logins = stats.dup_logins + 1
    reply = reply .. reply
  end
  return reply, info and f.extra_doc_p and rng:chance(f.extra_doc_p) or false
end

-- Writes one reply under the write-side faults. Returns false when the
-- connection must end.
local function send(sim, conn, state, reply)
  local f, rng = sim.faults, sim.rng
  if f.drop_after and state.written + #reply > f.drop_after then
    local keep = f.drop_after - state.written
    if keep > 0 then conn:write(reply:sub(1, keep)); conn:flush() end
    sim.stats.dropped = sim.stats.dropped + 1
    return false
  end
  if rng:chance(f.drop_p) then
    conn:write(reply:sub(1, rng:int(0, #reply - 1)))
    conn:flush()
    sim.stats.dropped = sim.stats.dropped + 1
    return false
  end
  state.written = state.written + #reply
  -- split: one byte per loop turn; split_p: this reply in pieces of 1-64 bytes. The
  -- kernel usually takes a write at once (flush does not wait then), so without the
  -- yield the bytes would leave back-to-back and the peer would read them as one chunk.
  local piece = f.split and 0 or (f.split_p and rng:chance(f.split_p) and 63)
  if piece then
    local i, n = 1, #reply
    while i <= n do
      local j = math.min(n, i + (piece > 0 and rng:int(0, piece) or 0))
      if not conn:write(reply:sub(i, j)) then return false end
      if not conn:flush() then return false end
      core.sleep(0)
      i = j + 1
    end
    return true
  end
  return conn:write(reply) and true or false
end
M.send = send

-- Read-side faults: "reply", "stall" or "close", and the delay of the reply in
-- seconds (counted from the arrival of the document).
local function decide(sim)
  local f, rng = sim.faults, sim.rng
  if f.close_no_reply_p and rng:chance(f.close_no_reply_p) then return "close", 0 end
  if f.stall_p and rng:chance(f.stall_p) then return "stall", 0 end
  if f.latency or f.jitter then return "reply", faults_mod.delay(f, rng) end
  return "reply", 0
end
M.decide = decide

-- Waits until core.now() reaches `due` (core.sleep_until: to the microsecond, where
-- millisecond timers would make a 5 ms server answer in 5.0-5.7 ms).
local sleep_until = core.sleep_until
M.sleep_until = sleep_until

-- Replies leave in document order, each at its due time: a server that takes
-- `latency` per document from its arrival, the processing of the next documents
-- overlapping the wait. A queue entry: { due, reply, idle } (reply false = close;
-- idle = an unsolicited document, written only if no document was read since
-- it was queued, i.e. nothing is in flight on the connection).
local function writer(sim, conn, st)
  local q = st.queue
  while st.head <= st.tail and not sim.stopped do
    local item = q[st.head]
    q[st.head] = nil
    st.head = st.head + 1
    local idle = item[3]
    if not idle or idle == st.reads then sleep_until(item[1]) end
    if sim.stopped then break end
    if idle then
      if idle == st.reads then
        if not send(sim, conn, st, item[2]) then st.failed = true break end
        sim.stats.extra_docs = sim.stats.extra_docs + 1
      end
    elseif not item[2] then
      sim.stats.closed_no_reply = sim.stats.closed_no_reply + 1
      st.failed = true
      break
    end
    if not send(sim, conn, st, item[2]) then st.failed = true break end
  end
  st.writer = nil
  if st.failed or st.done then untrack(sim, conn) end
end

local function queue_reply(sim, conn, st, due, reply, idle)
  st.tail = st.tail + 1
  st.queue[st.tail] = { due, reply, idle }
  if not st.writer then st.writer = spawn(sim, writer, sim, conn, st) end
end

local function serve_ocip(sim, conn, secure)
  local session = auth.new_session(secure)
  track(sim, conn, session)
  local st = { written = 0, queue = {}, head = 1, tail = 0, reads = 0 }
  while not sim.stopped and not st.failed do
    local doc = conn:read()
    if not doc or st.failed then break end
    st.reads = st.reads + 1
    -- slow reader: the document counts as read once its bytes have trickled in
    -- at slow_read bytes/s; meanwhile later documents wait in the buffers
    local due = sim.faults.slow_read and faults_mod.read_due(sim.faults, st.read_clock,
      core.now(), #doc)
    if due then
      st.read_clock = due
      sleep_until(due)
      if sim.stopped or st.failed then break end
    end
    -- latency counts from when the bytes came in, not from when this task got to
    -- them (the loop may have been serving other connections meanwhile)
    local arrived = due and core.now() or conn:arrived() or core.now()
    local what, delay = decide(sim)
    if what == "stall" then
      sim.stats.stalled = sim.stats.stalled + 1
    else
      local reply, info, extra = false, nil, false
      if what == "reply" then
        reply, info = engine.document(sim, session, doc)
        if sim.faults.garbage_p and sim.rng:chance(sim.faults.garbage_p) then
          reply = garbage(sim.rng)
        end
        reply, extra = hostile(sim, reply, info)
      end
      if sim.stopped then break end
      if delay > 0 or st.writer or sim.faults.split then
        queue_reply(sim, conn, st, arrived + delay, reply)
        if not reply then break end
      elseif not reply then
        sim.stats.closed_no_reply = sim.stats.closed_no_reply + 1
        break
      elseif not send(sim, conn, st, reply) then
        break
      end
      if extra then queue_reply(sim, conn, st, arrived + delay, extra_doc(info), st.reads) end
    end
  end
  st.done = true
  if not st.writer then untrack(sim, conn) end
end

-- Registers listener srv with sim and accepts until the sim stops, serving each
-- connection as serve(sim, conn, ...) in its own task. Returns the port.
local function accept_loop(sim, srv, serve, ...)
  local extra = table.pack(...)
  sim.listeners[#sim.listeners + 1] = srv
  sim.tasks[#sim.tasks + 1] = core.spawn(function()
    while not sim.stopped do
      local conn = srv:accept()
      if not conn then break end
      if sim.stopped then conn:close() break end
      spawn(sim, serve, sim, conn, table.unpack(extra, 1, extra.n))
    end
  end)
  return srv:port()
end

--- Closes OCI-P connections that are not logged in sim.login_timeout seconds
--- after they were accepted or last seen logged in (a server does not keep peers
--- that never log in). One task checks every connection a few times per timeout
--- (at least once a second); sim.login_timeout is read live.
function M.start_login_timeout(sim)
  local limit = sim.login_timeout
  if not limit or limit <= 0 then return end
  sim.tasks[#sim.tasks + 1] = core.spawn(function()
    while not sim.stopped do
      limit = sim.login_timeout
      if not limit or limit <= 0 then break end
      core.sleep(math.min(math.max(limit / 4, 0.05), 1))
      limit = sim.login_timeout or 0
      local now = core.now()
      for conn, info in pairs(sim.conns) do
        local session = info.session
        if session then
          if session.logged_in then
            info.since = nil
          elseif not info.since then
            info.since = now
          elseif limit > 0 and now - info.since >= limit then
            info.session = nil -- counted once; its reader sees the close and untracks it
            sim.stats.login_timeouts = sim.stats.login_timeouts + 1
            conn:close()
          end
        end
      end
    end
  end)
end

--- Starts an OCI-P listener (TCP, or TLS when tls is given). Returns the port.
function M.listen_ocip(sim, port, tls)
  local srv, err = core.tcp_listen { host = sim.host, port = port or 0, tls = tls,
    mode = "document" }
  if not srv then error(err, 0) end
  return accept_loop(sim, srv, serve_ocip, tls ~= nil)
end

-- SOAP ----------------------------------------------------------------------

local REASONS = { [200] = "OK", [400] = "Bad Request", [404] = "Not Found",
  [405] = "Method Not Allowed", [413] = "Payload Too Large", [500] = "Internal Server Error" }

local function http_reply(conn, status, body, extra)
  local head = { "HTTP/1.1 " .. status .. " " .. (REASONS[status] or "Status"),
    "Content-Type: text/xml; charset=utf-8", "Content-Length: " .. #body }
  for _, h in ipairs(extra or {}) do head[#head + 1] = h end
  return conn:write(table.concat(head, "\r\n") .. "\r\n\r\n" .. body)
end

-- Reads one HTTP request from conn (buffered in st.buf): method, path, headers, body.
local function read_request(conn, st)
  local hend = st.buf:find("\r\n\r\n", 1, true)
  if not hend then
    -- a header that trickles in: the pieces are kept apart and joined once, and only
    -- the new bytes (with the 3 before them) are searched, so a slow sender costs
    -- linear time, not a copy of everything so far per piece
    local parts, have, tail = { st.buf }, #st.buf, st.buf:sub(-3)
    while not hend do
      if have > MAX_HEADER then return nil, 413 end
      local chunk = conn:read()
      if not chunk then return nil end
      local at = (tail .. chunk:sub(1, 3)):find("\r\n\r\n", 1, true) or
        (chunk:find("\r\n\r\n", 1, true) and chunk:find("\r\n\r\n", 1, true) + #tail)
      parts[#parts + 1] = chunk
      if at then hend = have - #tail + at end
      have = have + #chunk
      tail = #chunk >= 3 and chunk:sub(-3) or (tail .. chunk):sub(-3)
    end
    st.buf = table.concat(parts)
  end
  local head = st.buf:sub(1, hend - 1)
  st.buf = st.buf:sub(hend + 4)
  local method, path, version = head:match("^(%u+) (%S+) HTTP/(%d%.%d)")
  if not method then return nil, 400 end
  local headers = {}
  for k, v in head:gmatch("\r\n([^:\r\n]+):[ \t]*([^\r\n]*)") do headers[k:lower()] = v end
  local cl = headers["content-length"] or "0"
  if not cl:match("^%d+$") or #cl > 12 then return nil, 400 end -- digits only: no 1.5, 0x2, 1e1
  local len = math.tointeger(tonumber(cl))
  if len > MAX_BODY then return nil, 413 end
  local parts, have = { st.buf }, #st.buf
  while have < len do
    local chunk = conn:read()
    if not chunk then return nil end
    parts[#parts + 1] = chunk
    have = have + #chunk
  end
  local all = table.concat(parts)
  st.buf = all:sub(len + 1)
  return { method = method, path = path, version = version, headers = headers,
    body = all:sub(1, len), arrived = conn:arrived() or core.now() }
end

-- SOAP sessions live by cookie; clients that never come back must not make the
-- table grow without end. Every SWEEP_EVERY new sessions, those idle too long go:
-- logged in, after the session timeout (default 1 h); otherwise (never logged in,
-- logged out, expired) after sim.soap_idle seconds (default 5 min).
local SWEEP_EVERY = 64

local function sweep_soap_sessions(sim, now)
  local idle_out = sim.soap_idle or 300
  local idle_in = sim.session_timeout or 3600
  for id, s in pairs(sim.soap_sessions) do
    if now - (s.last_used or 0) > (s.logged_in and idle_in or idle_out) then
      sim.soap_sessions[id] = nil
    end
  end
end

local function soap_session(sim, headers)
  local now = core.now()
  local cookie = headers.cookie and headers.cookie:match("JSESSIONID=([^;%s]+)")
  local s = cookie and sim.soap_sessions[cookie]
  if s then s.last_used = now return s, nil end
  sim.soap_created = (sim.soap_created or 0) + 1
  if sim.soap_created % SWEEP_EVERY == 0 then sweep_soap_sessions(sim, now) end
  local id = (core.random_id and core.random_id() or tostring(sim.rng:int(1, 1 << 52)))
    :gsub("[^%w%-]", "")
  s = auth.new_session(false)
  s.last_used = now
  sim.soap_sessions[id] = s
  return s, "Set-Cookie: JSESSIONID=" .. id .. "; Path=/webservice; HttpOnly"
end

local serve_soap_requests

-- Whatever happens while serving (even an error), the connection is closed and
-- forgotten.
local function serve_soap(sim, conn)
  track(sim, conn)
  local ok, err = pcall(serve_soap_requests, sim, conn)
  untrack(sim, conn)
  if not ok then error(err, 0) end
end

function serve_soap_requests(sim, conn)
  local soap = require "ocip.soap"
  local st = { buf = "" }
  while not sim.stopped do
    local req, status = read_request(conn, st)
    if not req then
      if status then http_reply(conn, status, "") end
      break
    end
    local due = sim.faults.slow_read and faults_mod.read_due(sim.faults, st.read_clock,
      req.arrived, #req.body)
    if due then
      st.read_clock = due
      sleep_until(due)
      if sim.stopped then break end
      req.arrived = core.now()
    end
    local keep = (req.headers.connection or ""):lower() ~= "close" and req.version ~= "1.0"
    if req.path:gsub("%?.*", "") ~= SOAP_PATH then
      http_reply(conn, 404, "")
    elseif wsdl.is_request(req.method, req.path) then
      -- the service description SOAP client libraries start from
      http_reply(conn, 200, wsdl.document(wsdl.location(req.headers.host, sim.host,
        sim.soap_port, SOAP_PATH)))
    elseif req.method ~= "POST" then
      http_reply(conn, 405, "", { "Allow: GET, POST" })
    else
      local session, set_cookie = soap_session(sim, req.headers)
      local doc, err = soap.parse_request(req.body)
      if not doc then
        http_reply(conn, 500, soap.fault_envelope("INVALID_REQUEST",
          type(err) == "table" and err.message or tostring(err)), { set_cookie })
      else
        local what, delay = decide(sim)
        if what == "close" then break end
        if what ~= "stall" then
          local reply = engine.document(sim, session, doc)
          local body = assert(soap.response_envelope(reply))
          if delay > 0 then sleep_until(req.arrived + delay) end
          if not http_reply(conn, 200, body, { set_cookie }) then break end
        end
      end
    end
    if not keep then break end
  end
  conn:flush()
end

--- Starts the SOAP listener (plain HTTP). Returns the port.
function M.listen_soap(sim, port)
  local srv, err = core.tcp_listen { host = sim.host, port = port or 0, mode = "raw" }
  if not srv then error(err, 0) end
  return accept_loop(sim, srv, serve_soap)
end

M.SOAP_PATH = SOAP_PATH
return M
