-- ocip.pack.stop: SIGINT/SIGTERM during a pack's work (connecting, sending).
--   local guard <close> = stop.watch(function(signal, count) ... end)
--     while the guard is open, each SIGINT or SIGTERM calls the function (in its own task)
--     with the signal's name and how many have arrived; closing the guard ends the watch
--     and gives the signals back to their default action.
-- The watch is opened only around work that waits on the network: a watcher task left
-- waiting after a script's last line would keep the loop from ending.
local core = require "ocip.core"

local M = {}

M.SIGNALS = { "SIGINT", "SIGTERM" }

function M.watch(on_signal)
  local w = core.signal_watch(M.SIGNALS)
  local count = 0
  local task = core.spawn(function()
    while true do
      local ok, sig = pcall(w.wait, w)
      if not ok or not sig then return end
      count = count + 1
      on_signal(sig, count)
    end
  end)
  local guard = {}
  local function close()
    if guard.closed then return end
    guard.closed = true
    w:close() -- wakes the task with nil: it returns
    if core.current() ~= task then core.join(task) end
  end
  guard.close = close
  return setmetatable(guard, { __close = close })
end

return M
