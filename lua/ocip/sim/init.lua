-- ocip.sim: a local OCI-P server with state and fault injection.
--   local sim = require("ocip.sim").start{ tcp_port = 0, users = 1000, seed = 1 }
--   ... sim.tcp_port, sim.admin, sim.password, sim.state, sim.faults ...
--   sim.stop()
-- It runs as tasks in the current ocip loop (call it from inside ocip.run / a task).
local core = require "ocip.core"
local Error = require "ocip.error"
local State = require "ocip.sim.state"
local rng_mod = require "ocip.sim.rng"
local faults_mod = require "ocip.sim.faults"
local server = require "ocip.sim.server"
local persist = require "ocip.sim.persist"
local ledger = require "ocip.sim.ledger"

local M = {}

-- Users seeded when neither opts.users nor --users says otherwise: enough for a
-- first try (user000001@example.net ... user000010@example.net in sp1/g1).
M.DEFAULT_USERS = 10

-- Seconds an OCI-P connection may stay without logging in (after accept or logout).
M.DEFAULT_LOGIN_TIMEOUT = 60

M.parse_faults = faults_mod.parse

--- sim.start(opts) -> sim object:
---   opts: tcp_port (0 = any; false = none), tls = {cert_file=, key_file=, port=},
---   tls_port, soap_port (nil = none), host ("127.0.0.1"), users (default 10), seed,
---   entities (true: also seed sp1/g1 with devices, hunt groups, call centers, an auto
---   attendant, a pickup group, departments, numbers: ocip.sim.seed),
---   latency (ms per document, counted from its arrival),
---   faults (string or table), admin, password, session_timeout (s), domain,
---   login_timeout (s, default 60: OCI-P connections not logged in by then are
---   closed; 0 or false = never),
---   state_file (loaded at start when it exists, instead of the seeded data;
---   written on stop(): docs/SIMULATOR.md), run_log (file: one line per write
---   run, ocip.sim.ledger), on_run (function(name, cmd) called as each command
---   runs; also settable as sim.on_run).
---   Returns { tcp_port=, tls_port=, soap_port=, soap_url=, admin=, password=, state=,
---   faults=, stats=, stop=function, save=function }.

-- The state: from opts.state_file when that file exists, else seeded.
local function seeded(opts, st_opts)
  local st = State.new(st_opts)
  if opts.entities then require("ocip.sim.seed").entities(st) end
  return st
end

local function initial_state(opts, seed)
  local st_opts = { users = opts.users or M.DEFAULT_USERS, seed = seed, domain = opts.domain }
  if not opts.state_file then return seeded(opts, st_opts) end
  local data, err = persist.read(opts.state_file)
  if not data then
    if err then Error.raise("usage", "--state " .. opts.state_file .. ": " .. err) end
    return seeded(opts, st_opts)
  end
  st_opts.empty = true
  local st = State.new(st_opts)
  local ok, code, msg = st:load(data)
  if not ok then
    Error.raise("usage", "--state " .. opts.state_file .. ": [" .. tostring(code) .. "] "
      .. tostring(msg))
  end
  return st
end

