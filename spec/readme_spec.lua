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
  it("the quick start and the packs' walk-through work as written", function()
    local root = helpers.repo_root()
    local quick = block(read(root .. "/README.md"), "## Try it without a BroadWorks server")
    local packs = block(read(root .. "/scripts/README.md"), "Try them against the simulator")
    -- a port from the kernel's free range, not 2208
    local port = 20000 + (os.time() * 7919 + math.floor(os.clock() * 1e6)) % 20000
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
    os.execute("rm -rf " .. q(dir))
    assert.are.equal(0, code, err .. "\n" .. out)
    assert.matches("UserGetResponse23V2", out)
    assert.is_nil(err:find("4130", 1, true), err)
    assert.matches("users_add: 2 rows: 2 ok, 0 failed", err)
    assert.matches("\r\n1,ann@example%.net,ok,", report)
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
