-- The README's quick start and scripts/README.md's pack walk-through run as written, one
-- after the other in one shell (as a new user would paste them), against the simulator
-- they start. Only the port (2208 may be taken on a test machine) and the path of the
-- binary are changed.
local helpers = require "spec.helpers"

local q = helpers.shell_quote

local function read(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

-- the first ```sh block after the heading
local function block(text, heading)
  local at = assert(text:find(heading, 1, true), heading)
  return assert(text:match("```sh\n(.-)```", at), "no sh block after " .. heading)
end

describe("README quick start", function()
  -- a port the kernel just handed out (free now), not 2208
  local function free_port()
    return helpers.run(function()
      local sim = require("ocip").sim.start{ tcp_port = 0, users = 0 }
      local port = sim.tcp_port
      sim.stop()
      return port
    end)
  end

  local function walk_through(port)
    local root = helpers.repo_root()
    local quick = block(read(root .. "/README.md"), "## Try it without a BroadWorks server")
    local packs = block(read(root .. "/scripts/README.md"), "Try them against the simulator")
    local function adapt(s)
      return (s:gsub("2208", tostring(port)):gsub("build/ocip", (q(helpers.host()):gsub("%%", "%%%%"))))
    end
    local dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir " .. q(dir)))
    local script = dir .. "/run.sh"
    local f = assert(io.open(script, "w"))
    -- -e: every step must succeed; the simulator started with & is stopped at the end
    f:write("set -e\ncd ", q(dir), "\nln -s ", q(root .. "/scripts"), " scripts\n",
      "trap 'kill $(jobs -p) 2>/dev/null' EXIT\n", adapt(quick), "\n", adapt(packs), "\n")
    f:close()
    local out, code, err = helpers.exec("env -u OCIP_PROFILE HOME=" .. q(dir) .. " XDG_CONFIG_HOME=" .. q(dir)
      .. " timeout 120 bash " .. q(script))
    local added = io.open(dir .. "/added.csv", "rb")
    local report = added and added:read("a") or ""
    if added then added:close() end
    local log = io.open(dir .. "/sim.log", "rb")
    local sim_log = log and log:read("a") or ""
    if log then log:close() end
    os.execute("rm -rf " .. q(dir))
    return out, code, err, report, sim_log
  end

  it("the quick start and the packs' walk-through work as written", function()
    local out, code, err, report, sim_log
    for _ = 1, 3 do -- another process may take the free port before the simulator does
      out, code, err, report, sim_log = walk_through(free_port())
      if not sim_log:find("address already in use", 1, true) then break end
    end
    assert.are.equal(0, code, err .. "\n" .. out)
    assert.matches("ocip sim ready", out)
    assert.matches("UserGetResponse23V2", out)
    assert.is_nil(err:find("4130", 1, true), err)
    assert.matches("users_add: 2 rows: 2 ok, 0 failed", err)
    assert.matches("\r\n1,ann@example%.net,ok,", report)
    assert.matches("users_add: 2 rows: 2 ok, 0 failed, 0 skipped in [%d.]+ s %(2 done before", err)
    assert.matches("users_delete: 2 rows: 2 ok, 0 failed", err)
  end)

  it("installs packages with sudo only when not root", function()
    local setup = block(read(helpers.repo_root() .. "/README.md"), "## Set up")
    assert.matches('id %-u', setup)
    for line in setup:gmatch("[^\n]+") do
      if line:find("sudo", 1, true) then assert.matches("id %-u", line) end
    end
  end)
end)
