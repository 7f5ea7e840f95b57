-- ocip.pack.walk: the lookups the automation packs share (find, user_digest, group_audit,
-- inventory). Every function runs inside a task with a connected client `c` and returns
-- its result, or nil, err (the first error of its requests).
--   walk.scope(group_flag, sp_flag) -> { sp=, group= } | nil, message   ("SP/GROUP", "SP")
--   walk.groups(c, scope) -> { { sp=, group=, sp_name=, group_name= }, ... }: the scope's
--     group, or the groups of its service provider, or every group of every service
--     provider (names where the lists give them)
--   walk.users(c, sp, group) -> the group's UserGetListInGroup rows
--   walk.instances(c, sp, group) -> { { kind=, id=, name=, phone_number= (national),
--     extension= }, ... }: hunt groups, call centers, auto attendants of the group
--   walk.agents(c, inst) -> agent user ids of a hunt group or call center
--   walk.each(list, fn, limit) -> results (fn(item) -> value | nil, err, run concurrently)
--     or nil, the first error
--   walk.national(number) -> "2025550001" for "+1-2025550001", "+12025550001" or itself
--   walk.KINDS: kind -> { list=, table=, get=, label= }
local ocip = require "ocip"

local M = {}

M.LIMIT = 32 -- lookups in flight at once (the client batches them into documents)

M.KINDS = {
  hunt_group = { list = "GroupHuntGroupGetInstanceListRequest", table = "hunt_group_table",
    get = "GroupHuntGroupGetInstanceRequest20", label = "hunt group" },
  call_center = { list = "GroupCallCenterGetInstanceListRequest", table = "call_center_table",
    get = "GroupCallCenterGetInstanceRequest22", label = "call center" },
  auto_attendant = { list = "GroupAutoAttendantGetInstanceListRequest", table = "auto_attendant_table",
    get = "GroupAutoAttendantGetInstanceRequest24", label = "auto attendant" },
}
M.KIND_ORDER = { "hunt_group", "call_center", "auto_attendant" }

function M.national(number)
  if type(number) ~= "string" then return number end
  local n = number:match("^%+%d+%-(%d+)$")
  if n then return n end
  n = number:match("^%+1(%d%d%d%d%d%d%d%d%d%d)$") -- +1 and ten digits: the NANP
  return n or number
end

function M.scope(group_flag, sp_flag)
  if group_flag then
    local sp, g = group_flag:match("^([^/]+)/(.+)$")
    if not sp then return nil, "--group expects SP/GROUP" end
    return { sp = sp, group = g }
  end
  if sp_flag then return { sp = sp_flag } end
  return {}
end

function M.each(list, fn, limit)
  local results, errors = ocip.gather(list, fn, { limit = limit or M.LIMIT })
  for i = 1, #list do
    if errors[i] ~= nil then return nil, errors[i] end
  end
  return results
end

function M.groups(c, scope)
  if scope.group then return { { sp = scope.sp, group = scope.group } } end
  local sps, names = { scope.sp }, {}
  if not scope.sp then
    local r, err = c:ServiceProviderGetListRequest{}
    if not r then return nil, err end
    sps = {}
    for _, row in ipairs(r.service_provider_table or {}) do
      sps[#sps + 1] = row.service_provider_id
      names[row.service_provider_id] = row.service_provider_name
    end
  end
  local lists, err = M.each(sps, function(sp)
    return c:GroupGetListInServiceProviderRequest{ service_provider_id = sp }
  end)
  if not lists then return nil, err end
  local out = {}
  for i, sp in ipairs(sps) do
    for _, g in ipairs(lists[i].group_table or {}) do
      out[#out + 1] = { sp = sp, group = g.group_id, sp_name = names[sp], group_name = g.group_name }
    end
  end
  return out
end

function M.users(c, sp, group)
  local r, err = c:UserGetListInGroupRequest{ service_provider_id = sp, group_id = group }
  if not r then return nil, err end
  return r.user_table or {}
end

function M.instances(c, sp, group)
  local lists, err = M.each(M.KIND_ORDER, function(kind)
    return c:command(ocip.commands[M.KINDS[kind].list]{ service_provider_id = sp, group_id = group })
  end)
  if not lists then return nil, err end
  local out = {}
  for i, kind in ipairs(M.KIND_ORDER) do
    for _, row in ipairs(lists[i][M.KINDS[kind].table] or {}) do
      out[#out + 1] = { kind = kind, id = row.service_user_id, name = row.name,
        phone_number = M.national(row.phone_number), extension = row.extension, sp = sp, group = group }
    end
  end
  return out
end

function M.agents(c, inst)
  local ids = {}
  if inst.kind == "hunt_group" then
    local r, err = c:GroupHuntGroupGetInstanceRequest20{ service_user_id = inst.id }
    if not r then return nil, err end
    for _, row in ipairs(r.agent_user_table or {}) do ids[#ids + 1] = row.user_id end
  elseif inst.kind == "call_center" then
    local r, err = c:GroupCallCenterGetAgentListRequest{ service_user_id = inst.id }
    if not r then return nil, err end
    for _, row in ipairs(r.agent_table or {}) do ids[#ids + 1] = row.user_id end
  end
  return ids
end

return M
