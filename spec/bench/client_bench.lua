-- Client benchmarks (run by `make bench`, or: lua5.4 spec/bench/client_bench.lua BUILD_DIR).
-- The simulator runs in a child process so that the CPU time measured here (getrusage via
-- os.clock) is the client's alone. Prints (the workloads of issue 12):
--   * client CPU per command: 2,000 serial UserGetRequest23V2 (one at a time), and
--     2,000 at once, warm (gather, 4 sessions x batch 15; median of 5 rounds);
--   * throughput with 5 ms server latency per document, 4 sessions, batch 15, 2,000
--     commands in flight, as a fraction of the limit sessions x batch / latency;
--   * the same over SOAP.
local build = arg[1] or os.getenv("OCIP_BUILD") or "build"
package.cpath = build .. "/?.so;" .. package.cpath
local ocip = require "ocip"
local core = ocip.core

local interpreter = arg[-1] or "lua5.4"
local SCALE = tonumber(os.getenv("OCIP_BENCH_SCALE") or "1")

-- Starts `ocip.sim` in a child process; returns { tcp_port=, soap_url=, pid=, admin=, password= }.
local function start_sim(latency_ms)
  local code = ([[
package.cpath = %q .. "/?.so;" .. package.cpath
collectgarbage("generational") -- as `ocip sim` does: a server with a long-lived state
local ocip = require "ocip"
ocip.run(function()
  local sim = require("ocip.sim").start { users = 2000, latency = %s, soap_port = 0 }
  io.stdout:write(sim.tcp_port, " ", sim.soap_url or "-", " ", sim.admin, " ", sim.password, "\n")
  io.stdout:flush()
  while true do ocip.core.sleep(3600) end
end)]]):format(build, tostring(latency_ms or 0))
  local tmp = os.tmpname()
  local f = assert(io.open(tmp, "w")); f:write(code); f:close()
  local p = assert(io.popen(("sh -c 'echo $$; exec %s %s'"):format(interpreter, tmp), "r"))
  local pid = p:read("l")
  local line = p:read("l")
  os.remove(tmp)
  if not line then error("simulator child did not start") end
  local port, url, admin, password = line:match("^(%d+) (%S+) (%S+) (%S+)$")
  return { tcp_port = tonumber(port), soap_url = url ~= "-" and url or nil, admin = admin,
    password = password, pid = pid, pipe = p }
end

local function stop_sim(sim)
  os.execute("kill " .. sim.pid .. " >/dev/null 2>&1")
  sim.pipe:close()
end

local function ids(n)
  local t = {}
  for i = 1, n do t[i] = ("user%06d@example.net"):format(i % 2000 + 1) end
  return t
end

local function connect(sim, extra)
  local o = { host = "127.0.0.1", port = sim.tcp_port, tls = false, username = sim.admin,
    password = sim.password, timeout = 60, log = false }
  for k, v in pairs(extra or {}) do o[k] = v end
  return assert(ocip.connect(o))
end

