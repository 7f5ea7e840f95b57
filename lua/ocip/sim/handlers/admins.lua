-- Administrators: system, reseller, service provider and group admins (their
-- policies: ocip.sim.handlers.settings). An admin added with a password can log
-- in (sim.passwords); its level scopes what it may run (auth.scope).
local C = require "ocip.sim.handlers.common"
local codes = require "ocip.sim.codes"

local H = {}

local NIL = require("ocip.sentinel").NIL

-- Owners of admin lists: the request's reseller / service provider, or nil, code, msg.
local function reseller(ctx, req) return ctx.state:reseller(req.reseller_id) end
local function provider(ctx, req) return ctx.state:sp(req.service_provider_id) end

local ADMIN_DEFAULTS = { language = "English", locale = "en_US", encoding = "ISO-8859-1",
  accountDisabled = false }

local function add(ctx, where, level, req, parent)
  local o = C.store(req)
  if parent then for k, v in pairs(parent) do o[k] = v end end
  if ctx.sim.passwords[req.user_id] then
    return C.err(4010, "Duplicate user id: " .. req.user_id)
  end
  local a, code, msg = ctx.state:add_admin(where, level, o)
  if not a then return C.err(code, msg) end
  if req.password then ctx.sim.passwords[req.user_id] = req.password end
  return C.SUCCESS
end

local function get(ctx, req, name, level)
  local a, code, msg = ctx.state:admin(req.user_id, level)
  if not a then return C.err(code, msg) end
  local extra = {}
  for k, v in pairs(ADMIN_DEFAULTS) do extra[k] = v end
  extra.language = a.language or "English"
  extra.accountDisabled = a.account_disabled and true or false
  extra.hasPassword = a.password ~= nil
  -- the response type decides which of these exist: keep only its elements
  local plan = require("ocip.sim.schema").plan(require("ocip.sim.schema").response_of(name))
  for k in pairs(extra) do
    if not (plan and plan.by_name[k]) then extra[k] = nil end
  end
  return C.response(name, a, extra)
end

local function modify(ctx, req, level)
  local a, code, msg = ctx.state:admin(req.user_id, level)
  if not a then return C.err(code, msg) end
  C.merge(a, req, { user_id = true })
  if req.password == NIL then ctx.sim.passwords[req.user_id] = nil
  elseif req.password ~= nil then ctx.sim.passwords[req.user_id] = req.password end
  return C.SUCCESS
end

local function delete(ctx, req, level)
  local ok, code, msg = ctx.state:delete_admin(req.user_id, level)
  if not ok then return C.err(code, msg) end
  ctx.sim.passwords[req.user_id] = nil
  return C.SUCCESS
end

-- System ---------------------------------------------------------------------
H["^SystemAdminAddRequest$"] = function(ctx, req)
  return add(ctx, ctx.state.system_admins, "system", req)
end
H["^SystemAdminGetRequest"] = function(ctx, req, name) return get(ctx, req, name, "system") end
H["^SystemAdminModifyRequest$"] = function(ctx, req) return modify(ctx, req, "system") end
H["^SystemAdminDeleteRequest$"] = function(ctx, req) return delete(ctx, req, "system") end
H["^SystemAdminGetListRequest$"] = function(ctx, req, name)
  local rname = name:gsub("Request", "Response")
  return { _type = rname, systemAdminTable = C.table(rname, "systemAdminTable",
    C.each(ctx.state.system_admins.list),
    function(a) return { a.user_id, a.last_name, a.first_name, a.admin_type or "System",
      C.yn(a.read_only), a.language or "English" } end) }
end

-- Reseller -------------------------------------------------------------------
H["^ResellerAdminAddRequest$"] = C.within(reseller, function(ctx, req, _, r)
  return add(ctx, r.admins, "reseller", req)
end)
H["^ResellerAdminGetRequest"] = function(ctx, req, name) return get(ctx, req, name, "reseller") end
H["^ResellerAdminModifyRequest$"] = function(ctx, req) return modify(ctx, req, "reseller") end
H["^ResellerAdminDeleteRequest$"] = function(ctx, req) return delete(ctx, req, "reseller") end
H["^ResellerAdminGetListRequest$"] = C.admin_list(reseller, "resellerAdminTable",
  function(a) return { a.user_id, a.last_name, a.first_name, a.language or "English" } end)

-- Service provider -------------------------------------------------------------
H["^ServiceProviderAdminAddRequest"] = C.within(provider, function(ctx, req, _, sp)
  return add(ctx, sp.admins, "sp", req)
end)
H["^ServiceProviderAdminGetRequest"] = function(ctx, req, name) return get(ctx, req, name, "sp") end
H["^ServiceProviderAdminModifyRequest$"] = function(ctx, req) return modify(ctx, req, "sp") end
H["^ServiceProviderAdminDeleteRequest$"] = function(ctx, req) return delete(ctx, req, "sp") end
H["^ServiceProviderAdminGetListRequest"] = C.admin_list(provider, "serviceProviderAdminTable",
  function(a) return { a.user_id, a.last_name, a.first_name, a.administrator_type or "Normal",
    a.language or "English", "en_US", "ISO-8859-1" } end)

-- Group administrators (they can log in with their password) ------------------
H["^GroupAdminAddRequest$"] = C.in_group(function(ctx, req, _, g)
  if ctx.sim.passwords[req.user_id] then
    return C.err(codes.exists("administrator", req.user_id))
  end
  local o, code, msg = ctx.state:add_admin(g.admins, "group", C.store(req))
  if not o then return C.err(code, msg) end
  if req.password then ctx.sim.passwords[req.user_id] = req.password end
  return C.SUCCESS
end)

H["^GroupAdminGetRequest"] = function(ctx, req, name)
  local o, code, msg = ctx.state:admin(req.user_id, "group")
  if not o then return C.err(code, msg) end
  return C.response(name, o, { serviceProviderId = o.service_provider_id,
    groupId = o.group_id, hasPassword = o.password ~= nil, language = o.language or "English",
    accountDisabled = o.account_disabled and true or false })
end

H["^GroupAdminModifyRequest$"] = function(ctx, req)
  local o, code, msg = ctx.state:admin(req.user_id, "group")
  if not o then return C.err(code, msg) end
  C.merge(o, req, { user_id = true })
  if req.password == C.NIL then ctx.sim.passwords[req.user_id] = nil
  elseif req.password ~= nil then ctx.sim.passwords[req.user_id] = req.password end
  return C.SUCCESS
end

H["^GroupAdminDeleteRequest$"] = function(ctx, req)
  local ok, code, msg = ctx.state:delete_admin(req.user_id, "group")
  if not ok then return C.err(code, msg) end
  ctx.sim.passwords[req.user_id] = nil
  return C.SUCCESS
end

H["^GroupAdminGetListRequest$"] = C.admin_list(C.group, "groupAdminTable",
  function(a) return { a.user_id, a.last_name, a.first_name, nil, a.language or "English",
    "en_US", "ISO-8859-1" } end)

return H
