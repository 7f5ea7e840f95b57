-- ocip.client: the public client object (DESIGN.md "The Lua API").
--   local c = ocip.connect{ host=, port=, username=, password=, ... }   -- or nil, err
--   local c = ocip.client{ ... }; assert(c:authenticate())
--   profile = "prod" (or true: the default profile) merges the profile file and OCIP_*
--   under the given options, as the CLI does (ocip.profile.settings)
--   c:command(req) / c:raw_command(name, fields) / c:UserGetRequest23V2{ ... }
--   c:close()  (also <close>): LogoutRequest on every connection, without waiting.
-- Results: the response table, or nil, err (err an ocip.Error with kind, message, command,
-- sent, and for server errors code, summary, summary_english, detail, severity);
-- raise = true throws that same error object instead.
-- Warnings: an ErrorResponse of type Warning or Info means the request succeeded; the
-- result is then { _type = "SuccessResponse", warnings = { err } } (err kind "server",
-- severity "Warning"/"Info"), never nil.
-- Retries: requests whose name contains "Get" are sent again once after a lost
-- connection; other requests are never sent twice unless the server answered that the
-- session was not logged in (then the request was not run, and goes again after a new
-- login, at most 3 times).
local core = require "ocip.core"
local Error = require "ocip.error"
local catalog = require "ocip.catalog"
local validate = require "ocip.validate"
local logmod = require "ocip.log"
local Pool = require "ocip.pool"
local login = require "ocip.login"
local async = require "ocip.async"

local M = {}
local Client = {}
local mt = { __name = "ocip.client" }

local TRANSPORTS = { tcp = "ocip.transport.tcp", soap = "ocip.transport.soap" }

local function usage(msg) return nil, Error.new("usage", msg) end

local function positive(v, name, integer)
  if type(v) ~= "number" or v <= 0 or (integer and math.tointeger(v) == nil) or v ~= v then
    return nil, ("%s must be a positive %s"):format(name, integer and "integer" or "number")
  end
  return true
end

-- Checks the options and fills the defaults; returns the normalised copy or nil, err.
local function normalise(opts)
  if type(opts) ~= "table" then return usage("ocip.client: options table expected") end
  local o = {}
  for k, v in pairs(opts) do o[k] = v end
  o.transport = o.transport or "tcp"
  if not TRANSPORTS[o.transport] then return usage("transport must be \"tcp\" or \"soap\"") end
  if o.transport == "soap" then
    if not o.url and type(o.host) ~= "string" then return usage("host (or url) is required") end
    if o.url then
      if type(o.url) ~= "string" or not o.url:match("^[Hh][Tt][Tt][Pp][Ss]?://") then
        return usage("url must start with http:// or https://")
      end
      o.tls = o.url:lower():sub(1, 6) == "https:"
    elseif o.tls == nil then
      o.tls = true
    end
  else
    if type(o.host) ~= "string" or o.host == "" then return usage("host is required") end
    if o.tls == nil then o.tls = o.port ~= 2208 end
    o.port = o.port or (o.tls and 2209 or 2208)
    if not math.tointeger(o.port) or o.port < 1 or o.port > 65535 then return usage("port must be 1..65535") end
  end
  o.timeout = o.timeout or 30
  o.sessions = o.sessions or 4
  o.batch = o.batch or 15
  o.login = o.login or "auto"
  local ok, why = positive(o.timeout, "timeout")
  if ok then ok, why = positive(o.sessions, "sessions", true) end
  if ok then ok, why = positive(o.batch, "batch", true) end
  if ok and o.pipeline ~= nil then ok, why = positive(o.pipeline, "pipeline", true) end
  if ok and o.rate ~= nil then ok, why = positive(o.rate, "rate") end
  if not ok then return usage(why) end
  if o.batch > 15 then return usage("batch must be at most 15 (the schema's limit per document)") end
  if o.sessions > 64 then return usage("sessions must be at most 64") end
  local lok, lerr = login.validate(o, o.tls and true or false)
  if not lok then return nil, lerr end
  return o
end

