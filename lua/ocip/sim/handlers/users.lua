-- Users: Add/Get/Modify/Delete and the group, service provider and system lists.
local C = require "ocip.sim.handlers.common"
local codes = require "ocip.sim.codes"

local H = {}

local USER_CRITERIA = {
  search_criteria_user_last_name = function(u) return u.last_name end,
  search_criteria_user_first_name = function(u) return u.first_name end,
  search_criteria_dn = function(u) return u.phone_number end,
  search_criteria_email_address = function(u) return u.email_address end,
  search_criteria_user_id = function(u) return u.user_id end,
  search_criteria_extension = function(u) return u.extension end,
  search_criteria_user_external_id = function(u) return u.user_external_id end,
  search_criteria_group_id = function(u) return u.group.id end,
  search_criteria_service_provider_id = function(u) return u.sp.id end,
  search_criteria_exact_user_department = function(u) return u.department end,
  search_criteria_exact_user_in_trunk_group = function() return false end,
}

local function dept_name(u)
  local d = u.department
  return type(d) == "table" and d.name or nil
end

local ROWS = {
  UserGetListInGroupResponse = function(u)
    return { u.user_id, u.last_name, u.first_name, dept_name(u), C.dn(u),
      u.phone_number and "true" or "false", u.email_address, u.hiragana_last_name,
      u.hiragana_first_name, "false", u.extension, "1", nil }
  end,
  UserGetListInServiceProviderResponse = function(u)
    return { u.user_id, u.group.id, u.last_name, u.first_name, dept_name(u), C.dn(u),
      u.phone_number and "true" or "false", u.email_address, u.hiragana_last_name,
      u.hiragana_first_name, "false", u.extension, u.user_external_id }
  end,
  UserGetListInSystemResponse = function(u)
    return { u.user_id, u.group.id, u.sp.id, u.last_name, u.first_name, dept_name(u),
      C.dn(u), u.phone_number and "true" or "false", u.email_address, u.hiragana_last_name,
      u.hiragana_first_name, "false", u.extension, u.sp.reseller_id, u.user_external_id }
  end,
}

local ADD_SKIP = { service_provider_id = true, group_id = true }

-- The device an endpoint (Add or Modify shape) names, when it is a group device:
-- it must exist (4505). Devices at service provider or system level are not modelled.
local ENDPOINTS = { "access_device_endpoint" }
local function check_endpoint(ctx, g, ep)
  if type(ep) ~= "table" then return true end
  local ad = ep.access_device
  if type(ad) ~= "table" or (ad.device_level or "Group") ~= "Group" then return true end
  return ctx.state:child(g, "devices", ad.device_name)
end

H["^UserAddRequest"] = function(ctx, req)
  local g, code, msg = ctx.state:group(req.service_provider_id, req.group_id)
  if not g then return C.err(code, msg) end
  if ctx.state.ids[req.user_id] then return C.err(codes.exists("user", req.user_id)) end
  local ok
  for _, k in ipairs(ENDPOINTS) do
    ok, code, msg = check_endpoint(ctx, g, req[k])
    if not ok then return C.err(code, msg) end
  end
  -- (a department the group does not have is taken as it comes: the simulator is
  -- lenient there, a server refuses it)
  local u
  u, code, msg = ctx.state:add_user(req.service_provider_id, req.group_id, C.store(req, ADD_SKIP))
  if not u then return C.err(code, msg) end
  return C.SUCCESS
end

