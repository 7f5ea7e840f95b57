-- ocip.config.apply: sends a plan's changes in dependency order. The changes of one phase
-- run concurrently; a change waits until every change of the earlier phases has ended
-- (done or failed: a failure does not stop the rest, the server refuses what depended
-- on it). The requests of one change go one after the other; the first that fails ends it.
--   apply.items(plan) -> items in the order they start: { row = n (the change's place in
--       the plan), key = "user alice@x", change = change, phase = n }
--   apply.gate(items) -> gate: gate:wait(item) (until the earlier phases ended),
--       gate:done(item) (call exactly once per item, whatever happened)
--   apply.send(c, change) -> true | nil, err
--   apply.run(c, plan, opts) -> results, errors (aligned with apply.items(plan))
--       opts.concurrency (default 16), opts.on_done(item, ok, err)
local ocip = require "ocip"
local async = require "ocip.async"

local M = {}

function M.items(plan)
  local items = {}
  for i, ch in ipairs(plan.changes) do
    items[#items + 1] = { row = i, key = ch.label, change = ch, phase = ch.phase }
  end
  table.sort(items, function(a, b)
    if a.phase ~= b.phase then return a.phase < b.phase end
    return a.row < b.row
  end)
  return items
end

local Gate = {}
Gate.__index = Gate

function M.gate(items)
  local g = setmetatable({ phases = {}, left = {}, ended = {} }, Gate)
  for _, it in ipairs(items) do
    if not g.left[it.phase] then
      g.phases[#g.phases + 1] = it.phase
      g.left[it.phase] = 0
      g.ended[it.phase] = async.event()
    end
    g.left[it.phase] = g.left[it.phase] + 1
  end
  table.sort(g.phases)
  return g
end

function Gate:wait(item)
  for _, p in ipairs(self.phases) do
    if p >= item.phase then return end
    if self.left[p] > 0 then self.ended[p]:wait() end
  end
end

function Gate:done(item)
  local p = item.phase
  self.left[p] = self.left[p] - 1
  if self.left[p] == 0 then self.ended[p]:set() end
end

function M.send(c, change)
  for _, req in ipairs(change.requests) do
    local r, err = c:command(req)
    if not r then return nil, err end
  end
  return true
end

function M.run(c, plan, opts)
  opts = opts or {}
  local items = M.items(plan)
  local gate = M.gate(items)
  return ocip.gather(items, function(it)
    gate:wait(it)
    local ok, r, err = pcall(M.send, c, it.change)
    gate:done(it)
    if not ok then r, err = nil, r end
    if opts.on_done then opts.on_done(it, r, err) end
    return r, err
  end, { limit = opts.concurrency or 16 })
end

return M
