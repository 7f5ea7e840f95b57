-- Bulk benchmark (run by `make bench`, or: build/ocip spec/bench/bulk_bench.lua BUILD_DIR):
-- `ocip bulk UserAddRequest22V2` of 10,000 users (10 groups of 1,000: the simulator's
-- group limit) through 4 sessions against `ocip sim --latency 5` in another process, as
-- a user runs it: a CSV file, default settings but --sessions 4. Prints the rate of the
-- sending phase (connect to the last answer, from the pack's summary line) as a fraction
-- of the latency-bound limit sessions x batch / latency = 4 x 15 / 0.005 s, and the
-- whole run (process start, reading and validating 10,000 rows, sending) beside it.
-- OCIP_BENCH_SCALE scales the number of users (default 1 = 10,000).
local build = arg[1] or os.getenv("OCIP_BUILD") or "build"
local host = build .. "/ocip"
local SCALE = tonumber(os.getenv("OCIP_BENCH_SCALE") or "1")
local USERS = math.floor(10000 * SCALE)
local GROUPS = (USERS + 999) // 1000
local SESSIONS, BATCH, LATENCY = 4, 15, 0.005

local function q(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end
local function now()
  local p = io.popen("date +%s.%N")
  local t = tonumber(p:read("l"))
  p:close()
  return t
end

local dir = os.tmpname()
os.remove(dir)
assert(os.execute("mkdir -m 700 " .. q(dir)))
local function path(name) return dir .. "/" .. name end
local function write(name, text)
  local f = assert(io.open(path(name), "w"))
  f:write(text)
  f:close()
end

-- the simulator: its own process, password from the environment only
write("sim.env", "export OCIP_SIM_ADMIN=admin OCIP_SIM_PASSWORD=bench-pw\n")
local sim = assert(io.popen(("sh -c '. %s; echo $$; exec %s sim --tcp 0 --users 0 --latency %d --for 300 2>/dev/null'")
  :format(q(path("sim.env")), q(host), LATENCY * 1000)))
local pid = sim:read("l")
local port = (sim:read("l") or ""):match("tcp=127%.0%.0%.1:(%d+)")
if not port then error("simulator did not start") end
write("client.env", ("export OCIP_HOST=127.0.0.1 OCIP_PORT=%s OCIP_TLS=0 OCIP_USERNAME=admin OCIP_PASSWORD=bench-pw\n")
  :format(port))

local function bulk(args)
  local cmd = ("sh -c '. %s; exec %s %s bulk %s' </dev/null 2>%s >/dev/null"):format(q(path("client.env")),
    os.getenv("OCIP_BENCH_WRAP") or "", q(host),
    args, q(path("err")))
  local ok = os.execute(cmd)
  local f = io.open(path("err"))
  local err = f and f:read("a") or ""
  if f then f:close() end
  return ok, err
end

-- groups b1..bN that hold 1,000 users each
local lines = { "service_provider_id,group_id,default_domain,user_limit" }
for g = 1, GROUPS do lines[#lines + 1] = ("sp1,b%d,example.net,1000"):format(g) end
write("groups.csv", table.concat(lines, "\n") .. "\n")
local ok, err = bulk("GroupAddRequest " .. q(path("groups.csv")))
if not ok then error("creating the groups failed: " .. err) end

lines = { "group_id,user_id,last_name,first_name,calling_line_id_last_name,calling_line_id_first_name" }
for i = 1, USERS do
  lines[#lines + 1] = ("b%d,bench%06d@example.net,Last%d,First,Last%d,First"):format((i - 1) // 1000 + 1, i, i, i)
end
write("users.csv", table.concat(lines, "\n") .. "\n")

local t0 = now()
ok, err = bulk(("UserAddRequest22V2 %s --set service_provider_id=sp1 --sessions %d %s"):format(q(path("users.csv")), SESSIONS,
  os.getenv("OCIP_BENCH_BULK_ARGS") or ""))
local wall = now() - t0
os.execute("kill " .. pid .. " 2>/dev/null")
sim:close()
os.execute("rm -rf " .. q(dir))

local done = tonumber(err:match("(%d+) ok"))
local sending = tonumber(select(2, err:match("sent (%d+) rows in ([%d.]+) s")) or "")
if not ok or done ~= USERS or not sending then
  error(("bulk failed (%s of %d ok): %s"):format(tostring(done), USERS, err))
end
local limit = SESSIONS * BATCH / LATENCY
local rate = USERS / sending
print(("bulk: %d users via ocip bulk UserAddRequest22V2, 4 sessions, 5 ms/document: sending %.0f commands/s = %.2f of the limit %.0f (target >= 0.9)")
  :format(USERS, rate, rate / limit, limit))
print(("bulk whole run: start, read and validate %d rows, send: %.2f s, %.0f rows/s = %.2f of the limit %.0f")
  :format(USERS, wall, USERS / wall, USERS / wall / limit, limit))