--- ocip.client(opts) -> client (not yet connected) or nil, err
function M.new(opts)
  local raise = type(opts) == "table" and opts.raise
  local o, err = opts, nil
  if type(opts) == "table" and opts.profile ~= nil and opts.profile ~= false then
    o, err = require("ocip.profile").settings(opts)
  end
  if o then o, err = normalise(o) end
  if not o then
    if raise then error(err, 0) end
    return nil, err
  end
  local secrets = { o.password }
  for _, s in ipairs(o.secrets or {}) do secrets[#secrets + 1] = s end
  local okl, log = pcall(logmod.bind, o.log, secrets)
  if not okl then
    err = Error.new("usage", tostring(log))
    if raise then error(err, 0) end
    return nil, err
  end
  if o.insecure and o.tls then
    log:log("warn", "TLS certificate and host name verification disabled (insecure = true)")
  end
  -- _transport: a module with open(opts, log) (specs inject a fake; see spec/support)
  local transport = o._transport or require(TRANSPORTS[o.transport])
  local c = {
    _opts = o, _log = log, _raise = o.raise and true or false,
    _pool = Pool.new(o, log, transport),
  }
  return setmetatable(c, mt)
end

local function result(c, r, err)
  if r == nil and c._raise then error(err, 0) end
  return r, err
end

local function need_task(what)
  if not core.current() then
    error(Error.new("usage", "ocip: " .. what .. " must be called from an ocip task (ocip.run / ocip.spawn)"), 0)
  end
end

--- c:authenticate() -> true or nil, err: connects and logs in the first session
function Client:authenticate()
  need_task("authenticate")
  local ok, err = self._pool:authenticate()
  if ok then
    local o = self._opts
    self._log:log("info", "logged in to %s as %s", o.url or (o.transport == "soap" and
      require("ocip.transport.soap").url(o)) or (o.host .. ":" .. o.port), o.username)
    return true
  end
  return result(self, nil, err)
end

-- An entry is to-be-closed in its caller: when the caller's task is cancelled (ocip.timeout,
-- task:cancel) before the outcome, the pool takes the command back (never sent if not yet
-- written). The entry itself carries the metatable: no extra allocation per command.
local ENTRY = { __close = function(e)
  if not e.done then e.pool:abandon(e, async.cancelling()) end
end }

-- Submits a validated request and waits for its one outcome.
local function run(c, req)
  need_task(req._type)
  local name = req._type
  local pool = c._pool
  local e <close> = setmetatable({
    req = req, name = name, deadline = core.now() + c._opts.timeout, pool = pool,
    readonly = name:find("Get", 1, true) ~= nil, task = core.current(), done = false,
  }, ENTRY)
  pool:submit(e)
  while not e.done do core.park() end
  e.task = nil
  return result(c, e.resp, e.err)
end

