-- Shared helpers for the client specs: run a body as an ocip task with a hard time
-- limit (a hung client fails the spec instead of hanging busted).
local ocip = require "ocip"
local core = ocip.core
local assert = require "luassert"

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

--- with_sim(sim_opts, fn, limit): inside run(limit or 30), starts ocip.sim with
--- sim_opts, runs fn(sim) and always stops the simulator; raises fn's error.
function M.with_sim(sim_opts, fn, limit)
  M.run(limit or 30, function()
    local sim = require("ocip.sim").start(sim_opts)
    local ok, err = pcall(fn, sim)
    sim.stop()
    if not ok then error(err, 0) end
  end)
end

--- connect_fails(opts, kind) -> err: asserts ocip.connect(opts) fails with err.kind == kind.
function M.connect_fails(opts, kind)
  local c, err = ocip.connect(opts)
  assert.is_nil(c)
  assert.equal(kind, err.kind)
  return err
end

--- capture(level) -> log spec, lines (array of "level: line")
function M.capture(level)
  local lines = {}
  return ocip.log.fn(function(l, line) lines[#lines + 1] = l .. ": " .. line end, level or "trace"), lines
end

return M