H["^UserGetRequest%d"] = function(ctx, req, name)
  local u, code, msg = ctx.state:user(req.user_id)
  if not u then return C.err(code, msg) end
  return C.response(name, u, {
    serviceProviderId = u.sp.id, groupId = u.group.id, userId = u.user_id,
    callingLineIdLastName = u.calling_line_id_last_name or u.last_name,
    callingLineIdFirstName = u.calling_line_id_first_name or u.first_name,
    defaultAlias = u.user_id:gsub("@.*", "") .. "@" .. u.group.domain,
    countryCode = "1", departmentFullPath = C.dept_name(u) and (C.dept_name(u) .. " ("
      .. u.group.id .. ")"),
    language = u.language or "English", timeZone = u.time_zone or "America/New_York",
    timeZoneDisplayName = "(GMT-05:00) (US) Eastern Time", resellerId = u.sp.reseller_id,
  })
end

-- Fields of a Modify request that are not stored as they come.
local MODIFY_SKIP = { user_id = true, new_user_id = true, endpoint = true, old_password = true,
  new_password = true, new_user_external_id = true, new_user_person_id = true,
  imp_password = true }

local NIL = C.NIL

-- endpoint = nil clears the user's device / trunk; endpoint = { access_device_endpoint
-- = {...} } merges into the current one (a Modify endpoint carries what changes).
local function apply_endpoint(u, ep)
  if ep == nil then return end
  if ep == NIL then
    u.access_device_endpoint, u.trunk_addressing, u.trunk_group_device_endpoint = nil, nil, nil
    return
  end
  for _, k in ipairs { "access_device_endpoint", "trunk_addressing", "trunk_group_device_endpoint" } do
    local v = ep[k]
    if v ~= nil then
      local cur = (type(u[k]) == "table") and u[k] or {}
      C.merge(cur, v)
      for _, other in ipairs { "access_device_endpoint", "trunk_addressing",
        "trunk_group_device_endpoint" } do
        if other ~= k then u[other] = nil end
      end
      u[k] = cur
    end
  end
end

H["^UserModifyRequest%d"] = function(ctx, req)
  local st = ctx.state
  local u, code, msg = st:user(req.user_id)
  if not u then return C.err(code, msg) end
  local g = u.group
  local ok
  if req.phone_number ~= NIL then
    ok, code, msg = st:check_dn(g, req.phone_number, u)
    if not ok then return C.err(code, msg) end
  end
  if req.extension ~= NIL then
    ok, code, msg = st:check_extension(g, req.extension)
    if not ok then return C.err(code, msg) end
  end
  local ep = req.endpoint
  if type(ep) == "table" and ep ~= NIL then
    ok, code, msg = check_endpoint(ctx, g, ep.access_device_endpoint)
    if not ok then return C.err(code, msg) end
  end
  local old = u.phone_number
  C.merge(u, req, MODIFY_SKIP)
  apply_endpoint(u, ep)
  if req.new_password ~= nil then u.password = req.new_password ~= NIL and req.new_password or nil end
  if req.new_user_external_id ~= nil then
    u.user_external_id = req.new_user_external_id ~= NIL and req.new_user_external_id or nil
  end
  if req.new_user_person_id ~= nil then
    u.user_person_id = req.new_user_person_id ~= NIL and req.new_user_person_id or nil
  end
  if u.phone_number ~= old then
    st:release_dn(g, old, u)
    st:claim_dn(g, u.phone_number, u)
  end
  return C.SUCCESS
end

H["^UserDeleteRequest$"] = function(ctx, req)
  local ok, code, msg = ctx.state:delete_user(req.user_id)
  if not ok then return C.err(code, msg) end
  return C.SUCCESS
end

local function list(ctx, req, name, sp_id, gid, field)
  local st = ctx.state
  if gid then
    local g, code, msg = st:group(sp_id, gid)
    if not g then return C.err(code, msg) end
  elseif sp_id then
    local sp, code, msg = st:sp(sp_id)
    if not sp then return C.err(code, msg) end
  end
  local rname = name:gsub("Request", "Response")
  return { _type = rname, [field] = C.table(rname, field, st:each_user(sp_id, gid), ROWS[rname],
    C.filter(req, USER_CRITERIA), req.response_size_limit) }
end

