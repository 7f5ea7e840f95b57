-- One client workload against a running simulator, for profiling (spec/bench/callgrind.sh)
-- and for by-hand timing. Usage:
--   BUILD/ocip spec/bench/workload.lua MODE N PORT PASSWORD [BUILD_DIR]
-- MODE: serial  N UserGetRequest23V2 one after the other (1 session)
--       batched N UserGetRequest23V2 at once (gather, 4 sessions x batch 15), after a warm-up
--       table   one UserGetListInSystemRequest of N rows (held); table2: the same twice
--       rows    one UserGetListInSystemRequest of N rows through c:rows (none kept)
--       heap    like serial, with 10,000 small tables held by the script (a large heap)
-- OCIP_BENCH_GC=generational|incremental: the collector's mode for the run.
-- N = 0 runs the connect, login and warm-up only: the difference between two runs is
-- the cost of the N commands. Prints "cpu_s=... rss_kib=..." on stdout.
local mode, n, port, password, build = arg[1], tonumber(arg[2]), tonumber(arg[3]), arg[4], arg[5]
if build then package.cpath = build .. "/?.so;" .. package.cpath end
local ocip = require "ocip"

local function ids(count)
  local t = {}
  for i = 1, count do t[i] = ("user%06d@example.net"):format(i % 2000 + 1) end
  return t
end

-- OCIP_BENCH_GC=generational|incremental switches the collector first (comparisons)
if os.getenv("OCIP_BENCH_GC") then collectgarbage(os.getenv("OCIP_BENCH_GC")) end

local held
if mode == "heap" then
  held = {}
  for i = 1, 10000 do held[i] = { id = i, name = "user" .. i, tags = { i } } end
end

local cpu
ocip.run(function()
  local batched = mode == "batched"
  local c = assert(ocip.connect { host = "127.0.0.1", port = port, tls = false, username = "admin",
    password = password, timeout = 120, sessions = batched and 4 or 1, batch = 15, log = false,
    max_document = 1 << 30 })
  local get = function(id) return c:UserGetRequest23V2 { user_id = id } end
  if mode == "serial" or mode == "heap" then
    for _, id in ipairs(ids(100)) do assert(get(id)) end -- warm-up
    local list = ids(n)
    local t0 = os.clock()
    for i = 1, n do assert(get(list[i])) end
    cpu = os.clock() - t0
  elseif batched then
    local r = ocip.gather(ids(2000), get, { limit = 2000 }) -- warm-up: every session logged in
    assert(r[2000])
    local list = ids(n)
    local t0 = os.clock()
    local res, errs = ocip.gather(list, get, { limit = 2000 })
    cpu = os.clock() - t0
    for i = 1, n do assert(res[i], errs[i]) end
  elseif mode == "table" or mode == "table2" or mode == "rows" then
    local t0 = os.clock()
    for _ = 1, n > 0 and mode == "table2" and 2 or (n > 0 and 1 or 0) do
      local req = ocip.commands.UserGetListInSystemRequest { response_size_limit = n }
      local count = 0
      if mode == "rows" then
        for row in c:rows(req) do count = count + 1 end
      else
        count = #assert(c:command(req)).user_table
      end
      assert(count == n, ("%d rows, not %d"):format(count, n))
    end
    cpu = os.clock() - t0
  else
    error("unknown mode " .. tostring(mode))
  end
  c:close()
end)
local f = io.open("/proc/self/status", "r")
local rss = f and f:read("a"):match("VmHWM:%s*(%d+)") or "-1"
if f then f:close() end
print(("cpu_s=%.6f rss_kib=%s held=%d"):format(cpu, rss, held and #held or 0))
