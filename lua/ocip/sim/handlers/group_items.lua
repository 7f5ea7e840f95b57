-- Named children of a group: call pickup groups, departments, administrators,
-- and the phone numbers of service providers and groups.
local C = require "ocip.sim.handlers.common"
local codes = require "ocip.sim.codes"
local USER_CRITERIA = require("ocip.sim.handlers.services").USER_CRITERIA

local H = {}

local function rname_of(name) return (name:gsub("Request", "Response")) end

-- Call pickup ---------------------------------------------------------------
-- A user is in at most one pickup group of its group, as on a server.
local function check_members(ctx, g, list, except)
  for _, uid in ipairs(list or {}) do
    local u, code, msg = ctx.state:user(uid)
    if not u then return nil, code, msg end
    for _, p in ipairs(g.pickups.list) do
      if p ~= except then
        for _, m in ipairs(p.users) do
          if m == uid then
            return nil, codes.MEMBER_TAKEN, "User already in call pickup group " .. p.name .. ": "
              .. uid
          end
        end
      end
    end
  end
  return true
end

local function copy_list(l)
  local out = {}
  for i, v in ipairs(l or {}) do out[i] = v end
  return out
end

H["^GroupCallPickupAddInstanceRequest$"] = C.in_group(function(ctx, req, _, g)
  if g.pickups.by[req.name] then return C.err(codes.exists("call pickup group", req.name)) end
  local ok, code, msg = check_members(ctx, g, req.user_id)
  if not ok then return C.err(code, msg) end
  return C.result(ctx.state:add_child(g, "pickups", req.name, { users = copy_list(req.user_id) }))
end)