-- Rows: the entry of c:rows keeps the batches of rows the session hands over (each an
-- array of rows and one of their tables' keys) until its consumer takes them.
local ROWS_ENTRY = { __close = function(e)
  if not e.done then e.pool:abandon(e, async.cancelling()) end
  if e.driver then core.unpark(e.driver) end -- a session waiting for this consumer
end }

local function rows_entry(c, req)
  local pool = c._pool
  local name = req._type
  local e = setmetatable({
    req = req, name = name, deadline = core.now() + c._opts.timeout, pool = pool,
    readonly = name:find("Get", 1, true) ~= nil, task = core.current(), done = false,
    alone = true, qrows = {}, qkeys = {}, qhead = 1, qtail = 0, at = 1,
  }, ROWS_ENTRY)
  -- (session side) a batch of rows: queued; returns the batches waiting
  e.on_rows = function(rows, keys)
    local t = e.qtail + 1
    e.qtail = t
    e.qrows[t], e.qkeys[t] = rows, keys
    if e.task then core.unpark(e.task) end
    return t - e.qhead + 1
  end
  e.rows_waiting = function() return e.qtail - e.qhead + 1 end
  return e
end

-- The next row of e and its table's key; waits for them; nil at the end; raises the
-- command's error (also after rows were handed out: the answer turned out wrong).
local function next_row(e)
  while true do
    local h = e.qhead
    if h <= e.qtail then
      local rows, i = e.qrows[h], e.at
      local row = rows[i]
      if row ~= nil then
        e.at = i + 1
        return row, e.qkeys[h][i]
      end
      e.qrows[h], e.qkeys[h] = nil, nil
      e.qhead, e.at = h + 1, 1
      if e.driver then core.unpark(e.driver) end -- room again: the session reads on
    elseif e.done then
      if e.err then error(e.err, 0) end
      return nil
    else
      e.task = core.current()
      core.park()
    end
  end
end

--- c:rows(req [, fn]) -> for row, key in c:rows(req) do ... end
-- Hands each row of the answer's tables to the loop as it is decoded (key: the table's
-- snake_case name, e.g. "user_table"), none kept: a 500,000-row answer needs no more
-- memory than a small one. The command travels alone in its document. A failure raises
-- the ocip.Error from the loop — also one found after rows were handed out (the answer
-- turned out not to be this command's, or broke off: rows already seen came from it).
-- Leaving the loop early (break) abandons the command; its answer is read and dropped.
-- With fn: calls fn(row, key) for each row and returns the response (its tables empty)
-- or nil, err (raised when raise = true) instead.
function Client:rows(req, fn)
  if type(req) ~= "table" then
    error(Error.new("usage", "rows: request table expected, got " .. type(req), { sent = false }), 2)
  end
  local built, err = req, nil
  if getmetatable(req) ~= validate.Request then
    built, err = catalog.build(req._type, req)
    if not built then
      err.sent = false
      err.command = err.command or req._type
      if fn then return result(self, nil, err) end
      error(err, 2)
    end
  end
  need_task(built._type)
  local e = rows_entry(self, built)
  self._pool:submit(e)
  if not fn then return next_row, e, nil, e end
  local e2 <close> = e
  local ok, perr = pcall(function()
    for row, key in next_row, e do fn(row, key) end
  end)
  if not ok then
    if Error.is(perr) and perr == e.err then return result(self, nil, perr) end
    error(perr, 0) -- fn raised
  end
  e.task = nil
  return result(self, e.resp, nil)
end

--- c:command(req) -> response or nil, err. req: a request object (ocip.commands.X{...})
-- or a plain table with _type and fields (snake_case or XML names), validated here.
function Client:command(req)
  if type(req) ~= "table" then
    return result(self, nil, Error.new("usage", "command: request table expected, got " .. type(req), { sent = false }))
  end
  local built, err = req, nil
  if getmetatable(req) ~= validate.Request then
    built, err = catalog.build(req._type, req)
    if not built then
      err.sent = false
      err.command = err.command or req._type
      return result(self, nil, err)
    end
  end
  return run(self, built)
end

--- c:raw_command(name, fields) -> response or nil, err (fields by XML or snake name)
function Client:raw_command(name, fields)
  local built, err = catalog.build(name, fields or {})
  if not built then
    err.sent = false
    err.command = err.command or name
    return result(self, nil, err)
  end
  return run(self, built)
end

--- c:close(): LogoutRequest on every connection (no wait), then close; idempotent.
-- Queued commands fail with kind "closed", sent = false; later ones too.
function Client:close()
  self._pool:close()
  return true
end

--- c:stats() -> { sessions = connected sessions, queued = commands waiting }
function Client:stats()
  local p, n = self._pool, 0
  for _, s in ipairs(p.sessions) do if s.conn then n = n + 1 end end
  return { sessions = n, queued = p.tail - p.head + 1 }
end

-- c:<RequestName>{...}: one closure per request name, shared by every client.
local shorthand = {}
mt.__index = function(_, k)
  local m = Client[k]
  if m ~= nil then return m end
  if type(k) ~= "string" then return nil end
  local f = shorthand[k]
  if f == nil then
    if not catalog.is_request(k) then
      -- a mistyped request is a programming error: say which request was meant
      if k:find("Request", 1, true) or k:find("Response", 1, true) then error(catalog.unknown_request(k), 2) end
      return nil
    end
    f = function(self, fields) return self:raw_command(k, fields) end
    shorthand[k] = f
  end
  return f
end
mt.__close = function(c) c:close() end
mt.__tostring = function(c)
  local o = c._opts
  return ("ocip.client(%s %s)"):format(o.transport, o.url or o.host)
end

--- ocip.connect(opts) -> connected, authenticated client, or nil, err
function M.connect(opts)
  local c, err = M.new(opts)
  if not c then return nil, err end
  local ok, r, aerr = pcall(Client.authenticate, c)
  if ok and r then return c end
  c:close()
  if not ok then error(r, 0) end -- raise = true, or called outside a task
  return nil, aerr
end

M.Client = Client
return M
