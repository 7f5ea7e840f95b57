-- Table calls against `ocip sim` in a separate process (run by `make bench`):
--   * the first 10,000-row UserGetListInSystemRequest of a process, CPU (target <= 35 ms),
--     and the same call again (target <= 25 ms);
--   * the peak RSS of a process making that one call (target <= 25 MiB);
--   * a 100,000-row call, CPU (target <= 0.35 s);
--   * 500,000 rows through c:rows (one at a time, none kept): peak RSS as a multiple of
--     the 10,000-row call's (target <= 2).
-- Each measured call runs in a fresh child process (`ocip THIS child ...`), so that "first
-- call" and peak RSS (VmHWM) are that process's own; CPU is the child's (os.clock:
-- user + system), the simulator's is not counted.
-- Usage: BUILD/ocip spec/bench/table_bench.lua [BUILD_DIR]
--   OCIP_BENCH_BIG_ROWS (default 500000; 0 skips the rows case, whose simulator takes
--   ~10 s to seed and ~1 GB of memory).
local build = arg[1] or os.getenv("OCIP_BUILD") or "build"
package.cpath = build .. "/?.so;" .. package.cpath
local ocip = require "ocip"

local function sh_quote(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

local function peak_rss_kib()
  local f = io.open("/proc/self/status", "r")
  if not f then return -1 end
  local s = f:read("a")
  f:close()
  return tonumber(s:match("VmHWM:%s*(%d+)")) or -1
end

-- ---- child: one measured scenario, prints "key=value ..." ----------------------------
if arg[1] == "child" then
  local mode, port, password, rows = arg[2], tonumber(arg[3]), arg[4], tonumber(arg[5])
  local out = {}
  ocip.run(function()
    local c = assert(ocip.connect { host = "127.0.0.1", port = port, tls = false, username = "admin",
      password = password, timeout = 120, sessions = 1, log = false,
      max_document = 1 << 30 })
    local req = ocip.commands.UserGetListInSystemRequest { response_size_limit = rows }
    if mode == "table" then
      for i = 1, tonumber(arg[6] or "1") do
        local t0 = os.clock()
        local r = assert(c:command(req))
        out["cpu" .. i] = os.clock() - t0
        assert(#r.user_table == rows, "short table")
        r = nil
      end
    else -- rows: streamed, none kept
      local n, t0 = 0, os.clock()
      if c.rows then
        for row in c:rows(req) do
          n = n + 1
          assert(row.user_id)
        end
      else -- (before c:rows existed: the whole table held)
        for _, row in ipairs(assert(c:command(req)).user_table) do
          n = n + 1
          assert(row.user_id)
        end
      end
      out.cpu1 = os.clock() - t0
      assert(n == rows, ("got %d rows, not %d"):format(n, rows))
    end
    c:close()
  end)
  out.rss = peak_rss_kib()
  local parts = {}
  for k, v in pairs(out) do parts[#parts + 1] = k .. "=" .. tostring(v) end
  print(table.concat(parts, " "))
  return
end

-- ---- parent ---------------------------------------------------------------------------
local host = build .. "/ocip"
local PASSWORD = "bench-password"

local function start_sim(users)
  local p = assert(io.popen(("exec sh -c %s"):format(sh_quote("echo $$; OCIP_SIM_PASSWORD=" .. PASSWORD ..
    " exec " .. sh_quote(host) .. " sim --tcp 0 --users " .. users .. " --seed 1 --for 900")), "r"))
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

local function child(sim, mode, rows, calls)
  local cmd = ("%s %s child %s %d %s %d %d"):format(sh_quote(host), sh_quote(arg[0]), mode, sim.port,
    PASSWORD, rows, calls or 1)
  local p = assert(io.popen(cmd, "r"))
  local line = p:read("a")
  local ok = p:close()
  if not ok then error("child " .. mode .. " " .. rows .. " failed: " .. line) end
  local t = {}
  for k, v in line:gmatch("(%w+)=(%S+)") do t[k] = tonumber(v) end
  return t
end

local function median(list)
  table.sort(list)
  local n = #list
  return n % 2 == 1 and list[(n + 1) // 2] or (list[n // 2] + list[n // 2 + 1]) / 2
end

local RUNS = tonumber(os.getenv("OCIP_BENCH_TABLE_RUNS") or "3")
local sim = start_sim(100000)
local ok, err = pcall(function()
  local first, again, rss, big = {}, {}, {}, {}
  for i = 1, RUNS do
    local t = child(sim, "table", 10000, 1) -- one call: its CPU and the process's peak RSS
    first[i], rss[i] = t.cpu1, t.rss
    again[i] = child(sim, "table", 10000, 2).cpu2
    big[i] = child(sim, "table", 100000, 1).cpu1
  end
  local f, a, r, b = median(first), median(again), median(rss), median(big)
  print(("table call, 10,000 rows, first of a process: %.1f ms (target <= 35), min %.1f")
    :format(f * 1e3, math.min(table.unpack(first)) * 1e3))
  print(("table call, 10,000 rows, again: %.1f ms (target <= 25), min %.1f")
    :format(a * 1e3, math.min(table.unpack(again)) * 1e3))
  print(("table call, 10,000 rows: peak RSS %.1f MiB (target <= 25)"):format(r / 1024))
  print(("table call, 100,000 rows: %.3f s (target <= 0.35), min %.3f"):format(b, math.min(table.unpack(big))))
  _G.RSS10K = r
end)
stop_sim(sim)
assert(ok, err)

local BIG = tonumber(os.getenv("OCIP_BENCH_BIG_ROWS") or "500000")
if BIG > 0 then
  sim = start_sim(BIG)
  local ok2, err2 = pcall(function()
    local t = child(sim, "rows", BIG)
    print(("rows, %d handed out one at a time (client rows): peak RSS ratio to the 10,000-row call %.2f x (target <= 2); peak RSS %.1f MiB, CPU %.2f s")
      :format(BIG, t.rss / _G.RSS10K, t.rss / 1024, t.cpu1))
  end)
  stop_sim(sim)
  assert(ok2, err2)
end
