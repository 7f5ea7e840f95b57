-- Sessions and logins: AuthenticationRequest hands out a nonce bound to the
-- session that asked; LoginRequest14sp4 checks md5(nonce ":" sha1(password));
-- LoginRequest22V5 takes the plain password, only over TLS. A session is one
-- TCP/TLS connection, or one JSESSIONID over SOAP.
local core = require "ocip.core"
local respond = require "ocip.sim.respond"
local generic = require "ocip.sim.generic"

local M = {}

-- Error codes and texts the simulator answers with (BroadWorks style).
M.ERRORS = {
  not_logged_in = { 4003, "Session is not logged in" },
  expired = { 4004, "Session expired, please log in again" },
  bad_session = { 4005, "Invalid session id" },
  no_nonce = { 4961, "Authentication request required before login" },
  bad_password = { 4962, "Invalid password" },
  insecure = { 4964, "Plain text password login requires a secure connection" },
  not_authorized = { 4410, "Not authorized: the administrator's level does not allow" },
}

-- Administrator levels, lowest first. The simulator's own admin (sim.admin) and
-- system admins are "system"; a session of a lower level gets a rank.
local RANK = { group = 1, sp = 2, reseller = 3, system = 4 }
M.RANK = RANK

-- Level a request needs, by name (first match). Coarse on purpose: system-wide
-- and reseller requests above a group admin are refused, object scopes are not.
local NEEDS = {
  { "^UserGetListInSystem", 4 }, { "^System", 4 },
  { "^ServiceProviderAdd", 3 }, { "^EnterpriseAdd", 3 }, { "^ServiceProviderDelete", 3 },
  { "^ServiceProviderGetList", 3 }, { "^Reseller", 3 },
  { "^ServiceProvider", 2 }, { "^Enterprise", 2 }, { "^GroupAdd", 2 },
  { "^GroupDeleteRequest$", 2 }, { "^GroupGetListInServiceProvider", 2 },
  { "^UserGetListInServiceProvider", 2 },
}
local needs_cache = {}

local function needs(name)
  local n = needs_cache[name]
  if not n then
    n = 1
    for _, p in ipairs(NEEDS) do
      if name:find(p[1]) then n = p[2] break end
    end
    needs_cache[name] = n
  end
  return n
end

--- auth.scope(session, name) -> nil when the logged-in admin may run `name`,
--- else the ErrorResponse. System-level sessions carry no rank (no cost).
function M.scope(session, name)
  local rank = session.rank
  if not rank or needs(name) <= rank then return nil end
  local e = M.ERRORS.not_authorized
  return respond.error(e[1], e[2] .. " " .. name)
end

local function fail(what, extra)
  local e = M.ERRORS[what]
  return respond.error(e[1], e[2] .. (extra and (": " .. extra) or ""))
end
M.fail = fail

--- auth.new_session(secure) -> session state
function M.new_session(secure)
  return { secure = secure and true or false, logged_in = false, commands = 0 }
end

local function nonce()
  if core.random_nonce then return core.random_nonce() end
  return tostring(math.random(10 ^ 12, 10 ^ 13 - 1))
end

local function sha1(s) return core.sha1_hex(s) end

local function login_ok(sim, session, user, sid)
  session.logged_in = true
  session.user = user
  local a = user ~= sim.admin and sim.state.ids[user]
  session.admin = a and a.kind == "admin" and a or nil
  local rank = session.admin and RANK[session.admin.level]
  session.rank = rank and rank < RANK.system and rank or nil
  session.sid = sid
  session.login_at = core.now()
  session.commands = 0
  session.nonce = nil
end

-- loginType per admin level; LoginResponse14sp4's LoginType has no "Reseller".
local LOGIN_TYPE = { group = "Group", sp = "Service Provider", reseller = "Reseller",
  system = "System" }

local function login_response(sim, session, name)
  local v22 = name == "LoginRequest22V5"
  local rname = v22 and "LoginResponse22V5" or "LoginResponse14sp4"
  local a = session.admin
  local o = { loginType = "System", locale = "en_US", encoding = "ISO-8859-1",
    isEnterprise = false, userDomain = sim.state.domain }
  if a then
    local t = LOGIN_TYPE[a.level]
    if a.level == "system" and a.admin_type == "Provisioning" then t = "Provisioning" end
    if t == "Reseller" and not v22 then t = "Service Provider" end
    o.loginType = t
    o.serviceProviderId = a.service_provider_id
    o.groupId = a.group_id
    local sp = a.service_provider_id and sim.state.sps.by[a.service_provider_id]
    if sp then o.isEnterprise = sp.enterprise end
    if v22 then o.resellerId = a.reseller_id or (sp and sp.reseller_id) end
  end
  return generic.fill(rname, o)
end

--- auth.handle(sim, session, sid, name, req) -> response table, or nil when
--- `name` is not a login-family request.
function M.handle(sim, session, sid, name, req)
  if name == "AuthenticationRequest" then
    session.nonce = nonce()
    session.nonce_user = req.user_id
    session.nonce_sid = sid
    session.logged_in = false
    return { _type = "AuthenticationResponse", userId = req.user_id, nonce = session.nonce,
      passwordAlgorithm = "MD5" }
  elseif name == "LoginRequest14sp4" or name == "LoginRequest22V5" then
    local user = req.user_id
    local pw = sim.passwords[user]
    local ok
    if name == "LoginRequest22V5" and req.password then
      if not session.secure then return fail("insecure") end
      ok = pw ~= nil and req.password == pw
    elseif req.signed_password then
      if not session.nonce or session.nonce_user ~= user or session.nonce_sid ~= sid then
        return fail("no_nonce")
      end
      ok = pw ~= nil and req.signed_password:lower()
        == core.md5_hex(session.nonce .. ":" .. sha1(pw))
    elseif req.plain_text_password then
      if not session.secure then return fail("insecure") end
      ok = pw ~= nil and req.plain_text_password == pw
    end
    if not ok then
      session.nonce = nil
      return fail("bad_password")
    end
    login_ok(sim, session, user, sid)
    return login_response(sim, session, name)
  elseif name == "LogoutRequest" then
    session.logged_in = false
    session.user, session.admin, session.rank = nil, nil, nil
    return respond.SUCCESS
  end
  return nil
end

--- auth.check(sim, session, sid) -> nil when the session may run a command, else
--- the ErrorResponse to answer. Counts the command toward expiry.
function M.check(sim, session, sid)
  if not session.logged_in then
    if session.expired then return fail("expired") end
    return fail("not_logged_in")
  end
  if sid ~= session.sid then return fail("bad_session") end
  local f = sim.faults
  local expire_s = f.expire_after or sim.session_timeout
  if expire_s and core.now() - session.login_at >= expire_s then
    session.logged_in, session.expired = false, true
    return fail("expired")
  end
  session.commands = session.commands + 1
  if f.expire_commands and session.commands > f.expire_commands then
    session.logged_in, session.expired = false, true
    return fail("expired")
  end
  return nil
end

return M
