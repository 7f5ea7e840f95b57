-- A peer that closes while we write must surface as an error on the write,
-- never kill the process with SIGPIPE. Runs in a child host so that a kill is
-- seen as an exit status instead of taking busted down with it.
local helpers = require "spec.helpers"

local SCRIPT = [[
local ocip = require "ocip"
local core = ocip.core
ocip.run(function()
  local srv = assert(core.tcp_listen{ host = "127.0.0.1", port = 0, mode = "raw" })
  ocip.spawn(function()                -- a client that connects and goes away at once
    local c = assert(core.tcp_connect{ host = "127.0.0.1", port = srv:port(), mode = "raw", timeout = 5 })
    c:close()
  end)
  local peer = assert(srv:accept())
  ocip.sleep(0.1)
  local err
  for _ = 1, 50 do                     -- keep writing into the closed socket
    local ok, e = peer:write(string.rep("x", 65536))
    if ok then ok, e = peer:flush() end
    if not ok then err = e break end
    ocip.sleep(0.01)
  end
  print("write error:", err and err.kind)
  peer:close()
  srv:close()
end)
print("alive")
]]

describe("writing to a closed peer", function()
  it("returns an error instead of killing the process", function()
    local path = os.tmpname()
    local f = assert(io.open(path, "w"))
    f:write(SCRIPT)
    f:close()
    -- the runner itself ignores SIGPIPE, and children inherit that: restore the default
    local out, code, err = helpers.exec("env --default-signal=PIPE "
      .. helpers.shell_quote(helpers.host()) .. " " .. path)
    os.remove(path)
    assert.equals(0, code, "exit status " .. tostring(code) .. ": " .. out .. err)
    assert.matches("write error:%s+closed", out)
    assert.matches("alive", out)
  end)
end)
