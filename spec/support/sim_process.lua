-- A simulator in a child process for the CLI and script-pack specs, with its
-- settings in files so that no password ever appears on a command line.
--   local sim = sim_process.start{ users = 50, password = "...", latency = MS (optional),
--                                  args = "--state FILE ..." (more sim flags, optional) }
--   sim.port, sim.pid, sim.env_file (sh file exporting OCIP_*), sim.profile (Lua profile)
--   sim.sh(cmd) -> stdout, code, stderr   runs cmd with the env file sourced
--   sim.argv() -> the sim's /proc cmdline ("" when unavailable); sim.stop() (bounded)
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
  local cmd = (". %s; echo $$; exec timeout %d %s sim --tcp 0 --users %d --for %d%s%s 2>/dev/null"):format(
    q(simenv), (opts.seconds or 30) + 5, q(helpers.host()), opts.users or 50, opts.seconds or 30,
    opts.latency and (" --latency " .. opts.latency) or "", opts.args and (" " .. opts.args) or "")
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
    if sim.pipe then
      if pid then os.execute("kill " .. pid .. " 2>/dev/null") end
      sim.pipe:close() -- the sim exits on SIGTERM; `timeout` bounds it anyway
      sim.pipe = nil
    end
    os.execute("rm -rf " .. q(dir))
  end
  return sim
end

return M
