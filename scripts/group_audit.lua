-- group_audit: per group, users without a phone number or e-mail; with flags also devices, numbers, hunt groups, call centers, services
--   ocip run scripts/group_audit.lua [--out FILE] [--group SP/GROUP ...] [--ids]
--        [--devices] [--numbers] [--hunt-groups] [--call-centers] [--services] [--all]
--        [--format csv|json|ndjson] [--report FILE] [--limit N] [--concurrency N]
--        [--rate N] [connection flags]
-- Walks service providers -> groups (or the --group list) and lists each group's
-- users (UserGetListInGroupRequest). Output CSV (RFC 4180, CRLF), one row per group:
--   service_provider_id, group_id, users, without_phone, without_email
-- plus, with --ids, the user ids of each kind (";"-separated), then the columns of each
-- section asked for (SECTIONS below). --report has one row per group (key SP/GROUP).
-- --limit N audits at most N groups.
local ocip = require "ocip"
local pack = require "ocip.pack"
local walk = require "ocip.pack.walk"

-- Optional sections: flag, count columns, --ids columns (lists), and what they need
local SECTIONS = {
  { flag = "devices", counts = { "devices" }, ids = {} },
  { flag = "numbers", counts = { "numbers", "numbers_free" }, ids = { "free_numbers" } },
  { flag = "hunt_groups", counts = { "hunt_groups", "hunt_groups_no_agents" }, ids = { "hunt_groups_without_agents" } },
  { flag = "call_centers", counts = { "call_centers", "call_centers_no_agents" },
    ids = { "call_centers_without_agents" } },
  { flag = "services", counts = { "users_no_services" }, ids = { "users_without_services" } },
}

