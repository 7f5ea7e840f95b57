-- ocip.config.kinds: the entity kinds of a group configuration, in dependency order, with
-- the requests that list, read, add, modify and delete each. The shape of each record
-- comes from the catalog (ocip.config.shape); what a kind adds here is what the schema
-- cannot say: where ids live, which list response names the entities, fields read or
-- written by requests of their own (agents, services), and values the server never
-- returns (passwords).
--   kind.section   key of the file (and of a state table)
--   kind.label     word in plan output ("user")
--   kind.key       the request field holding the entity's id
--   kind.phase     position in the order of adds and modifies (deletes run in reverse)
--   kind.get/add/modify/delete   request names
--   kind.list(c, target) -> sorted ids | nil, err
--   kind.extras    fields with their own handling: { fields = { name = "set"|"list" },
--                  read(c, target, id, response) -> fields | nil, err,
--                  write(target, id, old, new) -> { {name, fields}, ... } (optional:
--                  without it the fields go to the Add/Modify requests like any other) }
--   kind.add_fields(fields)  adds values the file cannot hold to an Add request's fields
--   kind.modify_names        file field -> Modify request field, where they differ
local core = require "ocip.core"
local NIL = require("ocip.sentinel").NIL

local M = {}

local function sorted(list)
  table.sort(list)
  return list
end

