-- Service instances that own a service user id: hunt groups, call centers, auto
-- attendants. Add/Get/Modify (every version), Delete, the instance lists, the
-- agents (hunt group agentUserId, call center agent lists with skill levels),
-- auto attendant menus (Modify merges the menu keys), the users available as
-- agents, and the service instance lists of a service provider or the system.
local C = require "ocip.sim.handlers.common"
local State = require "ocip.sim.state"
local schema = require "ocip.sim.schema"
local codes = require "ocip.sim.codes"

local H = {}

local FAMILIES = {
  { prefix = "GroupHuntGroup", kind = "hunt_group", table = "huntGroupTable",
    type = "Hunt Group" },
  { prefix = "GroupCallCenter", kind = "call_center", table = "callCenterTable",
    type = "Call Center" },
  { prefix = "GroupAutoAttendant", kind = "auto_attendant", table = "autoAttendantTable",
    type = "Auto Attendant" },
}
local SERVICE_TYPE = {}
for _, f in ipairs(FAMILIES) do SERVICE_TYPE[f.kind] = f.type end

local function profile(s)
  local p = s.service_instance_profile
  return type(p) == "table" and p or {}
end

local function e164(p) return p.phone_number and ("+1-" .. p.phone_number) or nil end

local ROWS = {
  hunt_group = function(s)
    local p = profile(s)
    return { s.user_id, p.name, e164(p), p.extension, C.dept_name(s), "true", s.policy }
  end,
  call_center = function(s)
    local p = profile(s)
    return { s.user_id, p.name, C.yn(s.enable_video), e164(p), p.extension, C.dept_name(s),
      "true", s.policy, s.type }
  end,
  auto_attendant = function(s)
    local p = profile(s)
    return { s.user_id, p.name, C.yn(s.enable_video), e164(p), p.extension, C.dept_name(s),
      "true", s.type }
  end,
}

-- Every user id of `list` must be a user (4008 otherwise).
local function check_users(ctx, list)
  for _, uid in ipairs(type(list) == "table" and list or {}) do
    local u, code, msg = ctx.state:user(uid)
    if not u then return nil, code, msg end
  end
  return true
end