local function cpu_per_command(sim)
  local out = {}
  ocip.run(function()
    local c = connect(sim, { sessions = 1 })
    local list = ids(math.floor(2000 * SCALE))
    for i = 1, 200 do assert(c:UserGetRequest23V2 { user_id = list[i] }) end -- warm up
    local t0 = os.clock()
    for i = 1, #list do assert(c:UserGetRequest23V2 { user_id = list[i] }) end
    out.serial = (os.clock() - t0) / #list
    c:close()
    c = connect(sim, { sessions = 4, batch = 15 })
    list = ids(2000)
    local get = function(id) return c:UserGetRequest23V2 { user_id = id } end
    ocip.gather(list, get, { limit = 2000 }) -- warm: every session logged in
    local rounds = {}
    for r = 1, math.max(1, math.floor(5 * SCALE)) do
      t0 = os.clock()
      local res, errs = ocip.gather(list, get, { limit = 2000 })
      rounds[r] = (os.clock() - t0) / #list
      for i = 1, #list do assert(res[i], errs[i]) end
    end
    table.sort(rounds)
    out.batched = rounds[(#rounds + 1) // 2]
    c:close()
  end)
  return out
end

local function throughput(sim, transport, pipeline)
  local out = {}
  ocip.run(function()
    local extra = { sessions = 4, batch = 15, pipeline = pipeline }
    if transport == "soap" then
      extra = { sessions = 4, batch = 15, transport = "soap", url = sim.soap_url, host = nil, port = nil }
    end
    local c = connect(sim, extra)
    local list = ids(math.floor((transport == "soap" and 12000 or 24000) * SCALE))
    -- warm up: every session logged in
    ocip.gather(ids(200), function(id) return c:UserGetRequest23V2 { user_id = id } end, { limit = 200 })
    local t0 = core.now()
    local res, errs = ocip.gather(list, function(id) return c:UserGetRequest23V2 { user_id = id } end, { limit = 2000 })
    local took = core.now() - t0
    for i = 1, #list do assert(res[i], errs[i]) end
    out.rate = #list / took
    out.limit = 4 * 15 / 0.005
    -- OCIP_PROFILE_SESSION=1: where the time of a document goes (ocip.session's counters)
    local prof = require("ocip.session").prof
    if prof and prof.docs then
      local function per(k, n) return (prof[k] or 0) / math.max(prof[n] or 0, 1) end
      io.stderr:write(("profile %s: %d documents: write->answer %.3f ms, answer->next write %.1f us, " ..
        "encode %.1f us, decode %.1f us, decode+dispatch %.1f us; %d written before decoding\n"):format(transport, prof.docs,
        per("rtt", "docs") * 1e3, per("turn", "turn_n") * 1e6, per("enc", "enc_n") * 1e6,
        per("dec", "docs") * 1e6, per("disp", "docs") * 1e6, prof.early or 0))
      local r = prof.rtts or {}
      table.sort(r)
      local function q(x) return (r[math.max(1, math.floor(#r * x))] or 0) * 1e3 end
      io.stderr:write(("  write->answer ms: min %.3f p10 %.3f p50 %.3f p90 %.3f p99 %.3f max %.3f\n")
        :format(q(0), q(0.1), q(0.5), q(0.9), q(0.99), q(1)))
      for k in pairs(prof) do prof[k] = nil end
    end
    c:close()
  end)
  return out
end

-- OCIP_BENCH_ONLY=cpu|throughput runs one half; OCIP_PROFILE_SESSION=1 also prints, per
-- throughput run, where a document's time goes (ocip.session's counters)
local only = os.getenv("OCIP_BENCH_ONLY")
local sim
if only ~= "throughput" then
  sim = start_sim(0)
  local ok, cpu = pcall(cpu_per_command, sim)
  stop_sim(sim)
  assert(ok, cpu)
  print(("client CPU per command: serial %.1f us (target <= 45), 2,000 at once %.1f us (target <= 12)")
    :format(cpu.serial * 1e6, cpu.batched * 1e6))
end
if only == "cpu" then return end

sim = start_sim(5)
local ok2, tcp = pcall(throughput, sim, "tcp")
local ok3, soap = true, nil
if ok2 and sim.soap_url then ok3, soap = pcall(throughput, sim, "soap") end
local ok4, piped = pcall(throughput, sim, "tcp", 2)
stop_sim(sim)
assert(ok2, tcp)
print(("throughput TCP, 5 ms/document, 4 sessions x batch 15: %.0f commands/s = %.2f of the limit %.0f (target >= 0.95)")
  :format(tcp.rate, tcp.rate / tcp.limit, tcp.limit))
if ok3 and soap then
  print(("throughput SOAP, same settings: %.0f commands/s = %.2f of the limit %.0f (target >= 0.9)")
    :format(soap.rate, soap.rate / soap.limit, soap.limit))
elseif not ok3 then
  print("throughput SOAP: failed: " .. tostring(soap))
end
if ok4 then
  print(("throughput TCP with pipeline = 2 (2 documents in flight per session): %.0f commands/s = %.2f of the limit %.0f")
    :format(piped.rate, piped.rate / piped.limit, piped.limit))
end
