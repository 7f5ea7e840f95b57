-- Users: Add/Get/Modify/Delete and the group, service provider and system lists.
local C = require "ocip.sim.handlers.common"

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

H["^UserAddRequest"] = function(ctx, req)
  local u, code, msg = ctx.state:add_user(req.service_provider_id, req.group_id,
    C.store(req, ADD_SKIP))
  if not u then return C.err(code, msg) end
  return C.SUCCESS
end

H["^UserGetRequest%d"] = function(ctx, req, name)
  local u, code, msg = ctx.state:user(req.user_id)
  if not u then return C.err(code, msg) end
  local alias = {}
  return C.response(name, u, {
    serviceProviderId = u.sp.id, groupId = u.group.id, userId = u.user_id,
    callingLineIdLastName = u.calling_line_id_last_name or u.last_name,
    callingLineIdFirstName = u.calling_line_id_first_name or u.first_name,
    defaultAlias = "sip:" .. u.user_id:gsub("@.*", "") .. "@" .. u.group.domain,
    countryCode = "1", alias = alias[1] and alias or nil,
    language = u.language or "English", timeZone = u.time_zone or "America/New_York",
    timeZoneDisplayName = "(GMT-05:00) (US) Eastern Time",
  })
end

local MODIFY_SKIP = { user_id = true, new_user_id = true }

H["^UserModifyRequest"] = function(ctx, req)
  local u, code, msg = ctx.state:user(req.user_id)
  if not u then return C.err(code, msg) end
  local old = u.phone_number
  C.merge(u, req, MODIFY_SKIP)
  if u.phone_number ~= old then
    local g = u.group
    if old and g.dns[old] == u then g.dns[old] = true end
    if u.phone_number then g.dns[u.phone_number] = u end
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

-- Service assignment: remembered on the user; other service requests are generic.
H["^UserServiceAssignListRequest$"] = function(ctx, req)
  local u, code, msg = ctx.state:user(req.user_id)
  if not u then return C.err(code, msg) end
  u.services = u.services or {}
  for _, s in ipairs(req.service_name or {}) do u.services[s] = true end
  for _, s in ipairs(req.service_pack_name or {}) do u.services[s] = true end
  return C.SUCCESS
end

H["^UserServiceUnassignListRequest$"] = function(ctx, req)
  local u, code, msg = ctx.state:user(req.user_id)
  if not u then return C.err(code, msg) end
  for _, s in ipairs(req.service_name or {}) do if u.services then u.services[s] = nil end end
  return C.SUCCESS
end

return H
