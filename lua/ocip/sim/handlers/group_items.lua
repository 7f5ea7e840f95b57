-- Named children of a group: call pickup groups, departments, administrators,
-- and the group's phone numbers.
local C = require "ocip.sim.handlers.common"

local H = {}

-- Call pickup ---------------------------------------------------------------
H["^GroupCallPickupAddInstanceRequest$"] = C.in_group(function(ctx, req, _, g)
  for _, uid in ipairs(req.user_id or {}) do
    local u, code, msg = ctx.state:user(uid)
    if not u then return C.err(code, msg) end
  end
  return C.result(ctx.state:add_child(g, "pickups", req.name, { users = req.user_id or {} }))
end)

H["^GroupCallPickupGetInstanceRequest$"] = C.in_group(function(ctx, req, name, g)
  local o, code, msg = ctx.state:child(g, "pickups", req.name, "Call pickup group")
  if not o then return C.err(code, msg) end
  local rows = {}
  for _, uid in ipairs(o.users) do
    local u = ctx.state.ids[uid]
    if u then
      rows[#rows + 1] = { u.user_id, u.last_name, u.first_name, nil, C.dn(u), u.phone_number
        and "true" or "false", u.email_address, u.hiragana_last_name, u.hiragana_first_name,
        u.extension }
    end
  end
  local rname = name:gsub("Request", "Response")
  return { _type = rname, userTable = { headings = C.columns(rname, "userTable"), rows = rows } }
end)

H["^GroupCallPickupDeleteInstanceRequest$"] = C.in_group(function(ctx, req, _, g)
  return C.result(ctx.state:delete_child(g, "pickups", req.name, "Call pickup group"))
end)

H["^GroupCallPickupGetInstanceListRequest$"] = C.in_group(function(_, _, name, g)
  local names = {}
  for _, o in ipairs(g.pickups.list) do names[#names + 1] = o.name end
  return { _type = name:gsub("Request", "Response"), name = names }
end)

-- Departments ---------------------------------------------------------------
H["^GroupDepartmentAddRequest$"] = C.in_group(function(ctx, req, _, g)
  return C.result(ctx.state:add_child(g, "departments", req.department_name, C.store(req)))
end)

H["^GroupDepartmentDeleteRequest$"] = C.in_group(function(ctx, req, _, g)
  return C.result(ctx.state:delete_child(g, "departments", req.department_name, "Department"))
end)

H["^GroupDepartmentGetListRequest18$"] = C.in_group(function(_, _, name, g)
  local rname = name:gsub("Request", "Response")
  return { _type = rname, departmentTable = C.table(rname, "departmentTable",
    C.each(g.departments.list),
    function(d) return { "false", d.name, d.name .. " (" .. g.id .. ")", d.calling_line_id_name,
      d.calling_line_id_phone_number } end) }
end)

-- Group administrators (they can log in with their password) ------------------
H["^GroupAdminAddRequest$"] = C.in_group(function(ctx, req, _, g)
  if ctx.sim.passwords[req.user_id] then
    return C.err(4010, "Duplicate administrator: " .. req.user_id)
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
    groupId = o.group_id, hasPassword = o.password ~= nil })
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

-- Phone numbers -------------------------------------------------------------
local function dns_of(req)
  local out = {}
  for _, dn in ipairs(req.phone_number or {}) do out[#out + 1] = dn end
  for _, r in ipairs(req.dn_range or {}) do
    local a, b = tonumber(r.min_phone_number), tonumber(r.max_phone_number)
    if a and b and b >= a and b - a < 100000 then
      for n = a, b do out[#out + 1] = string.format("%d", n) end
    end
  end
  return out
end

H["^ServiceProviderDnAddListRequest$"] = function(ctx, req)
  local sp, code, msg = ctx.state:sp(req.service_provider_id)
  if not sp then return C.err(code, msg) end
  for _, dn in ipairs(dns_of(req)) do
    if sp.dns[dn] then return C.err(4223, "Phone number already in use: " .. dn) end
  end
  for _, dn in ipairs(dns_of(req)) do sp.dns[dn] = true end
  return C.SUCCESS
end

H["^GroupDnAssignListRequest$"] = C.in_group(function(_, req, _, g)
  local list = dns_of(req)
  for _, dn in ipairs(list) do
    if g.dns[dn] then return C.err(4223, "Phone number already assigned: " .. dn) end
  end
  for _, dn in ipairs(list) do g.dns[dn] = true end
  return C.SUCCESS
end)

H["^GroupDnUnassignListRequest$"] = C.in_group(function(_, req, _, g)
  for _, dn in ipairs(dns_of(req)) do
    if g.dns[dn] ~= true then return C.err(4224, "Phone number not available: " .. dn) end
  end
  for _, dn in ipairs(dns_of(req)) do g.dns[dn] = nil end
  return C.SUCCESS
end)

H["^GroupDnGetListRequest$"] = C.in_group(function(_, _, name, g)
  local list = {}
  for dn in pairs(g.dns) do list[#list + 1] = dn end
  table.sort(list)
  return { _type = name:gsub("Request", "Response"), phoneNumber = list }
end)

return H