H["^GroupCallPickupGetInstanceRequest$"] = C.in_group(function(ctx, req, name, g)
  local o, code, msg = ctx.state:child(g, "pickups", req.name)
  if not o then return C.err(code, msg) end
  local users = {}
  for _, uid in ipairs(o.users) do
    local u = ctx.state.ids[uid]
    if u then users[#users + 1] = u end
  end
  local rname = rname_of(name)
  return { _type = rname, userTable = C.rows(rname, "userTable", C.each(users), C.user_cells) }
end)

H["^GroupCallPickupModifyInstanceRequest$"] = C.in_group(function(ctx, req, _, g)
  local o, code, msg = ctx.state:child(g, "pickups", req.name)
  if not o then return C.err(code, msg) end
  local list = req.user_id_list
  local new_users
  if list == C.NIL then
    new_users = {}
  elseif type(list) == "table" then
    new_users = copy_list(list.user_id)
    local ok
    ok, code, msg = check_members(ctx, g, new_users, o)
    if not ok then return C.err(code, msg) end
  end
  if req.new_name and req.new_name ~= req.name then
    local r
    r, code, msg = ctx.state:rename_child(g, "pickups", req.name, req.new_name)
    if not r then return C.err(code, msg) end
  end
  if new_users then o.users = new_users end
  return C.SUCCESS
end)

H["^GroupCallPickupDeleteInstanceRequest$"] = C.in_group(function(ctx, req, _, g)
  return C.result(ctx.state:delete_child(g, "pickups", req.name))
end)

H["^GroupCallPickupGetInstanceListRequest$"] = C.in_group(function(_, _, name, g)
  local names = {}
  for _, o in ipairs(g.pickups.list) do names[#names + 1] = o.name end
  return { _type = rname_of(name), name = names }
end)

-- The pickup group of a user, with its members.
H["^UserCallPickupGetRequest$"] = function(ctx, req, name)
  local u, code, msg = ctx.state:user(req.user_id)
  if not u then return C.err(code, msg) end
  local rname = rname_of(name)
  local found
  for _, p in ipairs(u.group.pickups.list) do
    for _, m in ipairs(p.users) do
      if m == u.user_id then found = p break end
    end
    if found then break end
  end
  local members = {}
  for _, uid in ipairs(found and found.users or {}) do
    local m = ctx.state.ids[uid]
    if m then members[#members + 1] = m end
  end
  return { _type = rname, name = found and found.name,
    userTable = C.rows(rname, "userTable", C.each(members), C.user_cells) }
end

-- Users of the group in no pickup group (besides the named one's own members).
H["^GroupCallPickupGetAvailableUserListRequest$"] = C.in_group(function(_, req, name, g)
  local taken = {}
  for _, p in ipairs(g.pickups.list) do
    if p.name ~= req.name then
      for _, uid in ipairs(p.users) do taken[uid] = true end
    end
  end
  local keep = C.filter(req, USER_CRITERIA)
  local rname = rname_of(name)
  return { _type = rname, userTable = C.rows(rname, "userTable", C.each(g.users.list),
    C.user_cells, function(u) return not taken[u.user_id] and keep(u) end,
    req.response_size_limit) }
end)

-- Departments ---------------------------------------------------------------
local DEPT_SKIP = { service_provider_id = true, group_id = true, department_name = true }

local function parent_ok(ctx, g, key)
  if type(key) ~= "table" or key == C.NIL or key._type ~= "GroupDepartmentKey" then return true end
  return ctx.state:child(g, "departments", key.name)
end

H["^GroupDepartmentAddRequest$"] = C.in_group(function(ctx, req, _, g)
  if g.departments.by[req.department_name] then
    return C.err(codes.exists("department", req.department_name))
  end
  local ok, code, msg = parent_ok(ctx, g, req.parent_department_key)
  if not ok then return C.err(code, msg) end
  return C.result(ctx.state:add_child(g, "departments", req.department_name,
    C.store(req, { service_provider_id = true, group_id = true })))
end)

H["^GroupDepartmentGetRequest$"] = C.in_group(function(ctx, req, name, g)
  local d, code, msg = ctx.state:child(g, "departments", req.department_name)
  if not d then return C.err(code, msg) end
  return C.response(name, d)
end)

H["^GroupDepartmentModifyRequest$"] = C.in_group(function(ctx, req, _, g)
  local d, code, msg = ctx.state:child(g, "departments", req.department_name)
  if not d then return C.err(code, msg) end
  local ok
  ok, code, msg = parent_ok(ctx, g, req.new_parent_department_key)
  if not ok then return C.err(code, msg) end
  local new = req.new_department_name
  if new and new ~= d.name then
    ok, code, msg = ctx.state:rename_child(g, "departments", d.name, new)
    if not ok then return C.err(code, msg) end
    d.department_name = new
  end
  C.merge(d, req, { new_department_name = true, new_parent_department_key = true,
    service_provider_id = true, group_id = true, department_name = true })
  if req.new_parent_department_key == C.NIL then d.parent_department_key = nil
  elseif req.new_parent_department_key ~= nil then
    d.parent_department_key = req.new_parent_department_key
  end
  return C.SUCCESS
end)

H["^GroupDepartmentDeleteRequest$"] = C.in_group(function(ctx, req, _, g)
  return C.result(ctx.state:delete_child(g, "departments", req.department_name))
end)

local function dept_key(g, d)
  return { _type = "GroupDepartmentKey", serviceProviderId = g.sp.id, groupId = g.id,
    name = d.name }
end

local function full_path(g, d)
  local names, seen = { d.name }, { [d.name] = true }
  local p = d.parent_department_key
  while type(p) == "table" and p.name and not seen[p.name] do
    seen[p.name] = true
    table.insert(names, 1, p.name)
    local pd = g.departments.by[p.name]
    p = pd and pd.parent_department_key
  end
  return table.concat(names, "\\") .. " (" .. g.id .. ")"
end

H["^GroupDepartmentGetListRequest18$"] = C.in_group(function(_, _, name, g)
  local rname = rname_of(name)
  return { _type = rname, departmentTable = C.table(rname, "departmentTable",
    C.each(g.departments.list),
    function(d) return { "false", d.name, full_path(g, d), d.calling_line_id_name,
      d.calling_line_id_phone_number } end) }
end)

H["^GroupDepartmentGetListRequest$"] = C.in_group(function(_, _, name, g)
  local keys, paths = {}, {}
  for _, d in ipairs(g.departments.list) do
    keys[#keys + 1] = dept_key(g, d)
    paths[#paths + 1] = full_path(g, d)
  end
  return { _type = rname_of(name), departmentKey = keys, fullPathName = paths }
end)

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

-- Phone numbers -------------------------------------------------------------
local function dns_of(req)
  local out = {}
  for _, dn in ipairs(type(req.phone_number) == "table" and req.phone_number or {}) do
    out[#out + 1] = dn
  end
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
    if sp.dns[dn] then return C.err(codes.DN_IN_USE, "Phone number already in use: " .. dn) end
  end
  for _, dn in ipairs(dns_of(req)) do sp.dns[dn] = true end
  return C.SUCCESS
end

-- A service provider number is free when no group of it has it.
local function sp_free(sp)
  local used = {}
  for _, g in ipairs(sp.groups.list) do
    for dn in pairs(g.dns) do used[dn] = true end
  end
  local out = {}
  for dn in pairs(sp.dns) do if not used[dn] then out[#out + 1] = dn end end
  table.sort(out)
  return out
end

H["^ServiceProviderDnDeleteListRequest$"] = function(ctx, req)
  local sp, code, msg = ctx.state:sp(req.service_provider_id)
  if not sp then return C.err(code, msg) end
  local free = {}
  for _, dn in ipairs(sp_free(sp)) do free[dn] = true end
  for _, dn in ipairs(dns_of(req)) do
    if not free[dn] then return C.err(codes.DN_NOT_AVAILABLE, "Phone number not available: " .. dn) end
  end
  for _, dn in ipairs(dns_of(req)) do sp.dns[dn] = nil end
  return C.SUCCESS
end

H["^ServiceProviderDnGetAvailableListRequest$"] = function(ctx, req, name)
  local sp, code, msg = ctx.state:sp(req.service_provider_id)
  if not sp then return C.err(code, msg) end
  return { _type = rname_of(name), availableDn = sp_free(sp) }
end

H["^GroupDnAssignListRequest$"] = C.in_group(function(_, req, _, g)
  local list = dns_of(req)
  for _, dn in ipairs(list) do
    if g.dns[dn] then return C.err(codes.DN_IN_USE, "Phone number already assigned: " .. dn) end
  end
  for _, dn in ipairs(list) do g.dns[dn] = true end
  return C.SUCCESS
end)

H["^GroupDnUnassignListRequest$"] = C.in_group(function(_, req, _, g)
  for _, dn in ipairs(dns_of(req)) do
    if g.dns[dn] ~= true then
      return C.err(codes.DN_NOT_AVAILABLE, "Phone number not available: " .. dn)
    end
  end
  for _, dn in ipairs(dns_of(req)) do g.dns[dn] = nil end
  return C.SUCCESS
end)

local function sorted_dns(g, pred)
  local list = {}
  for dn, owner in pairs(g.dns) do
    if not pred or pred(owner) then list[#list + 1] = dn end
  end
  table.sort(list)
  return list
end

H["^GroupDnGetListRequest$"] = C.in_group(function(_, _, name, g)
  return { _type = rname_of(name), phoneNumber = sorted_dns(g) }
end)

H["^GroupDnGetAvailableListRequest$"] = C.in_group(function(_, _, name, g)
  return { _type = rname_of(name),
    phoneNumber = sorted_dns(g, function(owner) return owner == true end) }
end)

-- Who holds a number: user or service instance fields for the assignment tables.
local function owner_cells(dn, owner)
  local c = { ["Phone Numbers"] = "+1-" .. dn, ["Country Code"] = "1" }
  if owner == true then
    c["Assigned"] = "false"
    return c
  end
  c["Assigned"] = "true"
  c["Activated"] = "true"
  c["User Id"] = owner.user_id
  if owner.kind == "user" then
    c["Last Name"], c["First Name"] = owner.last_name, owner.first_name
    c["Extension"], c["Email Address"] = owner.extension, owner.email_address
    c["User Type"] = "Normal"
    c["Assigned To"] = ((owner.first_name or "") .. " " .. (owner.last_name or ""))
  else
    local p = type(owner.service_instance_profile) == "table" and owner.service_instance_profile
      or {}
    c["Last Name"], c["First Name"] = p.calling_line_id_last_name, p.calling_line_id_first_name
    c["Extension"] = p.extension
    c["User Type"] = ({ hunt_group = "Hunt Group", call_center = "Call Center",
      auto_attendant = "Auto Attendant" })[owner.kind]
    c["Assigned To"] = p.name
  end
  return c
end

local DN_CRITERIA = {
  search_criteria_dn = function(o) return o.dn end,
  search_criteria_user_id = function(o) return o.owner ~= true and o.owner.user_id or nil end,
  search_criteria_user_last_name = function(o) return o.owner ~= true and o.owner.last_name or nil end,
  search_criteria_user_first_name = function(o)
    return o.owner ~= true and o.owner.first_name or nil end,
  search_criteria_extension = function(o)
    if o.owner == true then return nil end
    if o.owner.kind == "user" then return o.owner.extension end
    local p = o.owner.service_instance_profile
    return type(p) == "table" and p.extension or nil
  end,
}

local function assignment_list(_, req, name, g)
  local rows = {}
  for _, dn in ipairs(sorted_dns(g)) do rows[#rows + 1] = { dn = dn, owner = g.dns[dn] } end
  local rname = rname_of(name)
  return { _type = rname, dnTable = C.rows(rname, "dnTable", C.each(rows),
    function(r) return owner_cells(r.dn, r.owner) end, C.filter(req, DN_CRITERIA),
    req.response_size_limit) }
end
H["^GroupDnGetAssignmentListRequest%d*$"] = C.in_group(assignment_list)
H["^GroupDnGetSummaryListRequest$"] = C.in_group(assignment_list)

return H
