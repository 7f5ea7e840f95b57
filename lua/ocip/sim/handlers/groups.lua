-- Service providers/enterprises (optionally under a reseller: resellerId) and groups.
local C = require "ocip.sim.handlers.common"
local codes = require "ocip.sim.codes"

local H = {}

H["^ServiceProviderAddRequest"] = function(ctx, req)
  local sp, code, msg = ctx.state:add_sp{ id = req.service_provider_id,
    name = req.service_provider_name, enterprise = req.is_enterprise,
    domain = req.default_domain, reseller_id = req.reseller_id, fields = C.store(req) }
  if not sp then return C.err(code, msg) end
  return C.SUCCESS
end

H["^EnterpriseAddRequest"] = H["^ServiceProviderAddRequest"]

H["^ServiceProviderGetRequest%d"] = function(ctx, req, name)
  local sp, code, msg = ctx.state:sp(req.service_provider_id)
  if not sp then return C.err(code, msg) end
  return C.response(name, sp.fields, { serviceProviderName = sp.name,
    isEnterprise = sp.enterprise, defaultDomain = sp.domain })
end

H["^ServiceProviderModifyRequest$"] = function(ctx, req)
  local sp, code, msg = ctx.state:sp(req.service_provider_id)
  if not sp then return C.err(code, msg) end
  C.merge(sp.fields, req, { service_provider_id = true })
  if req.service_provider_name ~= nil then
    sp.name = req.service_provider_name ~= C.NIL and req.service_provider_name or nil
  end
  if type(req.default_domain) == "string" then sp.domain = req.default_domain end
  return C.SUCCESS
end

H["^ServiceProviderDeleteRequest$"] = function(ctx, req)
  local ok, code, msg = ctx.state:delete_sp(req.service_provider_id)
  if not ok then return C.err(code, msg) end
  return C.SUCCESS
end

H["^ServiceProviderGetListRequest$"] = function(ctx, req, name)
  local keep = C.filter(req, {
    search_criteria_service_provider_id = function(sp) return sp.id end,
    search_criteria_service_provider_name = function(sp) return sp.name end,
    search_criteria_reseller_id = function(sp) return sp.reseller_id end,
  })
  local want = req.is_enterprise
  local pred = function(sp) return (want == nil or sp.enterprise == want) and keep(sp) end
  local rname = name:gsub("Request", "Response")
  return { _type = rname, serviceProviderTable = C.table(rname, "serviceProviderTable",
    C.each(ctx.state.sps.list),
    function(sp) return { sp.id, sp.name, C.yn(sp.enterprise), sp.reseller_id } end, pred,
    req.response_size_limit) }
end

-- Service packs of a service provider (what users get assigned by name).
local function packs_of(sp)
  sp.service_packs = sp.service_packs or {}
  return sp.service_packs
end

