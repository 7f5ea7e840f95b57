-- Named children of a group: call pickup groups and departments.
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

return H
