-- Simulator capacity: simple Get commands per second on one core, over loopback.
-- The simulator runs as a child process (`BUILD/ocip sim`), so its CPU time is its
-- own (/proc/PID/stat); a raw client here (core.tcp_connect + ocip.xml, not the
-- client library) keeps several 15-command documents in flight on a few connections.
-- Usage: build/ocip spec/bench/sim_bench.lua [BUILD_DIR] [SECONDS]
--   (BUILD_DIR also from OCIP_BUILD; default "build"). Env: OCIP_SIM_BENCH_CONNS (3),
--   OCIP_SIM_BENCH_INFLIGHT (documents in flight per connection, 4).
local build = arg[1] or os.getenv("OCIP_BUILD") or "build"
local seconds = tonumber(arg[2] or os.getenv("OCIP_SIM_BENCH_SECONDS") or "3")
package.cpath = build .. "/?.so;" .. package.cpath
local ocip = require "ocip"
local core = ocip.core

local CONNS = tonumber(os.getenv("OCIP_SIM_BENCH_CONNS") or "3")
local INFLIGHT = tonumber(os.getenv("OCIP_SIM_BENCH_INFLIGHT") or "4")
local BATCH = 15
local USERS = 2000

local function sh_quote(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

-- Starts `ocip sim` as a child; returns { pid=, port=, pipe= }.
local function start_sim()
  local host = build .. "/ocip"
  local p = assert(io.popen(("exec sh -c %s"):format(sh_quote("echo $$; exec " .. sh_quote(host)
    .. " sim --tcp 0 --users " .. USERS .. " --seed 1 --for 600")), "r"))
  local pid = assert(tonumber(p:read("l")), "no child pid")
  local line = p:read("l")
  if not line then error("simulator child did not start") end
  local port = assert(tonumber(line:match("tcp=[%d.]+:(%d+)")), "no port in: " .. line)
  return { pid = pid, port = port, pipe = p }
end

local function stop_sim(sim)
  os.execute("kill -TERM " .. sim.pid .. " >/dev/null 2>&1")
  sim.pipe:close()
end

-- CPU seconds (user + system) of a process, from /proc/PID/stat.
local TICK = tonumber((io.popen("getconf CLK_TCK"):read("l"))) or 100
local function cpu_of(pid)
  local f = io.open("/proc/" .. pid .. "/stat", "r")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  local rest = s:match("%) (.*)$")
  local fields = {}
  for w in rest:gmatch("%S+") do fields[#fields + 1] = w end
  -- fields after the ")" start at field 3 (state): utime is field 14, stime 15
  return (tonumber(fields[12]) + tonumber(fields[13])) / TICK
end

local function login(conn, sid)
  local function call(name, fields)
    assert(conn:write(assert(ocip.xml.encode({ assert(ocip.catalog.build(name, fields)) }, sid))))
    return assert(ocip.xml.decode(assert(conn:read()))).responses[1]
  end
  local a = call("AuthenticationRequest", { user_id = "admin" })
  local r = call("LoginRequest14sp4", { user_id = "admin",
    signed_password = core.signed_password(a.nonce, os.getenv("OCIP_SIM_PASSWORD") or "admin-password") })
  assert(r._type == "LoginResponse14sp4", "login failed: " .. tostring(r.summary))
end

-- One connection: keeps INFLIGHT documents outstanding until `deadline`.
-- Returns the number of commands answered and checks a sample of the answers.
local function drive(port, k, deadline)
  local conn = assert(core.tcp_connect { host = "127.0.0.1", port = port, timeout = 5 })
  local sid = "bench-" .. k
  login(conn, sid)
  local docs = {}
  for d = 1, 4 do
    local reqs, ns = {}, {}
    for i = 1, BATCH do
      local n = ((k * 4 + d) * BATCH + i) % USERS + 1
      ns[i] = n
      reqs[i] = assert(ocip.catalog.build("UserGetRequest23V2",
        { user_id = ("user%06d@example.net"):format(n) }))
    end
    docs[d] = { doc = assert(ocip.xml.encode(reqs, sid)), ns = ns }
  end
  local sent, received, done = 0, 0, 0
  local function send_one()
    sent = sent + 1
    assert(conn:write(docs[sent % #docs + 1].doc))
  end
  for _ = 1, INFLIGHT do send_one() end
  while received < sent do
    local out = assert(conn:read())
    received = received + 1
    if received % 50 == 1 then -- a sample: every command answered, by the right user
      local r = assert(core.decode(out)).responses
      assert(#r == BATCH, "commands answered: " .. #r)
      local ns = docs[received % #docs + 1].ns
      for i = 1, BATCH do
        assert(r[i]._type == "UserGetResponse23V2", r[i]._type .. " " .. tostring(r[i].summary))
        -- seeded e-mail addresses end in the user's number
        assert(tonumber(r[i].email_address:match("(%d+)@")) == ns[i], "answer of another user")
      end
    end
    done = done + BATCH
    if core.now() < deadline then send_one() end
  end
  conn:close()
  if os.getenv("OCIP_SIM_BENCH_DEBUG") then print("conn", k, "sent", sent, "received", received) end
  return done
end

local sim = start_sim()
local ok, err = pcall(function()
  ocip.run(function()
    -- warm-up: caches filled, code paths compiled
    drive(sim.port, 0, core.now() + 0.3)
    local cpu0, t0 = cpu_of(sim.pid), core.now()
    local deadline = t0 + seconds
    local total = 0
    local tasks = {}
    for k = 1, CONNS do
      tasks[k] = core.spawn(function()
        local n = drive(sim.port, k, deadline) -- not `total + drive()`: total would be read before the wait
        total = total + n
      end)
    end
    for k = 1, CONNS do
      local ok, err = core.join(tasks[k])
      if not ok then error(err, 0) end
    end
    local took = core.now() - t0
    local cpu = cpu_of(sim.pid) - cpu0
    print(("sim: %d commands in %.2f s over %d connections x %d documents in flight (batch %d)")
      :format(total, took, CONNS, INFLIGHT, BATCH))
    print(("sim: %.0f commands/s (target >= 20000), sim CPU %.1f us/command (%.0f commands per CPU second), sim CPU use %.0f%%")
      :format(total / took, cpu / total * 1e6, total / cpu, cpu / took * 100))
  end)
end)
stop_sim(sim)
if not ok then error(err, 0) end

-- Seeding: `ocip sim --users 100000` must be ready fast (issue target: <= 2 s).
do
  local State = require "ocip.sim.state"
  local t0 = os.clock()
  local state = State.new { users = 100000, seed = 42 }
  local dt = os.clock() - t0
  assert(state:count_users() == 100000)
  print(("sim: seeding 100000 users %.2f s (target <= 2)"):format(dt))
end
