-- ocip command-line subcommands: main(subcommand, args) -> exit status.
-- Each subcommand is one function here; helpers add theirs to SUBCOMMANDS.
local M = {}

local SUBCOMMANDS = {}

local function usage_error(msg)
  io.stderr:write("ocip: ", msg, "\n")
  return 2
end

-- ocip sim ------------------------------------------------------------------
local SIM_USAGE = [[
usage: ocip sim [--tcp PORT | --no-tcp] [--tls PORT --cert FILE --key FILE] [--soap PORT]
                [--users N] [--entities] [--seed S] [--latency MS] [--faults SPEC]
                [--state FILE] [--host ADDR] [--for SECONDS] [--login-timeout SECONDS]
                [--run-log FILE]
  Admin credentials: OCIP_SIM_ADMIN / OCIP_SIM_PASSWORD (default admin / admin-password).
  --no-tcp: no plain-TCP listener (e.g. TLS or SOAP only).
  --entities: also seed sp1/g1 with departments, devices (users on them), numbers, two
          hunt groups and a call center with agents, an auto attendant with menus, a call
          pickup group, service assignments and a group administrator.
  --login-timeout SECONDS: close OCI-P connections not logged in by then (default 60, 0: never).
  --run-log FILE: one line per write request run (name, then its fields); on stop, a
          line `ocip sim: stats key=value ...` (commands run, faults injected) on stderr.
  --faults SPEC: comma-separated key=value items (a bare key is an error):
          latency=MS,jitter=MS,drop_after=BYTES,drop_p=P,split=1,split_p=P,garbage_p=P,stall_p=P,
          expire_after=S,expire_commands=N,error_p=P,close_no_reply_p=P,slow_read=BYTES/S,
          dup_answer_p=P,dup_login_p=P,wrong_type_p=P,reorder_p=P,doc_error_p=P,
          extra_doc_p=P,many_attrs_p=P,many_attrs_n=N
  --state FILE: load FILE at start when it exists (instead of the seeded --users data)
          and write the state back on stop (FILE.tmp, then renamed over FILE). FILE is
          Lua data (`return { format = 1, ... }`), see docs/SIMULATOR.md.]]

local function parse_sim_args(args)
  local o = { tcp_port = 0 }
  local i = 1
  local function value(flag)
    i = i + 1
    local v = args[i]
    if v == nil then error({ usage = flag .. " needs a value" }) end
    return v
  end
  local function port(flag)
    local v = tonumber(value(flag))
    if not v or v < 0 or v > 65535 or v % 1 ~= 0 then error({ usage = flag .. ": bad port" }) end
    return math.tointeger(v)
  end
  while i <= #args do
    local a = args[i]
    if a == "--tcp" then o.tcp_port = port(a)
    elseif a == "--no-tcp" then o.tcp_port = false
    elseif a == "--tls" then o.tls_port = port(a); o.tls = o.tls or {}
    elseif a == "--cert" then o.tls = o.tls or {}; o.tls.cert_file = value(a)
    elseif a == "--key" then o.tls = o.tls or {}; o.tls.key_file = value(a)
    elseif a == "--soap" then o.soap_port = port(a)
    elseif a == "--users" then o.users = math.tointeger(tonumber(value(a)))
    elseif a == "--entities" then o.entities = true
    elseif a == "--seed" then o.seed = math.tointeger(tonumber(value(a))) or args[i]
    elseif a == "--latency" then o.latency = tonumber(value(a))
    elseif a == "--faults" then o.faults = value(a)
    elseif a == "--state" then o.state_file = value(a)
    elseif a == "--host" then o.host = value(a)
    elseif a == "--for" then o.run_for = tonumber(value(a))
    elseif a == "--run-log" then o.run_log = value(a)
    elseif a == "--login-timeout" then
      o.login_timeout = tonumber(value(a))
      if not o.login_timeout or o.login_timeout < 0 then error({ usage = a .. ": bad number of seconds" }) end
    elseif a == "-h" or a == "--help" then error({ help = true })
    else error({ usage = "unknown option " .. tostring(a) }) end
    i = i + 1
  end
  if o.tls and not (o.tls.cert_file and o.tls.key_file) then
    error({ usage = "--tls needs --cert and --key" })
  end
  if o.users and o.users < 0 then error({ usage = "--users: bad count" }) end
  if o.faults then -- a bad --faults SPEC is a usage error (exit 2), not a start failure
    local ok, err = pcall(require("ocip.sim.faults").parse, o.faults)
    if not ok then error({ usage = "--faults: " .. (type(err) == "table" and err.message or tostring(err)) }) end
  end
  return o
end

function SUBCOMMANDS.sim(args)
  -- A server with a large long-lived state: generational GC suits it (the host's
  -- default is incremental, tuned for clients with many commands in flight).
  collectgarbage("generational")
  local ok, o = pcall(parse_sim_args, args)
  if not ok then
    if type(o) == "table" and o.help then print(SIM_USAGE) return 0 end
    if type(o) == "table" and o.usage then return usage_error("sim: " .. o.usage .. "\n" .. SIM_USAGE) end
    error(o, 0)
  end
  local ocip = require "ocip"
  local status = 0
  ocip.run(function()
    local sim_mod = require "ocip.sim"
    local ok2, sim = pcall(sim_mod.start, o)
    if not ok2 then
      io.stderr:write("ocip sim: ", tostring(sim), "\n")
      status = 1
      return
    end
    -- Stop on SIGINT/SIGTERM, or after --for seconds, whichever comes first
    -- (watched before the ready line, so a signal right after it still saves).
    local watch <close> = ocip.core.signal_watch{ "SIGINT", "SIGTERM" }
    io.stdout:write(sim_mod.ready_line(sim), "\n")
    io.stdout:flush()
    local timer
    if o.run_for then
      timer = ocip.spawn(function() ocip.sleep(o.run_for); watch:close() end)
    end
    local signal = watch:wait()
    -- Stopping from here on: a second SIGTERM (timeout and process managers also
    -- signal the whole group) must not kill the sim while it saves, nor after.
    watch:ignore()
    if timer then timer:cancel() end
    local saved, serr = sim.stop()
    if not saved then
      io.stderr:write("ocip sim: --state ", o.state_file, ": not saved: ", tostring(serr), "\n")
      status = 1
    end
    if signal then io.stderr:write("ocip sim: stopped on ", signal, "\n") end
    if o.run_log then io.stderr:write(sim_mod.stats_line(sim), "\n") end
  end)
  return status
end

-- ocip describe / ocip send: their own modules, loaded on first use.
function SUBCOMMANDS.describe(args) return require("ocip.cli.describe")(args) end
function SUBCOMMANDS.send(args) return require("ocip.cli.send").main(args) end
function SUBCOMMANDS.repl(args) return require("ocip.cli.repl")(args) end
function SUBCOMMANDS.help(args) return require("ocip.cli.help").main(args) end
function SUBCOMMANDS.packs(args) return require("ocip.cli.packs")(args) end
function SUBCOMMANDS.bulk(args) return require("ocip.cli.bulk")(args) end
function SUBCOMMANDS.complete(args) return require("ocip.cli.complete")(args) end

--- cli.main(subcommand, args) -> exit status (nil when the subcommand is unknown)
function M.main(subcommand, args)
  local f = SUBCOMMANDS[subcommand]
  if not f then return nil end
  return f(args or {})
end

M.SUBCOMMANDS = SUBCOMMANDS
return M
