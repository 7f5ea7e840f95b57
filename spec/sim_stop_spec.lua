-- `ocip sim` stops cleanly however often it is told to: `timeout`, process
-- managers and shells send SIGTERM to the process *and* to its process group, so a
-- second SIGTERM may arrive while the simulator is already stopping. It must
-- still save its state and exit 0, never end by the signal.
local helpers = require "spec.helpers"

local q = helpers.shell_quote

local function host_built()
  local f = io.open(helpers.host(), "rb")
  if f then f:close() return true end
  return false
end

describe("ocip sim stop", function()
  it("a storm of SIGTERMs after the ready line: state saved, exit 0, every time", function()
    if not host_built() then pending("host binary not built") return end
    local dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -m 700 " .. q(dir)))
    local state, marker = dir .. "/state.lua", dir .. "/stop"
    for round = 1, 5 do
      os.remove(state)
      os.remove(marker)
      -- popen's shells exec the sim, so the sim is our child: it stays a zombie
      -- (its pid not reusable) until p:close(), after the storm has ended
      local p = assert(io.popen("exec sh -c " .. q("echo $$; exec " .. q(helpers.host())
        .. " sim --tcp 0 --users 4 --for 25 --state " .. q(state)) .. " 2>/dev/null", "r"))
      local sim_pid = assert(tonumber(p:read("l")))
      assert.matches("^ocip sim ready ", p:read("l") or "")
      -- SIGTERM again and again (bounded) until the marker says the sim is gone
      local storm = assert(io.popen("sh -c " .. q(("i=0; while [ ! -e %s ] && [ $i -lt 200000 ]; do "
        .. "kill -TERM %s 2>/dev/null; i=$((i+1)); done; echo $i"):format(q(marker), sim_pid)), "r"))
      p:read("a") -- EOF: the sim has exited (not yet reaped)
      assert(io.open(marker, "w")):close()
      local sent = tonumber(storm:read("a"))
      storm:close()
      local _, how, code = p:close()
      assert.is_true(sent > 0)
      assert.same({ "exit", 0 }, { how, code }, "round " .. round)
      local f = io.open(state, "rb")
      assert.is_truthy(f, "state written, round " .. round)
      f:close()
    end
    os.execute("rm -rf " .. q(dir))
  end)
end)