-- The column `col` of every row of an OCITable (rows failing keep(row) left out), sorted.
local function column(tbl, col, keep)
  local out = {}
  for _, row in ipairs(tbl or {}) do
    if row[col] ~= nil and (not keep or keep(row)) then out[#out + 1] = row[col] end
  end
  return out
end

-- A list request's table column: fn(c, target) -> sorted ids
local function lister(request, tbl, col, extra, keep)
  return function(c, target)
    local fields = { service_provider_id = target.service_provider_id, group_id = target.group_id }
    for k, v in pairs(extra or {}) do fields[k] = v end
    local r, err = c:command(require("ocip.catalog").commands[request](fields))
    if not r then return nil, err end
    if col == nil then return sorted(r[tbl] or {}) end
    return sorted(column(r[tbl], col, keep))
  end
end

-- A password for an Add request that requires one: the server never returns passwords,
-- so a file cannot hold them. Random, with the character classes password rules ask for.
function M.password()
  return "Oc1-" .. core.random_id():gsub("-", ""):sub(1, 20) .. "zQ"
end

-- GroupDnGetListResponse may list ranges ("2025550100 - 2025550199"): one number each.
local function expand_numbers(list)
  local out = {}
  for _, dn in ipairs(list or {}) do
    local a, b = tostring(dn):match("^%s*(%S+)%s+%-%s+(%S+)%s*$")
    local pa, na = (a or ""):match("^(.-)(%d+)$")
    local pb, nb = (b or ""):match("^(.-)(%d+)$")
    if pa and pa == pb and #na == #nb and tonumber(nb) >= tonumber(na) and tonumber(nb) - tonumber(na) < 100000 then
      for n = tonumber(na), tonumber(nb) do out[#out + 1] = pa .. ("%0" .. #na .. "d"):format(n) end
    else
      out[#out + 1] = dn
    end
  end
  return sorted(out)
end

local GROUP = {
  section = "profile", label = "group", phase = 1,
  get = "GroupGetRequest22V5", add = "GroupAddRequest", modify = "GroupModifyRequest",
}

local DEPARTMENTS = {
  section = "departments", label = "department", key = "department_name", phase = 2,
  list = lister("GroupDepartmentGetListRequest18", "department_table", "department_name",
    { include_enterprise_departments = false },
    function(row) return row.is_enterprise_department ~= "true" end),
  get = "GroupDepartmentGetRequest", add = "GroupDepartmentAddRequest",
  modify = "GroupDepartmentModifyRequest", delete = "GroupDepartmentDeleteRequest",
  modify_names = { parent_department_key = "new_parent_department_key" },
}

local NUMBERS = {
  section = "numbers", label = "number", key = "phone_number", phase = 11, plain = true,
  list = function(c, target)
    local r, err = c:GroupDnGetListRequest{ service_provider_id = target.service_provider_id,
      group_id = target.group_id }
    if not r then return nil, err end
    return expand_numbers(r.phone_number)
  end,
  add = "GroupDnAssignListRequest", delete = "GroupDnUnassignListRequest",
}

local DEVICES = {
  section = "devices", label = "device", key = "device_name", phase = 12,
  list = lister("GroupAccessDeviceGetListRequest", "access_device_table", "device_name"),
  get = "GroupAccessDeviceGetRequest24V3", add = "GroupAccessDeviceAddRequest22V2",
  modify = "GroupAccessDeviceModifyRequest22", delete = "GroupAccessDeviceDeleteRequest",
}

-- Services and service packs assigned to a user: their own Get and Assign/Unassign requests.
local function assigned(tbl, col)
  return sorted(column(tbl, col, function(row)
    return row.assigned == true or row.assigned == "true"
  end))
end

local function set_changes(old, new)
  local had, want, plus, minus = {}, {}, {}, {}
  for _, v in ipairs(old or {}) do had[v] = true end
  for _, v in ipairs(new or {}) do want[v] = true end
  for _, v in ipairs(new or {}) do if not had[v] then plus[#plus + 1] = v end end
  for _, v in ipairs(old or {}) do if not want[v] then minus[#minus + 1] = v end end
  return sorted(plus), sorted(minus)
end

local USER_SERVICES = {
  fields = { services = "set", service_packs = "set" },
  read = function(c, _, id)
    local r, err = c:UserServiceGetAssignmentListRequest{ user_id = id }
    if not r then return nil, err end
    local out = { services = assigned(r.user_services_assignment_table, "service_name"),
      service_packs = assigned(r.service_packs_assignment_table, "service_pack_name") }
    return out
  end,
  write = function(_, id, old, new)
    local reqs = {}
    local plus_s, minus_s = set_changes(old.services, new.services)
    local plus_p, minus_p = set_changes(old.service_packs, new.service_packs)
    -- unassign first: a pack may replace the services it holds
    if minus_s[1] or minus_p[1] then
      reqs[#reqs + 1] = { "UserServiceUnassignListRequest", { user_id = id, service_name = minus_s,
        service_pack_name = minus_p } }
    end
    if plus_s[1] or plus_p[1] then
      reqs[#reqs + 1] = { "UserServiceAssignListRequest", { user_id = id, service_name = plus_s,
        service_pack_name = plus_p } }
    end
    return reqs
  end,
}

local USERS = {
  section = "users", label = "user", key = "user_id", phase = 13,
  list = lister("UserGetListInGroupRequest", "user_table", "user_id"),
  get = "UserGetRequest23V2", add = "UserAddRequest22V2", modify = "UserModifyRequest22",
  delete = "UserDeleteRequest", extras = USER_SERVICES,
}

-- Agents listed in the Get response's agent table; Add and Modify take them as any field.
local function agents_from(tbl_field)
  return {
    fields = { agent_user_id = "list" },
    read = function(_, _, _, resp)
      return { agent_user_id = column(resp[tbl_field], "user_id") }
    end,
  }
end

local HUNT_GROUPS = {
  section = "hunt_groups", label = "hunt group", key = "service_user_id", phase = 14,
  list = lister("GroupHuntGroupGetInstanceListRequest", "hunt_group_table", "service_user_id"),
  get = "GroupHuntGroupGetInstanceRequest20", add = "GroupHuntGroupAddInstanceRequest20",
  modify = "GroupHuntGroupModifyInstanceRequest", delete = "GroupHuntGroupDeleteInstanceRequest",
  extras = agents_from("agent_user_table"),
}

local CALL_CENTERS = {
  section = "call_centers", label = "call center", key = "service_user_id", phase = 15,
  list = lister("GroupCallCenterGetInstanceListRequest", "call_center_table", "service_user_id"),
  get = "GroupCallCenterGetInstanceRequest22", add = "GroupCallCenterAddInstanceRequest22",
  modify = "GroupCallCenterModifyInstanceRequest22", delete = "GroupCallCenterDeleteInstanceRequest",
  extras = {
    fields = { agent_user_id = "list" },
    read = function(c, _, id)
      local r, err = c:GroupCallCenterGetAgentListRequest{ service_user_id = id }
      if not r then return nil, err end
      return { agent_user_id = column(r.agent_table, "user_id") }
    end,
    write = function(_, id, old, new)
      local a, b = old.agent_user_id or {}, new.agent_user_id or {}
      if table.concat(a, "\n") == table.concat(b, "\n") then return {} end
      return { { "GroupCallCenterModifyAgentListRequest", { service_user_id = id,
        agent_user_id_list = b[1] and { user_id = b } or NIL } } }
    end,
  },
  -- the service user's password is required on add and never returned
  add_fields = function(fields)
    if type(fields.service_instance_profile) == "table" and fields.service_instance_profile.password == nil then
      fields.service_instance_profile.password = M.password()
    end
  end,
}

local AUTO_ATTENDANTS = {
  section = "auto_attendants", label = "auto attendant", key = "service_user_id", phase = 16,
  list = lister("GroupAutoAttendantGetInstanceListRequest", "auto_attendant_table", "service_user_id"),
  get = "GroupAutoAttendantGetInstanceRequest24", add = "GroupAutoAttendantAddInstanceRequest20",
  modify = "GroupAutoAttendantModifyInstanceRequest20", delete = "GroupAutoAttendantDeleteInstanceRequest",
  -- a menu in a Modify names only the keys it changes: a key gone from the file is sent
  -- with entry = nil to remove it
  modify_fix = function(fields, old, new)
    for _, menu in ipairs { "business_hours_menu", "after_hours_menu", "holiday_menu" } do
      local m = fields[menu]
      if type(m) == "table" and m ~= NIL then
        local keep = {}
        for _, k in ipairs((new[menu] or {}).key_configuration or {}) do keep[k.key] = true end
        local list = m.key_configuration ~= NIL and m.key_configuration or {}
        for _, k in ipairs((old[menu] or {}).key_configuration or {}) do
          if not keep[k.key] then list[#list + 1] = { key = k.key, entry = NIL } end
        end
        if list[1] then m.key_configuration = list end
      end
    end
  end,
}

local PICKUP_GROUPS = {
  section = "pickup_groups", label = "pickup group", key = "name", phase = 17,
  list = lister("GroupCallPickupGetInstanceListRequest", "name"),
  get = "GroupCallPickupGetInstanceRequest", add = "GroupCallPickupAddInstanceRequest",
  modify = "GroupCallPickupModifyInstanceRequest", delete = "GroupCallPickupDeleteInstanceRequest",
  extras = {
    fields = { user_id = "set" },
    read = function(_, _, _, resp) return { user_id = sorted(column(resp.user_table, "user_id")) } end,
  },
}

--- kinds.LIST: every kind but the group itself, in dependency order
M.GROUP = GROUP
M.LIST = { DEPARTMENTS, NUMBERS, DEVICES, USERS, HUNT_GROUPS, CALL_CENTERS, AUTO_ATTENDANTS, PICKUP_GROUPS }
M.BY_SECTION = { profile = GROUP }
for _, k in ipairs(M.LIST) do M.BY_SECTION[k.section] = k end

--- kinds.ids(kind, target, id, request) -> the fields naming the entity in that request
function M.ids(kind, target, id, request)
  local m = require("ocip.config.shape").fields(request) or {}
  local out = {}
  if m.service_provider_id then out.service_provider_id = target.service_provider_id end
  if m.group_id then out.group_id = target.group_id end
  if kind.key and id ~= nil then
    out[kind.key] = m[kind.key] and m[kind.key].list and { id } or id
  end
  return out
end

--- kinds.not_found(err) -> true for the server's "group not found" answers
function M.group_not_found(err)
  if type(err) ~= "table" or err.kind ~= "server" then return false end
  local code = math.tointeger(tonumber(err.code))
  if code == 4007 or code == 4152 then return true end
  return tostring(err.summary or err.message or ""):find("Group not found", 1, true) ~= nil
end

return M
