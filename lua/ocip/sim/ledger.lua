-- What the simulator ran, for exactly-once checks: per request name
-- (stats.ran), writes (stats.writes_run), the live hook sim.on_run(name, cmd),
-- and the run log file (opts.run_log): one line per write that ran. A command
-- "ran" once it passed the session, schema and scope checks and error_p, i.e.
-- its handler (or the generic answer) was called; login requests are not counted.
local Error = require "ocip.error"

local M = {}

local write_cache = {}

--- ledger.is_write(name) -> true for requests that may change state (no "Get" in the name)
function M.is_write(name)
  local w = write_cache[name]
  if w == nil then
    w = not name:find("Get", 1, true)
    write_cache[name] = w
  end
  return w
end

local ESC = { ["\\"] = "\\\\", ["\t"] = "\\t", ["\n"] = "\\n", ["\r"] = "\\r" }

--- ledger.line(name, cmd) -> "Name\tkey=value\t...\n": the request's simple
--- top-level fields (snake names, sorted; nested values left out), escaped.
function M.line(name, cmd)
  local keys = {}
  for k, v in pairs(cmd) do
    local tv = type(v)
    if type(k) == "string" and k:sub(1, 1) ~= "_"
      and (tv == "string" or tv == "number" or tv == "boolean") then
      keys[#keys + 1] = k
    end
  end
  table.sort(keys)
  local parts = { name }
  for i, k in ipairs(keys) do
    parts[i + 1] = k .. "=" .. tostring(cmd[k]):gsub("[\\\t\n\r]", ESC)
  end
  return table.concat(parts, "\t") .. "\n"
end

--- ledger.open(sim, path): starts the run log (truncates path). Raises usage errors.
function M.open(sim, path)
  local f, err = io.open(path, "wb")
  if not f then Error.raise("usage", "run log " .. tostring(path) .. ": " .. tostring(err)) end
  f:setvbuf("full", 64 * 1024)
  sim.run_log = f
end

--- ledger.record(sim, name, cmd): a command is about to run
function M.record(sim, name, cmd)
  local st = sim.stats
  st.commands = st.commands + 1
  st.ran[name] = (st.ran[name] or 0) + 1
  if M.is_write(name) then
    st.writes_run = st.writes_run + 1
    local log = sim.run_log
    if log then log:write(M.line(name, cmd)) end
  end
  local hook = sim.on_run
  if hook then hook(name, cmd) end
end

--- ledger.close(sim): flushes and closes the run log
function M.close(sim)
  if sim.run_log then
    sim.run_log:close()
    sim.run_log = nil
  end
end

return M
