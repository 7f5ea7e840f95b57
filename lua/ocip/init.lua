-- ocip: the public Lua module. Submodules load on first use so that a script
-- that never touches the catalog or the network pays nothing for them.
local core = require "ocip.core"

local M = {
  NIL = require("ocip.sentinel").NIL,
  Error = require "ocip.error",
  core = core,
  _VERSION = "ocip " .. core.version(),
  catalog_release = select(2, core.version()),
}

-- name -> module that provides it (loaded lazily, then cached in M)
local LAZY = {
  commands = { "ocip.catalog", "commands" },
  catalog = { "ocip.catalog" },
  describe = { "ocip.catalog", "describe" },
  xml = { "ocip.xml" },
  log = { "ocip.log" },
  sim = { "ocip.sim" },
  spawn = { "ocip.async", "spawn" },
  gather = { "ocip.async", "gather" },
  semaphore = { "ocip.async", "semaphore" },
  sleep = { "ocip.async", "sleep" },
  timeout = { "ocip.async", "timeout" },
  run = { "ocip.async", "run" },
  now = { "ocip.async", "now" },
  connect = { "ocip.client", "connect" },
  client = { "ocip.client", "new" },
}

return setmetatable(M, {
  __index = function(t, k)
    local where = LAZY[k]
    if not where then return nil end
    local mod = require(where[1])
    local v = mod
    if where[2] then v = mod[where[2]] end
    rawset(t, k, v)
    return v
  end,
})
