-- make soak: exactly-once under every fault the simulator can inject, at volume.
--   build/ocip spec/soak/soak.lua [--commands N] [--sessions N] [--faults SPEC] [--seconds S]
-- An `ocip sim` child process (loopback) with every fault kind on serves a client of
-- `sessions` connections that sends N mixed commands: Gets of seeded users (checked
-- against the user's own data: a Get answered with another user's data is misdelivered)
-- and UserModifyRequest22 writes, each with a unique title token, some of them under
-- ocip.timeout(0) so that callers give up while their command still waits. At the end the
-- simulator's run log (every write it ran) is compared with what each caller was told:
--   * every command got exactly one outcome;
--   * 0 misdelivered answers;
--   * 0 writes run that were reported sent = false; no write ran twice; every write
--     reported ok ran exactly once;
--   * the client's RSS at the end within --rss_growth (10 %) of its RSS after warm-up
--     (the first tenth of the commands; short runs have not reached a steady state).
-- Prints one line per check and exits 0 only when all hold.
local ocip = require "ocip"

local DEFAULT_FAULTS = table.concat({
  "latency=0.2", "jitter=0.3", "drop_p=0.0005", "split_p=0.002", "garbage_p=0.0005",
  "stall_p=0.0002", "expire_after=20", "expire_commands=20000", "error_p=0.002",
  "close_no_reply_p=0.0005", "slow_read=20000000", "dup_answer_p=0.0005", "dup_login_p=0.05",
  "wrong_type_p=0.0005", "reorder_p=0.0005", "doc_error_p=0.001", "extra_doc_p=0.0005",
  "many_attrs_p=0.0001", "many_attrs_n=300000", "drop_after=400000000",
}, ",")

local opts = { commands = 1000000, sessions = 8, faults = DEFAULT_FAULTS, seconds = 600, users = 2000,
  timeout = 2, seed = 7, rss_growth = 0.10 }
do
  local i = 1
  while i <= #arg do
    local k, v = arg[i]:match("^%-%-([%w_]+)$"), arg[i + 1]
    if not k or opts[k] == nil or v == nil then
      io.stderr:write("usage: soak.lua [--commands N] [--sessions N] [--faults SPEC] [--seconds S] ",
        "[--users N] [--timeout S] [--seed N] [--rss_growth FRACTION]\n")
      os.exit(2)
    end
    opts[k] = type(opts[k]) == "number" and assert(tonumber(v), k) or v
    i = i + 2
  end
end

local function q(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end
local function rss_kib(pid)
  local f = io.open("/proc/" .. (pid or "self") .. "/status")
  if not f then return 0 end
  local kb = tonumber(f:read("a"):match("VmRSS:%s*(%d+)")) or 0
  f:close()
  return kb
end

-- the simulator, in its own process
local host = arg[-1] or "ocip"
local dir = os.tmpname()
os.remove(dir)
assert(os.execute("mkdir -m 700 " .. q(dir)))
local run_log, sim_err = dir .. "/ran.log", dir .. "/sim.err"
local PASSWORD = "soak-" .. os.time()
-- `exec` keeps the pid: the first line is the simulator's pid, the second its ready line
local pipe = assert(io.popen(("sh -c %s"):format(q(("echo $$; OCIP_SIM_PASSWORD=%s exec %s sim --tcp 0 "
  .. "--users %d --seed %d --faults %s --run-log %s --for %d 2>%s"):format(q(PASSWORD), q(host), opts.users,
  opts.seed, q(opts.faults), q(run_log), opts.seconds + 60, q(sim_err)))), "r"))
local sim_pid = tonumber(pipe:read("l") or "")
local ready = pipe:read("l") or ""
local port = tonumber(ready:match("tcp=127%.0%.0%.1:(%d+)"))
if not port then
  io.stderr:write("soak: the simulator did not start: ", ready, "\n")
  os.exit(1)
end

local totals = { commands = 0, outcomes = 0, doubled = 0, ok = 0, failed = 0, misdelivered = 0,
  writes = 0, unsent = 0, cancelled = 0, kinds = {} }
-- what each write's caller was told, by command number (preallocated: the soak's own
-- bookkeeping must not grow the heap it measures): 0 not a write, 1 ok, 2 unsent, 3 unknown
local writes = {}
for i = 1, opts.commands do writes[i] = 0 end
local expected = {}    -- user_id -> { last = , email = }
local ids = {}
local status = 0