local function sorted_names(map)
  local out = {}
  for k in pairs(map) do out[#out + 1] = k end
  table.sort(out)
  return out
end

H["^ServiceProviderServicePackAddRequest$"] = function(ctx, req)
  local sp, code, msg = ctx.state:sp(req.service_provider_id)
  if not sp then return C.err(code, msg) end
  local packs = packs_of(sp)
  if packs[req.service_pack_name] then
    return C.err(codes.exists("service pack", req.service_pack_name))
  end
  packs[req.service_pack_name] = C.store(req, { service_provider_id = true })
  return C.SUCCESS
end

local function pack(ctx, req)
  local sp, code, msg = ctx.state:sp(req.service_provider_id)
  if not sp then return nil, code, msg end
  local p = packs_of(sp)[req.service_pack_name]
  if not p then return nil, codes.not_found("service_pack", req.service_pack_name) end
  return p, sp
end

H["^ServiceProviderServicePackDeleteRequest$"] = function(ctx, req)
  local p, sp_or_code, msg = pack(ctx, req)
  if not p then return C.err(sp_or_code, msg) end
  sp_or_code.service_packs[req.service_pack_name] = nil
  return C.SUCCESS
end

H["^ServiceProviderServicePackGetListRequest$"] = function(ctx, req, name)
  local sp, code, msg = ctx.state:sp(req.service_provider_id)
  if not sp then return C.err(code, msg) end
  return { _type = name:gsub("Request", "Response"), servicePackName = sorted_names(packs_of(sp)) }
end

H["^ServiceProviderServicePackGetDetailListRequest$"] = function(ctx, req, name)
  local p, sp_or_code, msg = pack(ctx, req)
  if not p then return C.err(sp_or_code, msg) end
  local rname = name:gsub("Request", "Response")
  local services = {}
  for _, s in ipairs(type(p.service_name) == "table" and p.service_name or {}) do
    services[#services + 1] = s
  end
  return C.response(name, p, { assignedQuantity = { quantity = 0 },
    allowedQuantity = p.service_pack_quantity,
    userServiceTable = C.rows(rname, "userServiceTable", C.each(services), function(s)
      return { ["Service"] = s, ["Authorized"] = "Unlimited", ["Allocated"] = "Unlimited",
        ["Available"] = "Unlimited" } end) })
end

H["^GroupAddRequest$"] = function(ctx, req)
  local g, code, msg = ctx.state:add_group(req.service_provider_id, { id = req.group_id,
    name = req.group_name, domain = req.default_domain, user_limit = req.user_limit,
    fields = C.store(req) })
  if not g then return C.err(code, msg) end
  return C.SUCCESS
end

H["^GroupGetRequest%w*$"] = function(ctx, req, name)
  local g, code, msg = ctx.state:group(req.service_provider_id, req.group_id)
  if not g then return C.err(code, msg) end
  return C.response(name, g.fields, { groupName = g.name, defaultDomain = g.domain,
    userLimit = g.user_limit, userCount = #g.users.list })
end

H["^GroupModifyRequest$"] = function(ctx, req)
  local g, code, msg = ctx.state:group(req.service_provider_id, req.group_id)
  if not g then return C.err(code, msg) end
  C.merge(g.fields, req, { service_provider_id = true, group_id = true })
  if req.group_name ~= nil then g.name = req.group_name ~= C.NIL and req.group_name or nil end
  if type(req.default_domain) == "string" then g.domain = req.default_domain end
  if req.user_limit then g.user_limit = req.user_limit end
  return C.SUCCESS
end

H["^GroupDeleteRequest$"] = function(ctx, req)
  local ok, code, msg = ctx.state:delete_group(req.service_provider_id, req.group_id)
  if not ok then return C.err(code, msg) end
  return C.SUCCESS
end

H["^GroupGetListInServiceProviderRequest$"] = function(ctx, req, name)
  local sp, code, msg = ctx.state:sp(req.service_provider_id)
  if not sp then return C.err(code, msg) end
  local keep = C.filter(req, {
    search_criteria_group_id = function(g) return g.id end,
    search_criteria_group_name = function(g) return g.name end,
  })
  local rname = name:gsub("Request", "Response")
  return { _type = rname, groupTable = C.table(rname, "groupTable", C.each(sp.groups.list),
    function(g) return { g.id, g.name, tostring(g.user_limit) } end, keep,
    req.response_size_limit) }
end

H["^GroupGetListInSystemRequest$"] = function(ctx, req, name)
  local keep = C.filter(req, {
    search_criteria_group_id = function(o) return o.g.id end,
    search_criteria_group_name = function(o) return o.g.name end,
    search_criteria_service_provider_id = function(o) return o.g.sp.id end,
    search_criteria_exact_service_provider = function(o) return o.g.sp.id end,
    search_criteria_reseller_id = function(o) return o.g.sp.reseller_id end,
  })
  local all = {}
  for _, sp in ipairs(ctx.state.sps.list) do
    for _, g in ipairs(sp.groups.list) do all[#all + 1] = { g = g } end
  end
  local rname = name:gsub("Request", "Response")
  return { _type = rname, groupTable = C.rows(rname, "groupTable", C.each(all), function(o)
    local g = o.g
    return { ["Group Id"] = g.id, ["Group Name"] = g.name, ["User Limit"] = tostring(g.user_limit),
      ["Organization Id"] = g.sp.id,
      ["Organization Type"] = g.sp.enterprise and "Enterprise" or "Service Provider",
      ["Reseller Id"] = g.sp.reseller_id }
  end, keep, req.response_size_limit) }
end

return H
