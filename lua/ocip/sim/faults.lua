-- Fault injection settings and the per-document decisions drawn from them.
-- Spec string: "latency=5,jitter=2,drop_after=1000,drop_p=0.01,split=1,split_p=0.01,garbage_p=0.01,
-- stall_p=0.01,expire_after=10,expire_commands=100,error_p=0.05,close_no_reply_p=0.01,
-- slow_read=2000,dup_answer_p=0.01,dup_login_p=0.1,wrong_type_p=0.01,reorder_p=0.01,
-- doc_error_p=0.01,extra_doc_p=0.01,many_attrs_p=0.001,many_attrs_n=300000"
-- (latency/jitter in milliseconds, expire_after in seconds). The same keys work
-- as a Lua table. The table is live: specs change it while the simulator runs.
local Error = require "ocip.error"

local M = {}

-- key -> kind of value
local KEYS = {
  latency = "number",        -- ms added before every reply
  jitter = "number",         -- ms, uniform extra delay in [0, jitter]
  drop_after = "integer",    -- close the connection once it has written this many bytes
  drop_p = "number",         -- close mid-reply (a random prefix is written) with this probability
  split = "boolean",         -- write replies one byte at a time
  split_p = "number",        -- write a reply in pieces of 1-64 bytes, each on its own loop turn
  garbage_p = "number",      -- reply with bytes that are not an OCI-P document
  stall_p = "number",        -- never reply to the document (connection stays open)
  expire_after = "number",   -- sessions expire this many seconds after login
  expire_commands = "integer", -- sessions expire after this many commands
  error_p = "number",        -- answer a command with an ErrorResponse
  close_no_reply_p = "number", -- close the connection after reading a document, no reply
  slow_read = "number",      -- read requests at this many bytes/s per connection (0 = off)
  -- hostile servers (docs/SIMULATOR.md says which of them run the commands)
  dup_answer_p = "number",   -- send the answer document twice
  dup_login_p = "number",    -- send the answer to a document with a login request twice
  wrong_type_p = "number",   -- answer a command with a response of another type
  reorder_p = "number",      -- reverse the answers of a multi-command document
  doc_error_p = "number",    -- one ErrorResponse for the whole document, nothing run
  extra_doc_p = "number",    -- an unsolicited document right after the answer
  many_attrs_p = "number",   -- the answer's first <command> gets many_attrs_n attributes
  many_attrs_n = "integer",  -- how many (default 300,000: ~3.5 MB)
}
M.KEYS = KEYS

local function convert(key, v)
  local kind = KEYS[key]
  if not kind then
    Error.raise("usage", "unknown fault '" .. tostring(key) .. "'")
  end
  if kind == "boolean" then
    if v == true or v == "1" or v == 1 or v == "true" or v == "yes" then return true end
    if v == false or v == "0" or v == 0 or v == "false" or v == "no" then return false end
  else
    local n = tonumber(v)
    if n and n >= 0 then
      if kind == "integer" then
        n = math.tointeger(n)
        if n then return n end
      elseif key:sub(-2) ~= "_p" or n <= 1 then
        return n
      end
    end
  end
  Error.raise("usage", "bad value for fault " .. key .. ": " .. tostring(v))
end

--- faults.parse(spec) -> table of faults (spec: string, table or nil). Raises usage errors.
function M.parse(spec)
  local out = {}
  if spec == nil or spec == "" then return out end
  if type(spec) == "table" then
    for k, v in pairs(spec) do out[k] = convert(k, v) end
    return out
  end
  for item in tostring(spec):gmatch("[^,%s]+") do
    local k, v = item:match("^([%w_]+)=(.*)$")
    if not k then
      -- no bare keys: "latency" alone used to mean latency=1, which nobody meant
      Error.raise("usage", "fault item '" .. item .. "' needs a value (key=value, e.g. "
        .. (KEYS[item] == "boolean" and item .. "=1" or "latency=5") .. ")")
    end
    out[k] = convert(k, v)
  end
  return out
end

--- faults.read_due(f, clock, now, bytes) -> time at which a slow reader has
--- consumed `bytes` more (its reading starts at max(now, clock)); nil when off.
function M.read_due(f, clock, now, bytes)
  local rate = f.slow_read
  if not rate or rate <= 0 then return nil end
  local start = clock and clock > now and clock or now
  return start + bytes / rate
end

--- faults.delay(f, rng) -> seconds to wait before replying (0 when none)
function M.delay(f, rng)
  local ms = f.latency or 0
  if f.jitter and f.jitter > 0 then ms = ms + rng:float() * f.jitter end
  return ms / 1000
end

return M
