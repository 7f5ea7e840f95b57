-- scripts/README.md's walk-through of the entity packs and automations runs as written,
-- line after line (set -e), with its sample files in scripts/examples/, against a
-- simulator like the quick start's (--users 200); only the binary's path is changed.
local helpers = require "spec.helpers"
local sim_process = require "spec.support.sim_process"

local q = helpers.shell_quote

local function read(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

describe("scripts/README.md entity packs walk-through", function()
  local sim
  setup(function()
    sim = sim_process.start{ users = 200, seconds = 120, password = "Pw-examples-" .. os.time() }
    assert(sim.port, "simulator did not start")
  end)
  teardown(function() if sim then sim.stop() end end)

  it("every line succeeds against the simulator", function()
    local root = helpers.repo_root()
    local text = read(root .. "/scripts/README.md")
    local at = assert(text:find("Every pack has a sample file", 1, true))
    local block = assert(text:match("```sh\n(.-)```", at))
    local lines = 0
    for _ in block:gmatch("[^\n]+") do lines = lines + 1 end
    assert.is_true(lines >= 30)
    local dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir " .. q(dir)))
    local script = dir .. "/run.sh"
    local f = assert(io.open(script, "w"))
    f:write("set -e\ncd ", q(dir), "\nln -s ", q(root .. "/scripts"), " scripts\n",
      (block:gsub("build/ocip", (q(helpers.host()):gsub("%%", "%%%%")))))
    f:close()
    local out, code, err = sim.sh("timeout 100 sh " .. q(script) .. " </dev/null")
    local inventory = io.open(dir .. "/inventory.json") and read(dir .. "/inventory.json") or ""
    os.execute("rm -rf " .. q(dir))
    assert.are.equal(0, code, err)
    assert.matches("user000001@example%.net user sp1/g1", out)
    assert.matches("hg%-sales@example%.net hunt_group sp1/g1 %(Sales%)", out)
    assert.matches('"id":"cc%-help@example%.net","kind":"call_center"', out)
    assert.matches("\n## Call forwarding\n", out)
    assert.matches('"service_providers"', inventory)
    -- (set -e already stops at a pack with failed or skipped rows: exit 1)
    assert.is_nil(err:find("[^%d][1-9]%d* failed"), err)
    assert.is_nil(err:find("[^%d][1-9]%d* skipped"), err)
    assert.matches("devices_add: dry run: 2 rows: 2 valid", err)
  end)
end)
