-- Spec support for the simulator's entities: the real client (ocip.connect) on an
-- in-process simulator, and a round-trip check (what a request set, its Get returns).
local ocip = require "ocip"
local assert = require "luassert"
local base = require "spec.support.client_helper"
local schema = require "ocip.sim.schema"

local M = {}

--- with_client(sim_opts, fn): starts ocip.sim in a task, connects the real client
--- (one session, plain TCP) and runs fn(c, sim); closes and stops whatever happens.
function M.with_client(sim_opts, fn, limit)
  base.with_sim(sim_opts, function(sim)
    local c = assert(ocip.connect { host = "127.0.0.1", port = sim.tcp_port, tls = false,
      username = sim.admin, password = sim.password, sessions = 1, timeout = 10, log = false })
    local ok, err = pcall(fn, c, sim)
    c:close()
    if not ok then error(err, 0) end
  end, limit or 60)
end

--- code(r, err) -> the server error code of a failed call (nil when it succeeded)
function M.code(r, err)
  if r ~= nil then return nil end
  return err and err.kind == "server" and tonumber(err.code) or err
end

--- ok(r, err) -> r, failing with the error's text when the call failed
function M.ok(r, err)
  if r == nil then error(tostring(err), 2) end
  return r
end

local function is_list(v) return type(v) == "table" and v[1] ~= nil end

-- Asserts every field of `sent` that type `tname` has is in `got` with the same
-- value (records and lists compared the same way, recursively).
local function subset(tname, sent, got, path)
  local plan = tname and schema.plan(tname)
  for k, v in pairs(sent) do
    local e = type(k) == "string" and k:sub(1, 1) ~= "_" and plan and plan.by_snake[k]
    if e and not e.table then
      local p = path .. "." .. k
      local g = got and got[k]
      if type(v) ~= "table" then
        assert.are.equal(v, g, p)
      elseif is_list(v) then
        assert.is_table(g, p)
        assert.are.equal(#v, #g, p .. " (length)")
        for i, item in ipairs(v) do
          if type(item) == "table" then
            subset(item._type or e.type, item, g[i], p .. "[" .. i .. "]")
          else
            assert.are.equal(item, g[i], p .. "[" .. i .. "]")
          end
        end
      else
        assert.is_table(g, p)
        subset(v._type or e.type, v, g, p)
      end
    end
  end
end

--- roundtrip(sent, got): every field `sent` carried that the response type of
--- `got` has, `got` returns (nested records and lists too).
function M.roundtrip(sent, got)
  assert.is_table(got)
  subset(got._type, sent, got, got._type)
end

return M
