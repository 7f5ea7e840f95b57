-- Logging a fresh connection in, before any command is written on it.
--   14sp4: AuthenticationRequest{userId} -> nonce; LoginRequest14sp4{userId, signedPassword}
--          with signedPassword = md5_hex(nonce .. ":" .. sha1_hex(password)).
--   22V5:  LoginRequest22V5{userId, password}; the password travels as is, so only over
--          an encrypted transport (TLS, https): refused before anything is sent otherwise.
--   auto:  22V5 over TLS/https, and when the server answers it with an ErrorResponse
--          (older release, or 22V5 disabled) one 14sp4 attempt on the same connection;
--          14sp4 over plain TCP/http. So a wrong password costs at most two attempts.
-- Every failure is an ocip.Error of kind "auth" (server refused: carries code, summary,
-- summary_english, detail of the ErrorResponse), "usage", or the transport's kind.
local core = require "ocip.core"
local Error = require "ocip.error"
local xml = require "ocip.xml"
local catalog = require "ocip.catalog"
local correlate = require "ocip.correlate"

local M = {}

M.MODES = { auto = true, ["14sp4"] = true, ["22V5"] = true }

-- One request/answer exchange on a connection that has nothing else in flight. The
-- document carries an echo unique on the connection (`st.n` counts the login documents);
-- the answer counts only when it passes ocip.correlate's checks (echo, session id, one
-- command, the paired type: AuthenticationResponse, LoginResponse14sp4/22V5, or an
-- ErrorResponse).
local function exchange(conn, req, session_id, log, st)
  st.n = st.n + 1
  local echo = "login" .. st.n .. "c"
  local name = req._type
  local doc = xml.encode({ req }, session_id, echo)
  if log:enabled("trace") then log:log("trace", "%s >> %s", conn.name, doc) end
  local ok, err = conn:send(doc)
  if not ok then return nil, err end
  local answer
  answer, err = conn:receive()
  if not answer then return nil, err end
  if log:enabled("trace") then log:log("trace", "%s << %s", conn.name, answer) end
  local decoded
  decoded, err = xml.decode(answer)
  if not decoded then return nil, err end
  local why = correlate.check({ entries = { { name = name } }, echo = echo, sid = session_id }, decoded)
  if why then
    return nil, Error.new("protocol", "login " .. why, { command = name, sent = true })
  end
  return decoded.responses[1]
end

local function build(name, fields)
  local req, err = catalog.build(name, fields)
  if not req then error(err, 0) end -- our own requests: a failure is a bug
  return req
end

-- A server ErrorResponse during login -> kind "auth" with the server's fields.
local function refused(resp, name)
  local e = Error.new("auth", "login refused: " .. tostring(resp.summary_english or resp.summary or resp.message))
  for _, k in ipairs { "code", "summary", "summary_english", "detail", "severity" } do e[k] = resp[k] end
  e.command, e.sent = name, true
  return e
end

-- Checks a login answer: nil (ok) or the error
local function check(resp, err, name)
  if resp == nil then
    if Error.is(err) then
      err.command = err.command or name
      if err.sent == nil then err.sent = true end
    end
    return err or Error.new("auth", "login failed", { command = name, sent = true })
  end
  if Error.is(resp) then
    if resp.kind == "server" and resp.severity ~= "Error" and resp.severity ~= nil then
      return nil -- a warning (e.g. password expiring soon) still logs in
    end
    return refused(resp, name)
  end
  return nil
end

local function login_14sp4(conn, opts, session_id, log, st)
  local resp, err = exchange(conn, build("AuthenticationRequest", { userId = opts.username }), session_id, log, st)
  local failed = check(resp, err, "AuthenticationRequest")
  if failed then return nil, failed end
  if Error.is(resp) then -- warning on AuthenticationRequest: no nonce to sign
    return nil, refused(resp, "AuthenticationRequest")
  end
  local nonce = resp.nonce
  if type(nonce) ~= "string" then
    return nil, Error.new("protocol", "AuthenticationResponse without a nonce", { command = "AuthenticationRequest", sent = true })
  end
  local algorithm = resp.password_algorithm or resp.passwordAlgorithm
  if algorithm and algorithm ~= "MD5" then
    return nil, Error.new("auth", "unsupported password algorithm " .. tostring(algorithm), { command = "AuthenticationRequest", sent = true })
  end
  local signed = core.signed_password(nonce, opts.password)
  log:add_secret(signed)
  resp, err = exchange(conn, build("LoginRequest14sp4", { userId = opts.username, signedPassword = signed }), session_id, log, st)
  failed = check(resp, err, "LoginRequest14sp4")
  if failed then return nil, failed end
  return resp
end

local function login_22V5(conn, opts, session_id, log, st)
  local resp, err = exchange(conn, build("LoginRequest22V5", { userId = opts.username, password = opts.password }), session_id, log, st)
  local failed = check(resp, err, "LoginRequest22V5")
  if failed then return nil, failed end
  return resp
end

--- login.validate(opts, secure) -> true or nil, err (usage errors, before any I/O)
function M.validate(opts, secure)
  local mode = opts.login or "auto"
  if not M.MODES[mode] then
    return nil, Error.new("usage", "login must be \"auto\", \"14sp4\" or \"22V5\", not " .. tostring(mode))
  end
  if mode == "22V5" and not secure then
    return nil, Error.new("usage", "login \"22V5\" sends the password as is: only over TLS or https " ..
      "(use tls = true, or login = \"14sp4\")", { command = "LoginRequest22V5", sent = false })
  end
  if type(opts.username) ~= "string" or opts.username == "" then
    return nil, Error.new("usage", "username is required")
  end
  if type(opts.password) ~= "string" then
    return nil, Error.new("usage", "password is required (a string)")
  end
  return true
end

--- login.run(conn, opts, session_id, log) -> login response or nil, err
-- conn: a transport with send/receive/secure. Nothing else may be in flight on it.
function M.run(conn, opts, session_id, log)
  local ok, err = M.validate(opts, conn.secure)
  if not ok then return nil, err end
  local mode = opts.login or "auto"
  local st = { n = 0 }
  if mode == "14sp4" or (mode == "auto" and not conn.secure) then
    return login_14sp4(conn, opts, session_id, log, st)
  end
  local resp
  resp, err = login_22V5(conn, opts, session_id, log, st)
  if resp or mode == "22V5" or err.kind ~= "auth" then return resp, err end
  log:log("debug", "%s: LoginRequest22V5 refused (%s); trying LoginRequest14sp4", conn.name, tostring(err.summary))
  return login_14sp4(conn, opts, session_id, log, st)
end

--- login.logout_document(opts, session_id) -> the LogoutRequest document
function M.logout_document(opts, session_id)
  return xml.encode({ build("LogoutRequest", { userId = opts.username }) }, session_id)
end

return M
