-- ocip.config: configuration as code for a group (ocip snapshot / plan / apply).
--   local config = require "ocip.config"
--   local state = assert(config.snapshot(c, { service_provider_id = "sp1", group_id = "g1" }))
--   local text = config.encode(state, "lua")          -- or "json": a file's text
--   local want = assert(config.decode(text, "g1.lua")) -- data only (ocip.config.file)
--   local plan = assert(config.plan(c, want))          -- or config.plan(c, want, other_target)
--   io.write(config.text(plan))                        -- + add / ~ modify / - delete
--   local results, errors = config.apply(c, plan)      -- in dependency order
-- Pieces: kinds (entity kinds and their requests), shape (catalog-driven field mapping),
-- read (live state), file (encode/decode), diff (the plan), text, apply.
local read = require "ocip.config.read"
local file = require "ocip.config.file"
local diff = require "ocip.config.diff"
local Error = require "ocip.error"

local M = {}

M.FORMAT = file.FORMAT
M.encode, M.decode = file.encode, file.decode

--- target("SP/GROUP") -> { service_provider_id =, group_id = } | nil, err (usage)
function M.target(s)
  local sp, g = tostring(s or ""):match("^([^/]+)/(.+)$")
  if not sp then return nil, Error.new("usage", "expected SP/GROUP, got " .. tostring(s)) end
  return { service_provider_id = sp, group_id = g }
end

--- snapshot(c, target, opts) -> state | nil, err (kind server, code 4007, when the group
--- does not exist)
function M.snapshot(c, target, opts)
  local state, err = read.group(c, target, opts)
  if not state then return nil, err end
  if state.missing then
    return nil, Error.new("server", ("Group not found: %s/%s"):format(target.service_provider_id,
      target.group_id), { code = 4007 })
  end
  return state
end

--- load(path) -> state | nil, err (usage)
function M.load(path)
  local text, err = file.read(path)
  if not text then return nil, err end
  return file.decode(text, path)
end

--- plan(c, desired, target, opts) -> plan | nil, err. target defaults to the file's group;
--- plan.live is the state read.
function M.plan(c, desired, target, opts)
  target = target or desired.group
  local live, err = read.group(c, target, opts)
  if not live then return nil, err end
  local p = diff.plan(desired, live, target)
  p.live = live
  return p
end

M.text = require("ocip.config.text").plan
M.apply = require("ocip.config.apply").run

return M
