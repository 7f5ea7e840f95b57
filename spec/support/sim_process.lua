-- A simulator in a child process for the CLI and script-pack specs, with its
-- settings in files so that no password ever appears on a command line.
--   local sim = sim_process.start{ users = 50, password = "...", latency = MS (optional),
--                                  args = "--state FILE ..." (more sim flags, optional) }
--   sim.port, sim.pid, sim.env_file (sh file exporting OCIP_*), sim.profile (Lua profile)
--   sim.sh(cmd) -> stdout, code, stderr   runs cmd with the env file sourced
--   sim.argv() -> the sim's /proc cmdline ("" when unavailable); sim.stop() (bounded)
--   opts.run_log = true: the sim writes its run log (docs/SIMULATOR.md "What ran") and
--   its stderr into its folder; sim.stop() then returns { stats = { name = number },
--   writes = { "Request\tkey=value..." lines } } read after the sim has exited.
local helpers = require "spec.helpers"

local M = {}

local function write(path, text)
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
end

function M.start(opts)
  local q = helpers.shell_quote
  local dir = os.tmpname()
  os.remove(dir)
  assert(os.execute("mkdir -m 700 " .. q(dir)))
  local simenv = dir .. "/sim.env"
  write(simenv, ("export OCIP_SIM_ADMIN=%s OCIP_SIM_PASSWORD=%s\n"):format(q(opts.admin or "admin"), q(opts.password)))
  -- `exec` keeps the pid: the first line is the sim's pid, the second its ready line
  local run_log, err_file = dir .. "/run.log", dir .. "/sim.err"
  local cmd = (". %s; echo $$; exec timeout %d %s sim --tcp 0 --users %d --for %d%s%s%s 2>%s"):format(
    q(simenv), (opts.seconds or 30) + 5, q(helpers.host()), opts.users or 50, opts.seconds or 30,
    opts.latency and (" --latency " .. opts.latency) or "",
    opts.run_log and (" --run-log " .. q(run_log)) or "", opts.args and (" " .. opts.args) or "",
    opts.run_log and q(err_file) or "/dev/null")
  local pipe = assert(io.popen("sh -c " .. q(cmd), "r"))
  local pid = tonumber(pipe:read("l"))
  local ready = pipe:read("l") or ""
  local port = tonumber(ready:match("tcp=127%.0%.0%.1:(%d+)"))
  local sim = { pid = pid, port = port, ready = ready, dir = dir, pipe = pipe }
  sim.env_file = dir .. "/client.env"
  write(sim.env_file, ("export OCIP_HOST=127.0.0.1 OCIP_PORT=%d OCIP_TLS=0 OCIP_USERNAME=%s OCIP_PASSWORD=%s\n")
    :format(port or 0, q(opts.admin or "admin"), q(opts.password)))
  sim.profile = dir .. "/profile.lua"
  write(sim.profile, ("host = '127.0.0.1'\nport = %d\ntls = false\nusername = %q\npassword = %q\n")
    :format(port or 0, opts.admin or "admin", opts.password))

  function sim.sh(c)
    return helpers.exec("sh -c " .. q("set -a; . " .. q(sim.env_file) .. "; set +a; " .. c))
  end

  function sim.argv()
    local f = pid and io.open("/proc/" .. pid .. "/cmdline", "rb")
    if not f then return "" end
    local s = f:read("a"):gsub("%z", " ")
    f:close()
    return s
  end

  function sim.stop()
    local result
    if sim.pipe then
      if pid then os.execute("kill " .. pid .. " 2>/dev/null") end
      sim.pipe:close() -- the sim exits on SIGTERM; `timeout` bounds it anyway
      sim.pipe = nil
      if opts.run_log then
        result = { stats = {}, writes = {} }
        local f = io.open(err_file, "rb")
        local text = f and f:read("a") or ""
        if f then f:close() end
        for k, v in (text:match("stats ([^\n]*)") or ""):gmatch("([%w_]+)=(%d+)") do
          result.stats[k] = tonumber(v)
        end
        f = io.open(run_log, "rb")
        for line in (f and f:read("a") or ""):gmatch("[^\n]+") do result.writes[#result.writes + 1] = line end
        if f then f:close() end
      end
    end
    os.execute("rm -rf " .. q(dir))
    return result
  end
  return sim
end

return M