ocip.run(function()
  local c = assert(ocip.connect{ host = "127.0.0.1", port = port, tls = false, username = "admin",
    password = PASSWORD, sessions = opts.sessions, timeout = opts.timeout,
    log = ocip.log.stderr "error" })
  -- the seeded users, as the simulator holds them (faults may hit this too: retry)
  local list
  for _ = 1, 50 do
    list = c:UserGetListInSystemRequest{}
    if list then break end
  end
  assert(list, "could not list the users")
  for _, row in ipairs(list.user_table) do
    ids[#ids + 1] = row.user_id
    expected[row.user_id] = { last = row.last_name, email = row.email_address }
  end

  local started, warm_rss, warm_at = ocip.now(), nil, math.max(1, opts.commands // 10)
  local next_i = 0
  local function one(i)
    local id = ids[(i * 7919) % #ids + 1]
    local write = i % 10 < 3
    local cancel = write and i % 97 == 0
    local token = "w" .. i
    local r, err
    local outcomes = 0
    local function call()
      if write then return c:UserModifyRequest22{ user_id = id, title = token } end
      return c:UserGetRequest23V2{ user_id = id }
    end
    if cancel then
      r, err = ocip.timeout((i % 3) * 0.0005, call) -- gives up at once, or while queued
    else
      r, err = call()
    end
    outcomes = outcomes + 1
    totals.outcomes = totals.outcomes + outcomes
    if r then
      totals.ok = totals.ok + 1
      if write then
        writes[i] = 1
        if r._type ~= "SuccessResponse" then totals.misdelivered = totals.misdelivered + 1 end
      else
        local want = expected[id]
        if r._type ~= "UserGetResponse23V2" or r.user_id ~= id or r.last_name ~= want.last
            or r.email_address ~= want.email then
          totals.misdelivered = totals.misdelivered + 1
        end
      end
    else
      totals.failed = totals.failed + 1
      local kind = type(err) == "table" and err.kind or "?"
      totals.kinds[kind] = (totals.kinds[kind] or 0) + 1
      if write then
        if type(err) == "table" and err.sent == false then
          writes[i] = 2
          totals.unsent = totals.unsent + 1
        else
          writes[i] = 3
        end
      end
    end
    if write then totals.writes = totals.writes + 1 end
    if cancel then totals.cancelled = totals.cancelled + 1 end
  end

  -- workers: enough in flight to fill every session's documents
  local workers, inflight = {}, opts.sessions * 15 * 2
  local last_print = ocip.now()
  for w = 1, inflight do
    workers[w] = ocip.spawn(function()
      while next_i < opts.commands do
        next_i = next_i + 1
        local i = next_i
        totals.commands = totals.commands + 1
        one(i)
        if i == warm_at then
          collectgarbage("collect")
          warm_rss, warm_at = rss_kib(), nil
          totals.warm_heap = collectgarbage("count")
        end
        local now = ocip.now()
        if now - last_print >= 10 then
          last_print = now
          io.stderr:write(("soak: %d/%d commands, %.0f/s\n"):format(totals.outcomes, opts.commands,
            totals.outcomes / (now - started)))
        end
        if now - started > opts.seconds then break end
      end
    end)
  end
  for _, w in ipairs(workers) do w:join() end
  local elapsed = ocip.now() - started
  c:close()
  collectgarbage("collect")
  collectgarbage("collect")
  local end_rss = rss_kib()
  totals.end_heap = collectgarbage("count")
  totals.elapsed, totals.warm_rss, totals.end_rss = elapsed, warm_rss or end_rss, end_rss
end)

-- stop the simulator: its run log is complete once it exited
local sim_rss = sim_pid and rss_kib(sim_pid) or 0
if sim_pid then os.execute("kill -TERM " .. sim_pid) end
pipe:read("a")
local _, _, sim_status = pipe:close()

local ran = {}
local f = io.open(run_log, "rb")
if f then
  for line in f:lines() do
    local token = line:match("\ttitle=(w%d+)")
    if token then ran[token] = (ran[token] or 0) + 1 end
  end
  f:close()
end
local ran_unsent, ran_twice, ok_not_ran = 0, 0, 0
for i, what in ipairs(writes) do
  local n = ran["w" .. i] or 0
  if what == 2 and n > 0 then ran_unsent = ran_unsent + 1 end
  if what == 1 and n ~= 1 then ok_not_ran = ok_not_ran + 1 end
end
for _, n in pairs(ran) do if n > 1 then ran_twice = ran_twice + 1 end end
local stats = io.open(sim_err, "rb")
local stats_line = stats and (stats:read("a"):match("ocip sim: stats [^\n]*") or "") or ""
if stats then stats:close() end
os.execute("rm -rf " .. q(dir))

local function check(ok, text)
  print((ok and "ok   " or "FAIL ") .. text)
  if not ok then status = 1 end
end
local t = totals
print(("soak: %d commands through %d sessions in %.1f s (%.0f commands/s); %d ok, %d failed %s")
  :format(t.commands, opts.sessions, t.elapsed, t.commands / t.elapsed, t.ok, t.failed,
    (function()
      local k = {}
      for kind, n in pairs(t.kinds) do k[#k + 1] = kind .. "=" .. n end
      table.sort(k)
      return "(" .. table.concat(k, " ") .. ")"
    end)()))
print("faults: " .. opts.faults)
print("simulator " .. stats_line:gsub("^ocip sim: ", "") .. (sim_status and (" exit=" .. sim_status) or ""))
check(t.commands >= opts.commands, ("commands sent: %d of %d asked"):format(t.commands, opts.commands))
check(t.outcomes == t.commands, ("outcomes = commands: %d = %d"):format(t.outcomes, t.commands))
check(t.misdelivered == 0, ("misdelivered: %d"):format(t.misdelivered))
check(ran_unsent == 0, ("writes run that were reported sent = false: %d (of %d reported unsent, %d cancelled callers)")
  :format(ran_unsent, t.unsent, t.cancelled))
check(ran_twice == 0, ("writes run more than once: %d"):format(ran_twice))
check(ok_not_ran == 0, ("writes reported ok that did not run exactly once: %d"):format(ok_not_ran))
local growth = (t.end_rss - t.warm_rss) / t.warm_rss
check(growth <= opts.rss_growth, ("client RSS after warm-up %.1f MiB, at the end %.1f MiB (%+.1f %%; Lua heap %.1f -> %.1f MiB);"
  .. " simulator %.1f MiB"):format(t.warm_rss / 1024, t.end_rss / 1024, growth * 100, (t.warm_heap or 0) / 1024,
  (t.end_heap or 0) / 1024, sim_rss / 1024))
os.exit(status)
