-- Shared helpers for the client specs: run a body as an ocip task with a hard time
-- limit (a hung client fails the spec instead of hanging busted).
local ocip = require "ocip"
local core = ocip.core

local M = {}

--- run(limit_seconds, fn): runs fn() inside ocip.run; raises fn's error, or a
--- "spec time limit" error when it did not finish in time.
function M.run(limit, fn)
  local failure
  core.run(function()
    local task = core.spawn(fn)
    local dog = core.spawn(function()
      core.sleep(limit)
      core.cancel(task, "spec time limit of " .. limit .. "s exceeded")
    end)
    local ok, err = core.join(task)
    core.cancel(dog)
    if not ok then failure = err end
  end)
  if failure ~= nil then error(failure, 0) end
end

--- capture(level) -> log spec, lines (array of "level: line")
function M.capture(level)
  local lines = {}
  return ocip.log.fn(function(l, line) lines[#lines + 1] = l .. ": " .. line end, level or "trace"), lines
end

return M