function M.start(opts)
  opts = opts or {}
  if not core.current() then
    Error.raise("usage", "ocip.sim.start must be called from an ocip task (ocip.run)")
  end
  local seed = opts.seed or 1
  local sim = {
    host = opts.host or "127.0.0.1",
    admin = opts.admin or os.getenv("OCIP_SIM_ADMIN") or "admin",
    password = opts.password or os.getenv("OCIP_SIM_PASSWORD") or "admin-password",
    state = initial_state(opts, seed),
    state_file = opts.state_file,
    rng = rng_mod.new(seed),
    faults = faults_mod.parse(opts.faults),
    session_timeout = opts.session_timeout,
    login_timeout = opts.login_timeout == nil and M.DEFAULT_LOGIN_TIMEOUT or opts.login_timeout,
    listeners = {}, tasks = {}, active = {}, conns = {}, soap_sessions = {},
    stats = { documents = 0, commands = 0, connections = 0, dropped = 0, stalled = 0,
      closed_no_reply = 0, internal_errors = 0, login_timeouts = 0,
      -- what ran (ocip.sim.ledger) and the hostile faults injected
      ran = {}, writes_run = 0, dup_answers = 0, dup_logins = 0, wrong_types = 0,
      reordered = 0, doc_errors = 0, extra_docs = 0, many_attrs = 0 },
    on_run = opts.on_run,
  }
  if opts.latency then sim.faults.latency = tonumber(opts.latency) end
  sim.passwords = {}
  for uid, pw in sim.state:admin_passwords() do sim.passwords[uid] = pw end
  sim.passwords[sim.admin] = sim.password

  --- sim.save(path?) -> true or nil, message: writes the state file (path, else
  --- opts.state_file) through FILE.tmp and a rename.
  function sim.save(path)
    path = path or sim.state_file
    if not path then return nil, "no state file" end
    return persist.write(path, persist.snapshot(sim.state))
  end

  --- sim.stop() -> true, or nil + message when the state file could not be written
  function sim.stop()
    if sim.stopped then return true end
    sim.stopped = true
    for _, srv in ipairs(sim.listeners) do srv:close() end
    for conn in pairs(sim.conns) do conn:close() end
    sim.conns = {}
    for _, t in ipairs(sim.tasks) do
      if core.task_status(t) ~= "done" then pcall(core.cancel, t) end
    end
    -- connection tasks (readers, delayed writers) still running
    local me = core.current()
    for t in pairs(sim.active) do
      if t ~= me and core.task_status(t) ~= "done" then pcall(core.cancel, t) end
    end
    sim.active = {}
    ledger.close(sim)
    if sim.state_file and not sim.listen_failed then return sim.save() end
    return true
  end

  local ok, err = pcall(function()
    if opts.run_log then ledger.open(sim, opts.run_log) end
    if opts.tcp_port ~= false then sim.tcp_port = server.listen_ocip(sim, opts.tcp_port or 0) end
    if opts.tls then
      local port = opts.tls_port or opts.tls.port or 0
      sim.tls_port = server.listen_ocip(sim, port,
        { cert_file = opts.tls.cert_file, key_file = opts.tls.key_file })
    end
    if opts.soap_port then
      sim.soap_port = server.listen_soap(sim, opts.soap_port)
      sim.soap_url = "http://" .. sim.host .. ":" .. sim.soap_port .. server.SOAP_PATH
    end
    server.start_login_timeout(sim)
  end)
  if not ok then
    sim.listen_failed = true
    sim.stop()
    if Error.is(err) then error(err, 0) end
    Error.raise("connect", "simulator: cannot listen: " .. tostring(err))
  end
  return sim
end

--- sim.stats_line(sim) -> "ocip sim: stats commands=N documents=N ..." (the
--- numeric counters of sim.stats, sorted by name)
function M.stats_line(sim)
  local keys = {}
  for k, v in pairs(sim.stats) do
    if math.type(v) == "integer" then keys[#keys + 1] = k end
  end
  table.sort(keys)
  for i, k in ipairs(keys) do keys[i] = k .. "=" .. sim.stats[k] end
  return "ocip sim: stats " .. table.concat(keys, " ")
end

--- sim.ready_line(sim) -> the one line `ocip sim` prints when it is ready
function M.ready_line(sim)
  local parts = { "ocip sim ready" }
  if sim.tcp_port then parts[#parts + 1] = "tcp=" .. sim.host .. ":" .. sim.tcp_port end
  if sim.tls_port then parts[#parts + 1] = "tls=" .. sim.host .. ":" .. sim.tls_port end
  if sim.soap_url then parts[#parts + 1] = "soap=" .. sim.soap_url end
  parts[#parts + 1] = "admin=" .. sim.admin
  parts[#parts + 1] = "users=" .. sim.state:count_users()
  return table.concat(parts, " ")
end

return M