-- The agent user ids a request carries, flat (agentUserId, agentUserIdList,
-- agentSkillList / skilledAgentUserIdList with their skill levels).
local function agents_of(req)
  local ids, skill = {}, {}
  local function add(uid, level)
    ids[#ids + 1] = uid
    if level then skill[uid] = level end
  end
  for _, uid in ipairs(type(req.agent_user_id) == "table" and req.agent_user_id or {}) do add(uid) end
  local l = req.agent_user_id_list
  if type(l) == "table" and l ~= C.NIL then
    for _, uid in ipairs(l.user_id or {}) do add(uid) end
  end
  for _, k in ipairs { "agent_skill_list", "skilled_agent_user_id_list" } do
    for _, sk in ipairs(type(req[k]) == "table" and req[k] or {}) do
      local level = sk.skill_level
      -- CallCenterSkillAgentList: agent = {...}; CallCenterReplacementSkilledAgents:
      -- agents = { user_id = {...} }
      local users = sk.agent or (type(sk.agents) == "table" and sk.agents.user_id) or {}
      for _, uid in ipairs(users) do add(uid, level) end
    end
  end
  return ids, skill
end

-- Profile checks of an Add or Modify: phone number free (4223), extension valid (4909).
local function check_profile(ctx, g, s, p)
  if type(p) ~= "table" or p == C.NIL then return true end
  if p.phone_number ~= C.NIL then
    local ok, code, msg = ctx.state:check_dn(g, p.phone_number, s)
    if not ok then return nil, code, msg end
  end
  if p.extension ~= C.NIL then
    local ok, code, msg = ctx.state:check_extension(g, p.extension)
    if not ok then return nil, code, msg end
  end
  return true
end

local function agent_cells(s, u)
  return C.user_cells(u, { ["Weight"] = s.agent_weight and s.agent_weight[u.user_id],
    ["Skill Level"] = s.agent_skill and s.agent_skill[u.user_id] })
end

-- Users of the group that are agents of s, in order.
local function agent_users(ctx, s)
  local out = {}
  for _, uid in ipairs(type(s.agent_user_id) == "table" and s.agent_user_id or {}) do
    local u = ctx.state.ids[uid]
    if u and u.kind == "user" then out[#out + 1] = u end
  end
  return out
end

local USER_CRITERIA = {
  search_criteria_user_last_name = function(u) return u.last_name end,
  search_criteria_user_first_name = function(u) return u.first_name end,
  search_criteria_user_id = function(u) return u.user_id end,
  search_criteria_dn = function(u) return u.phone_number end,
  search_criteria_extension = function(u) return u.extension end,
  search_criteria_exact_user_department = function(u) return u.department end,
  search_criteria_exact_user_group = function(u) return u.group.id end,
}
H.USER_CRITERIA = USER_CRITERIA

for _, f in ipairs(FAMILIES) do
  local kind = f.kind

  H["^" .. f.prefix .. "AddInstanceRequest"] = C.in_group(function(ctx, req, _, g)
    if ctx.state.ids[req.service_user_id] then
      return C.err(codes.exists("user", req.service_user_id))
    end
    local ok, code, msg = check_users(ctx, (agents_of(req)))
    if not ok then return C.err(code, msg) end
    ok, code, msg = check_profile(ctx, g, nil, req.service_instance_profile)
    if not ok then return C.err(code, msg) end
    local o = C.store(req, { service_provider_id = true, group_id = true, service_user_id = true })
    o.kind, o.user_id = kind, req.service_user_id
    local s
    s, code, msg = ctx.state:add_service(req.service_provider_id, req.group_id, o)
    if not s then return C.err(code, msg) end
    return C.SUCCESS
  end)

  H["^" .. f.prefix .. "GetInstanceRequest%w*$"] = function(ctx, req, name)
    local s, code, msg = ctx.state:service(req.service_user_id, kind)
    if not s then return C.err(code, msg) end
    local rname = schema.response_of(name)
    local plan = schema.plan(rname)
    local extra
    if plan and plan.by_name.agentUserTable then
      extra = { agentUserTable = C.rows(rname, "agentUserTable", C.each(agent_users(ctx, s)),
        function(u) return agent_cells(s, u) end) }
    end
    return C.response(name, s, extra)
  end

  H["^" .. f.prefix .. "ModifyInstanceRequest"] = function(ctx, req)
    local st = ctx.state
    local s, code, msg = st:service(req.service_user_id, kind)
    if not s then return C.err(code, msg) end
    local ok
    ok, code, msg = check_users(ctx, (agents_of(req)))
    if not ok then return C.err(code, msg) end
    ok, code, msg = check_profile(ctx, s.group, s, req.service_instance_profile)
    if not ok then return C.err(code, msg) end
    local old = State.service_dn(s)
    C.merge(s, req, { service_user_id = true })
    if State.service_dn(s) ~= old then
      st:release_dn(s.group, old, s)
      st:claim_dn(s.group, State.service_dn(s), s)
    end
    return C.SUCCESS
  end

  H["^" .. f.prefix .. "DeleteInstanceRequest$"] = function(ctx, req)
    return C.result(ctx.state:delete_service(req.service_user_id, kind))
  end

  H["^" .. f.prefix .. "GetInstanceListRequest$"] = C.in_group(function(_, req, name, g)
    local rname = name:gsub("Request", "Response")
    local dept = req.group_department_name
    local pred = function(s) return s.kind == kind and (not dept or C.dept_name(s) == dept) end
    return { _type = rname, [f.table] = C.table(rname, f.table, C.each(g.services.list),
      ROWS[kind], pred) }
  end)
end

-- Hunt group and call center agents -----------------------------------------------

-- Users of the group a hunt group or call center may take as agents (the simulator
-- restricts nothing: every user of the group, filtered by the search criteria).
local function available(rname_elem)
  return C.in_group(function(_, req, name, g)
    local rname = name:gsub("Request", "Response")
    return { _type = rname, [rname_elem] = C.rows(rname, rname_elem, C.each(g.users.list),
      function(u) return C.user_cells(u) end, C.filter(req, USER_CRITERIA),
      req.response_size_limit) }
  end)
end
H["^GroupHuntGroupGetAvailableUserListRequest$"] = available("userTable")
H["^GroupCallCenterGetAvailableAgentListRequest$"] = available("userTable")

local function call_center(ctx, req) return ctx.state:service(req.service_user_id, "call_center") end

H["^GroupCallCenterAddAgentListRequest$"] = C.within(call_center, function(ctx, req, _, s)
  local ids, skill = agents_of(req)
  local ok, code, msg = check_users(ctx, ids)
  if not ok then return C.err(code, msg) end
  s.agent_user_id = type(s.agent_user_id) == "table" and s.agent_user_id or {}
  s.agent_skill = s.agent_skill or {}
  local have = {}
  for _, uid in ipairs(s.agent_user_id) do have[uid] = true end
  for _, uid in ipairs(ids) do
    if not have[uid] then
      s.agent_user_id[#s.agent_user_id + 1] = uid
      have[uid] = true
    end
    if skill[uid] then s.agent_skill[uid] = skill[uid] end
  end
  return C.SUCCESS
end)

H["^GroupCallCenterDeleteAgentListRequest$"] = C.within(call_center, function(_, req, _, s)
  local drop = {}
  for _, uid in ipairs(req.agent_user_id or {}) do drop[uid] = true end
  local keep = {}
  for _, uid in ipairs(type(s.agent_user_id) == "table" and s.agent_user_id or {}) do
    if not drop[uid] then keep[#keep + 1] = uid end
  end
  s.agent_user_id = keep
  if s.agent_skill then for uid in pairs(drop) do s.agent_skill[uid] = nil end end
  return C.SUCCESS
end)

H["^GroupCallCenterModifyAgentListRequest$"] = C.within(call_center, function(ctx, req, _, s)
  local ids, skill = agents_of(req)
  local ok, code, msg = check_users(ctx, ids)
  if not ok then return C.err(code, msg) end
  if req.agent_user_id_list == C.NIL then
    s.agent_user_id, s.agent_skill = {}, {}
  elseif req.agent_user_id_list ~= nil then
    s.agent_user_id, s.agent_skill = ids, skill
  else
    -- skilled agents: a new skill level for agents already in the list
    s.agent_skill = s.agent_skill or {}
    for uid, level in pairs(skill) do s.agent_skill[uid] = level end
  end
  return C.SUCCESS
end)

H["^GroupCallCenterGetAgentListRequest$"] = C.within(call_center, function(ctx, req, name, s)
  local rname = name:gsub("Request", "Response")
  return { _type = rname, agentTable = C.rows(rname, "agentTable", C.each(agent_users(ctx, s)),
    function(u) return agent_cells(s, u) end, C.filter(req, USER_CRITERIA),
    req.response_size_limit) }
end)

-- A user's call centers (as agent): settings from UserCallCenterModifyRequest*
-- (ocip.sim.handlers.settings, family "UserCallCenter") and the table of the call
-- centers of the user's group that have the user as agent.
local function user_call_centers(ctx, req, name)
  local u, code, msg = ctx.state:user(req.user_id)
  if not u then return C.err(code, msg) end
  local rname = schema.response_of(name)
  local elem
  for _, e in ipairs(schema.plan(rname).elements) do
    if e.table then elem = e.name end
  end
  local list = {}
  for _, s in ipairs(u.group.services.list) do
    if s.kind == "call_center" then
      for _, a in ipairs(type(s.agent_user_id) == "table" and s.agent_user_id or {}) do
        if a == u.user_id then list[#list + 1] = s break end
      end
    end
  end
  local tbl = C.rows(rname, elem, C.each(list), function(s)
    local p = profile(s)
    return { ["Service User Id"] = s.user_id, ["Phone Number"] = e164(p),
      ["Extension"] = p.extension, ["Available"] = "true",
      ["Logoff Allowed"] = C.yn(s.allow_agent_logoff), ["Type"] = s.type, ["Priority"] = "1",
      ["Routing Policy"] = s.routing_type,
      ["Skill Level"] = s.agent_skill and s.agent_skill[u.user_id] }
  end)
  local settings = u.settings and u.settings.UserCallCenter or {}
  return C.response(name, settings, { [elem] = tbl })
end
H["^UserCallCenterGetRequest%w*$"] = user_call_centers
H["^UserCallCenterGetListRequest$"] = user_call_centers

-- Service instances of a service provider or of the system ---------------------

local INSTANCE_CRITERIA = {
  search_criteria_exact_service_type = function(s) return SERVICE_TYPE[s.kind] end,
  search_criteria_user_id = function(s) return s.user_id end,
  search_criteria_user_last_name = function(s) return profile(s).calling_line_id_last_name end,
  search_criteria_dn = function(s) return profile(s).phone_number end,
  search_criteria_extension = function(s) return profile(s).extension end,
  search_criteria_group_id = function(s) return s.group.id end,
  search_criteria_service_provider_id = function(s) return s.sp.id end,
  search_criteria_exact_service_provider = function(s) return s.sp.id end,
  search_criteria_reseller_id = function(s) return s.sp.reseller_id end,
}

local function instances(st, sp_id)
  return coroutine.wrap(function()
    for _, sp in ipairs(st.sps.list) do
      if not sp_id or sp.id == sp_id then
        for _, g in ipairs(sp.groups.list) do
          for _, s in ipairs(g.services.list) do coroutine.yield(s) end
        end
      end
    end
  end)
end

local function instance_cells(s)
  local p = profile(s)
  return { ["User Id"] = s.user_id, ["Group Id"] = s.group.id, ["Service Provider Id"] = s.sp.id,
    ["Service Type"] = SERVICE_TYPE[s.kind], ["Name"] = p.name, ["Phone Number"] = e164(p),
    ["Extension"] = p.extension, ["Reseller Id"] = s.sp.reseller_id,
    ["Department"] = C.dept_name(s) }
end

H["^UserGetServiceInstanceListInSystemRequest$"] = function(ctx, req, name)
  local rname = name:gsub("Request", "Response")
  return { _type = rname, serviceInstanceTable = C.rows(rname, "serviceInstanceTable",
    instances(ctx.state), instance_cells, C.filter(req, INSTANCE_CRITERIA),
    req.response_size_limit) }
end

H["^UserGetServiceInstanceListInServiceProviderRequest$"] = function(ctx, req, name)
  local sp, code, msg = ctx.state:sp(req.service_provider_id)
  if not sp then return C.err(code, msg) end
  local rname = name:gsub("Request", "Response")
  return { _type = rname, serviceInstanceTable = C.rows(rname, "serviceInstanceTable",
    instances(ctx.state, sp.id), instance_cells, C.filter(req, INSTANCE_CRITERIA),
    req.response_size_limit) }
end

return H
