-- ocip.correlate: does this answer belong to this document? (DESIGN "Sessions, batching,
-- correlation"; used by ocip.session for commands and by ocip.login.)
--
-- Command i of a document carries the echo prefix .. i, the prefix unique on its
-- connection (`echo(session, n)` = "s<session>d<n>c"). An answer belongs to its document
-- only when it carries the document's session id (when it names one), as many <command>
-- elements as were sent, response i echoes exactly prefix .. i (a duplicated, stale,
-- extra or reordered answer cannot match), and each non-error response is of the type
-- its request is paired with in the catalog (XRequestN -> XResponseN, else
-- SuccessResponse); an ErrorResponse may answer any request.
--
-- Servers that leave the echo out are refused: real servers return it on every command
-- (echo="" when none was sent). One exception, also seen on real servers: a server that
-- cannot read a document (6004 "OCI XML Request validation error") answers it with one
-- ErrorResponse whose echo is empty. For a one-command document that is the command's
-- error; for more it is a document-level error (`document_error`): none of them ran.
--
-- A document record ("rec") is { entries = { { name = request name }, ... }, echo = prefix,
-- sid = session id sent }.
local Error = require "ocip.error"
local catalog = require "ocip.catalog"

local M = {}

local INDEX = {} -- "1".."15": the per-command suffix (no string built per check)
for i = 1, 15 do INDEX[i] = tostring(i) end

--- echo(session_index, document_number) -> the echo prefix of that document
function M.echo(session, n) return ("s%dd%dc"):format(session, n) end

-- The data response type a request may get (besides ErrorResponse), from the catalog.
local paired = setmetatable({}, { __index = function(t, name)
  local d = catalog.type(name)
  local r = d and d.response or false
  t[name] = r
  return r
end })

local function no_echo(echo) return echo == nil or echo == "" end

--- document_error(rec, decoded) -> true when a lone ErrorResponse without echo (of its
-- session) answers a document of several commands: the server refused it as a whole.
function M.document_error(rec, decoded)
  local responses = decoded.responses
  if #rec.entries < 2 or #responses ~= 1 then return false end
  local sid = decoded.session_id
  if sid ~= nil and sid ~= rec.sid then return false end
  local r = responses[1]
  return Error.is(r) and r.kind == "server" and (r.severity or "Error") == "Error" and no_echo(r.echo)
end

--- check(rec, decoded) -> nil when every response is in its place, else why not.
function M.check(rec, decoded)
  local responses, entries = decoded.responses, rec.entries
  local sid = decoded.session_id
  if sid ~= nil and sid ~= rec.sid then return "answer carries another session id" end
  local n, got = #entries, #responses
  if got ~= n then
    local why = ("answer holds %d command%s for %d sent"):format(got, got == 1 and "" or "s", n)
    if got == 1 and n > 1 then
      why = why .. "; the server seems to answer only one command per document: use batch = 1"
    end
    return why
  end
  local prefix = rec.echo
  for i = 1, n do
    local r = responses[i]
    local is_error = Error.is(r)
    local echo
    if is_error then echo = r.echo else echo = r._echo end
    if echo ~= prefix .. INDEX[i] and not (n == 1 and is_error and no_echo(echo)) then
      if no_echo(echo) then return ("answer %d carries no echo (sent %s%d)"):format(i, prefix, i) end
      return ("answer %d echoes %q, not %s%d: not the answer to this document"):format(i,
        tostring(echo):sub(1, 40), prefix, i)
    end
    if not is_error then
      local name = entries[i].name
      local want = paired[name]
      if r._type ~= want then
        return ("%s answered with %s (expected %s or ErrorResponse)"):format(name, tostring(r._type), tostring(want))
      end
    end
  end
  return nil
end

--- check_head(rec, sid, cmd, done) -> nil when the answer to a one-command document,
-- seen before its end (rows mode: its first rows are about to be handed out), is so far
-- in its place, else why not. sid: its session id (or nil); cmd: the command being
-- decoded (a response with its _type and _echo so far); done: commands already complete
-- (more than 0: a second command holds these rows). The rest is checked at the end.
function M.check_head(rec, sid, cmd, done)
  if sid ~= nil and sid ~= rec.sid then return "answer carries another session id" end
  if done > 0 or type(cmd) ~= "table" then
    return ("answer holds more than %d command for %d sent"):format(#rec.entries, #rec.entries)
  end
  local want_echo = rec.echo .. INDEX[1]
  if cmd._echo ~= want_echo then
    if no_echo(cmd._echo) then return ("answer 1 carries no echo (sent %s)"):format(want_echo) end
    return ("answer 1 echoes %q, not %s: not the answer to this document"):format(
      tostring(cmd._echo):sub(1, 40), want_echo)
  end
  local name = rec.entries[1].name
  local want = paired[name]
  if cmd._type ~= want then
    return ("%s answered with %s (expected %s or ErrorResponse)"):format(name, tostring(cmd._type), tostring(want))
  end
  return nil
end

return M