local p = pack.new{
  name = "group_audit",
  out = true,
  options = {
    ["--group"] = { "groups", "s", list = true }, ["--ids"] = { "ids", true },
    ["--devices"] = { "devices", true }, ["--numbers"] = { "numbers", true },
    ["--hunt-groups"] = { "hunt_groups", true }, ["--call-centers"] = { "call_centers", true },
    ["--services"] = { "services", true }, ["--all"] = { "all", true },
  },
  usage = [[
usage: ocip run scripts/group_audit.lua [--out FILE] [--group SP/GROUP]... [--ids] [sections] [flags]
  columns: service_provider_id, group_id, users, without_phone, without_email
  --group SP/GRP  only this group (repeatable; default every group of every service provider)
  --ids           add columns listing the user ids without phone / e-mail (and the ids
                  of each section's findings)
sections (columns added after those, in this order):
  --devices       devices: access devices of the group
  --numbers       numbers: assigned to the group; numbers_free: used by no user, hunt
                  group, call center or auto attendant (--ids: free_numbers)
  --hunt-groups   hunt_groups; hunt_groups_no_agents (--ids: hunt_groups_without_agents)
  --call-centers  call_centers; call_centers_no_agents (--ids: call_centers_without_agents)
  --services      users_no_services: users with no service or service pack assigned, one
                  UserServiceGetAssignmentListRequest per user (--ids: users_without_services)
  --all           every section]],
}
local o = p:parse(arg or { ... })
local sections = {}
local need_instances = false -- numbers, hunt groups and call centers read the instance lists
for _, sec in ipairs(SECTIONS) do
  if o.all or o[sec.flag] then
    sections[#sections + 1] = sec
    need_instances = need_instances or sec.flag == "numbers" or sec.flag == "hunt_groups"
      or sec.flag == "call_centers"
  end
end

local groups = {}
for _, spec in ipairs(o.groups) do
  local sp, g = spec:match("^([^/]+)/(.+)$")
  if not sp then p:die("--group expects SP/GROUP") end
  groups[#groups + 1] = { sp = sp, group = g }
end

local COLUMNS = { "service_provider_id", "group_id", "users", "without_phone", "without_email" }
if o.ids then
  COLUMNS[#COLUMNS + 1] = "users_without_phone"
  COLUMNS[#COLUMNS + 1] = "users_without_email"
end
for _, sec in ipairs(sections) do
  for _, col in ipairs(sec.counts) do COLUMNS[#COLUMNS + 1] = col end
  if o.ids then for _, col in ipairs(sec.ids) do COLUMNS[#COLUMNS + 1] = col end end
end

if o.dry_run then
  p:settings(true)
  local per_group = { "UserGetListInGroupRequest" }
  if need_instances then
    per_group[#per_group + 1] = "the hunt group, call center and auto attendant lists"
  end
  for _, sec in ipairs(sections) do
    per_group[#per_group + 1] = ({ devices = "GroupAccessDeviceGetListRequest", numbers = "GroupDnGetListRequest",
      hunt_groups = "GroupHuntGroupGetInstanceRequest20 per hunt group",
      call_centers = "GroupCallCenterGetAgentListRequest per call center",
      services = "UserServiceGetAssignmentListRequest per user" })[sec.flag]
  end
  io.stdout:write(("dry run: would connect to %s\n  send %s\n  write columns %s to %s\n"):format(
    p:target(), #groups > 0 and (table.concat(per_group, ", ") .. " for " .. #groups .. " group(s)")
      or ("ServiceProviderGetListRequest, GroupGetListInServiceProviderRequest per service provider, "
        .. table.concat(per_group, ", ") .. " per group"),
    table.concat(COLUMNS, ","), o.out or "stdout"))
  os.exit(0)
end

local c = p:connect()

if #groups == 0 then
  local sps = p:run(c, { { row = 0, key = "service providers" } }, function()
    return c:ServiceProviderGetListRequest{}
  end, { record = "failures", label = "service providers" })
  if not sps[1] then c:close() p:finish("groups") end
  local sp_items = {}
  for i, row in ipairs(sps[1].service_provider_table) do
    sp_items[i] = { row = 0, key = row.service_provider_id }
  end
  local lists = p:run(c, sp_items, function(it)
    return c:GroupGetListInServiceProviderRequest{ service_provider_id = it.key }
  end, { record = "failures", label = "groups" })
  for i, it in ipairs(sp_items) do
    for _, g in ipairs(lists[i] and lists[i].group_table or {}) do
      groups[#groups + 1] = { sp = it.key, group = g.group_id }
    end
  end
end
groups = p:take(groups)

local items = {}
for i, g in ipairs(groups) do items[i] = { row = i, key = g.sp .. "/" .. g.group, sp = g.sp, group = g.group } end

-- each section's findings for one group: { [column] = count or list }
local AUDIT = {}

function AUDIT.devices(it)
  local r, err = c:GroupAccessDeviceGetListRequest{ service_provider_id = it.sp, group_id = it.group }
  if not r then return nil, err end
  return { devices = #(r.access_device_table or {}) }
end

function AUDIT.numbers(it, users, inst)
  local r, err = c:GroupDnGetListRequest{ service_provider_id = it.sp, group_id = it.group }
  if not r then return nil, err end
  local used = {}
  for _, u in ipairs(users) do if u.phone_number then used[walk.national(u.phone_number)] = true end end
  for _, i in ipairs(inst) do if i.phone_number then used[i.phone_number] = true end end
  local all, free = r.phone_number or {}, {}
  for _, dn in ipairs(all) do if not used[walk.national(dn)] then free[#free + 1] = dn end end
  return { numbers = #all, numbers_free = #free, free_numbers = free }
end

local function without_agents(kind, plural)
  return function(_, _, inst)
    local list = {}
    for _, i in ipairs(inst) do if i.kind == kind then list[#list + 1] = i end end
    local agents, err = walk.each(list, function(i) return walk.agents(c, i) end)
    if not agents then return nil, err end
    local none = {}
    for k, i in ipairs(list) do if #agents[k] == 0 then none[#none + 1] = i.id end end
    return { [plural] = #list, [plural .. "_no_agents"] = #none, [plural .. "_without_agents"] = none }
  end
end
AUDIT.hunt_groups = without_agents("hunt_group", "hunt_groups")
AUDIT.call_centers = without_agents("call_center", "call_centers")

function AUDIT.services(_, users)
  local lists, err = walk.each(users, function(u)
    return c:UserServiceGetAssignmentListRequest{ user_id = u.user_id }
  end)
  if not lists then return nil, err end
  local none = {}
  for k, u in ipairs(users) do
    local n = 0
    for _, t in ipairs { "user_services_assignment_table", "service_packs_assignment_table" } do
      for _, row in ipairs(lists[k][t] or {}) do
        if row.assigned == "true" or row.assigned == true then n = n + 1 end
      end
    end
    if n == 0 then none[#none + 1] = u.user_id end
  end
  return { users_no_services = #none, users_without_services = none }
end

local results = p:run(c, items, function(it)
  local r, err = c:UserGetListInGroupRequest{ service_provider_id = it.sp, group_id = it.group }
  if not r then return nil, err end
  local a = { users = #r.user_table, no_phone = {}, no_email = {}, found = {} }
  for _, u in ipairs(r.user_table) do
    if not u.phone_number or u.phone_number == "" then a.no_phone[#a.no_phone + 1] = u.user_id end
    if not u.email_address or u.email_address == "" then a.no_email[#a.no_email + 1] = u.user_id end
  end
  local inst = {}
  if need_instances then
    inst, err = walk.instances(c, it.sp, it.group)
    if not inst then return nil, err end
  end
  local found, errs = ocip.gather(sections, function(sec) return AUDIT[sec.flag](it, r.user_table, inst) end)
  for k, sec in ipairs(sections) do
    if not found[k] then return nil, errs[k] end
    for col, v in pairs(found[k]) do a.found[col] = v end
  end
  return a
end)
c:close()

local out = p:output(COLUMNS)
for i, it in ipairs(items) do
  local a = results[i]
  if a then
    local row = { it.sp, it.group, a.users, #a.no_phone, #a.no_email }
    if o.ids then row[6], row[7] = a.no_phone, a.no_email end
    for k = #row + 1, #COLUMNS do row[k] = a.found[COLUMNS[k]] end
    out:row(row)
  end
end
local ok, err = out:close()
if not ok then p:die(err, pack.EXIT.failed) end
p:finish("groups")
