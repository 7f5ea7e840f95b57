-- One OCI-P document in, one out: decode, per command check the session and
-- the schema, run the stateful handler or the generic catalog answer, encode.
-- Never raises: internal failures become ErrorResponses of their own command.
-- The document-level faults live here: doc_error_p (one ErrorResponse, nothing
-- run), wrong_type_p (a response of another type) and reorder_p (answers reversed).
local core = require "ocip.core"
local schema = require "ocip.sim.schema"
local respond = require "ocip.sim.respond"
local generic = require "ocip.sim.generic"
local handlers = require "ocip.sim.handlers"
local auth = require "ocip.sim.auth"
local errtext = require "ocip.sim.errtext"
local ledger = require "ocip.sim.ledger"
local codes = require "ocip.sim.codes"

local M = {}

local MAX_COMMANDS = 15

local LOGIN_FAMILY = { AuthenticationRequest = true, LoginRequest14sp4 = true,
  LoginRequest22V5 = true, LogoutRequest = true }
local LOGIN = { LoginRequest14sp4 = true, LoginRequest22V5 = true }

local validate_request
local function validate(name, cmd)
  validate_request = validate_request or require("ocip.validate").request
  return validate_request(name, cmd)
end

local function decode(raw)
  local ok, doc, err = pcall(core.decode, raw)
  if not ok then return nil, doc end
  return doc, err
end

-- Encoded generic answers, keyed by request name (they never change).
local generic_cache = {}

local function encode(resp, echo)
  return respond.command(resp, echo)
end

-- The encoded generic answer of request `name` with `echo`.
local function generic_answer(name, echo)
  local g = generic_cache[name]
  if not g then
    local s = encode(generic.answer(name), "\0")
    local at = s:find("\0", 1, true)
    g = { s:sub(1, at - 1), s:sub(at + 1) }
    generic_cache[name] = g
  end
  return g[1] .. respond.escape(echo or "") .. g[2]
end

-- wrong_type_p: a schema-valid response the request cannot get.
local function wrong_answer(name, echo)
  local other = schema.response_of(name) == "GroupGetResponse22V5" and "UserGetRequest23V2"
    or "GroupGetRequest22V5"
  return generic_answer(other, echo)
end

local function run(sim, session, sid, cmd, name, echo)
  local d = name and schema.type(name)
  if not d or d.role ~= "request" then
    return encode(respond.error(4001, "Unknown request: " .. tostring(name)), echo)
  end
  local valid, verr = validate(name, cmd)
  if not valid then
    -- as a server: 6004, the parser's complaint in the detail (CDATA)
    return encode(respond.error(codes.VALIDATION, "OCI XML Request validation error",
      errtext.validation(name, cmd, verr), true), echo)
  end
  if LOGIN_FAMILY[name] then
    return encode(auth.handle(sim, session, sid, name, cmd), echo), true
  end
  local refused = auth.check(sim, session, sid) or (session.rank and auth.scope(session, name))
  if refused then return encode(refused, echo) end
  local error_p = sim.faults.error_p
  if error_p and sim.rng:chance(error_p) then
    return encode(respond.error(4099, "Injected failure (simulator fault error_p)"), echo)
  end
  ledger.record(sim, name, cmd)
  local h = handlers.find(name)
  if h then
    return encode(h({ sim = sim, state = sim.state, session = session }, cmd, name), echo), true
  end
  return generic_answer(name, echo), true
end

--- engine.execute(sim, session, sid, cmd) -> encoded <command> element
function M.execute(sim, session, sid, cmd)
  local name, echo = cmd._type, cmd._echo
  local ok, out, ran = pcall(run, sim, session, sid, cmd, name, echo)
  if ok then
    local p = ran and sim.faults.wrong_type_p
    if p and sim.rng:chance(p) then
      sim.stats.wrong_types = sim.stats.wrong_types + 1
      return wrong_answer(name, echo)
    end
    return out
  end
  sim.stats.internal_errors = sim.stats.internal_errors + 1
  return respond.command(respond.error(4000, "Internal simulator error: " .. tostring(out)), echo)
end

local function reverse(t)
  local i, j = 1, #t
  while i < j do
    t[i], t[j] = t[j], t[i]
    i, j = i + 1, j - 1
  end
end

--- engine.document(sim, session, raw) -> response document string, info; info
--- (reused per session) = { login = the document holds a login request,
--- sid = its session id, echo = its last command's echo }, or nil when it did
--- not decode.
function M.document(sim, session, raw)
  local doc, err = decode(raw)
  if not doc then
    local msg = type(err) == "table" and (err.message or tostring(err)) or tostring(err)
    return respond.document("", { respond.command(respond.error(4000,
      "Invalid OCI-P document: " .. msg)) })
  end
  local sid = doc.session_id or ""
  local cmds = doc.responses or doc.commands or {}
  local out = {}
  local f = sim.faults
  local info = session.doc_info or {}
  session.doc_info = info
  info.sid, info.login, info.echo = sid, false, cmds[#cmds] and cmds[#cmds]._echo
  for i = 1, #cmds do
    if LOGIN[cmds[i]._type] then info.login = true end
  end
  if #cmds == 0 then
    out[1] = respond.command(respond.error(4000, "Document holds no command"))
  elseif #cmds > MAX_COMMANDS then
    for i = 1, #cmds do
      out[i] = respond.command(respond.error(4000, "Too many commands in one document: "
        .. #cmds .. " (at most " .. MAX_COMMANDS .. ")"), cmds[i]._echo)
    end
  elseif f.doc_error_p and not info.login and not cmds[1]._type:find("^Authentication")
      and sim.rng:chance(f.doc_error_p) then
    -- (never a login document: a client must take an ErrorResponse to a login as a
    -- refusal, and a server refusing a whole document is about batches)
    -- the whole document refused: one ErrorResponse with an empty echo (as a real server
    -- answers a document it refuses, e.g. 6004 request validation), no command run
    sim.stats.doc_errors = sim.stats.doc_errors + 1
    out[1] = respond.command(respond.error(4098, "Document refused, none of its " .. #cmds
      .. " commands ran (simulator fault doc_error_p)"), nil)
  else
    for i = 1, #cmds do out[i] = M.execute(sim, session, sid, cmds[i]) end
    if #out > 1 and f.reorder_p and sim.rng:chance(f.reorder_p) then
      sim.stats.reordered = sim.stats.reordered + 1
      reverse(out)
    end
  end
  sim.stats.documents = sim.stats.documents + 1
  return respond.document(sid, out), info
end

return M
