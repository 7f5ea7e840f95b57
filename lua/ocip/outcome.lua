-- The one outcome of a submitted command ("entry": { name=, task=, done=, resp=, err=, ... }).
-- finish() is the only place an entry completes: a second call is ignored, so racing
-- paths (answer, timeout, connection loss, close) can never give a command two outcomes.
local core = require "ocip.core"
local Error = require "ocip.error"

local M = {}

--- finish(e, resp, err) -> true when this call gave e its outcome
-- A command written at least once may have reached the server: its error says sent =
-- true whatever failed later (a read retried after a lost connection, then no reconnect).
function M.finish(e, resp, err)
  if e.done then return false end
  if err and e.sent and type(err) == "table" then err.sent = true end
  e.done, e.resp, e.err = true, resp, err
  if e.task then core.unpark(e.task) end
  return true
end

--- fail(e, kind, message, sent, fields?) -> finish with a fresh error naming the command
function M.fail(e, kind, message, sent, fields)
  if e.done then return false end
  local err = Error.new(kind, message, fields)
  err.command, err.sent = e.name, sent
  return M.finish(e, nil, err)
end

--- copy(err, e, sent) -> a copy of err for command e (one failure answering many commands)
function M.copy(err, e, sent)
  local fields = {}
  for k, v in pairs(err) do fields[k] = v end
  fields.command, fields.sent = e.name, sent
  return Error.new(err.kind, err.message, fields)
end

return M