H["^UserGetListInGroupRequest$"] = function(ctx, req, name)
  return list(ctx, req, name, req.service_provider_id, req.group_id or req.GroupId, "userTable")
end

H["^UserGetListInServiceProviderRequest$"] = function(ctx, req, name)
  return list(ctx, req, name, req.service_provider_id, nil, "userTable")
end

H["^UserGetListInSystemRequest$"] = function(ctx, req, name)
  return list(ctx, req, name, nil, nil, "userTable")
end

-- Service assignment: services and service packs, remembered on the user (any
-- name the schema allows; authorisation to the group is not checked).
H["^UserServiceAssignListRequest$"] = function(ctx, req)
  local u, code, msg = ctx.state:user(req.user_id)
  if not u then return C.err(code, msg) end
  u.services = u.services or {}
  for _, s in ipairs(req.service_name or {}) do u.services[s] = true end
  if req.service_pack_name then
    u.service_packs = u.service_packs or {}
    for _, s in ipairs(req.service_pack_name) do u.service_packs[s] = true end
  end
  return C.SUCCESS
end

H["^UserServiceUnassignListRequest$"] = function(ctx, req)
  local u, code, msg = ctx.state:user(req.user_id)
  if not u then return C.err(code, msg) end
  for _, s in ipairs(req.service_name or {}) do if u.services then u.services[s] = nil end end
  for _, s in ipairs(req.service_pack_name or {}) do
    if u.service_packs then u.service_packs[s] = nil end
  end
  return C.SUCCESS
end

-- User services a group offers in the assignment list besides the assigned ones
-- (the simulator does not model authorisation: a common set).
H.OFFERED_SERVICES = { "Anonymous Call Rejection", "Call Forwarding Always",
  "Call Forwarding Busy", "Call Forwarding No Answer", "Call Forwarding Not Reachable",
  "Call Notify", "Call Return", "Call Transfer", "Call Waiting",
  "Calling Line ID Delivery Blocking", "Calling Name Delivery", "Calling Number Delivery",
  "Do Not Disturb", "Last Number Redial", "N-Way Call", "Shared Call Appearance",
  "Three-Way Call", "Voice Messaging User" }

local function sorted_keys(set)
  local out = {}
  for k in pairs(set or {}) do out[#out + 1] = k end
  table.sort(out)
  return out
end

H["^UserServiceGetAssignmentListRequest$"] = function(ctx, req, name)
  local u, code, msg = ctx.state:user(req.user_id)
  if not u then return C.err(code, msg) end
  local names = {}
  for _, s in ipairs(H.OFFERED_SERVICES) do names[s] = true end
  for s in pairs(u.services or {}) do names[s] = true end
  local rname = name:gsub("Request", "Response")
  local assigned = u.services or {}
  local packs = {}
  for s in pairs(u.service_packs or {}) do packs[s] = true end
  for s in pairs(u.sp.service_packs or {}) do packs[s] = true end
  return { _type = rname,
    servicePacksAssignmentTable = C.table(rname, "servicePacksAssignmentTable",
      C.each(sorted_keys(packs)), function(p)
        local def = u.sp.service_packs and u.sp.service_packs[p]
        return { p, C.yn(u.service_packs and u.service_packs[p]),
          type(def) == "table" and def.service_pack_description or nil } end),
    userServicesAssignmentTable = C.table(rname, "userServicesAssignmentTable",
      C.each(sorted_keys(names)), function(s) return { s, C.yn(assigned[s]) } end) }
end

H["^UserServiceIsAssignedRequest$"] = function(ctx, req, name)
  local u, code, msg = ctx.state:user(req.user_id)
  if not u then return C.err(code, msg) end
  local yes
  if req.service_name then yes = u.services and u.services[req.service_name]
  else yes = u.service_packs and u.service_packs[req.service_pack_name] end
  return { _type = name:gsub("Request", "Response"), isAssigned = yes and true or false }
end

return H
