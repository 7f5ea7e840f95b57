-- find: who owns a phone number, extension, SIP alias or id (user, hunt group, call center, auto attendant, administrator)
--   ocip run find --number 2025550001 [--group SP/GROUP | --sp SP] [--format text|json]
--   ocip run find --extension 0001 --group SP/GROUP
--   ocip run find --alias sip:ann@example.net [--group SP/GROUP | --sp SP]
--   ocip run find --id hg-sales@example.net
-- Prints one line per owner: its id, its kind, its service provider/group, its name.
-- Exit 0 when found, 1 when nothing owns it, 2 usage, 3 no connection.
local ocip = require "ocip"
local pack = require "ocip.pack"
local walk = require "ocip.pack.walk"

local p = pack.new{
  name = "find",
  formats = { text = true, json = true }, format = "text",
  format_help = "text (default: one owner per line: id, kind, SP/GROUP, name) or json",
  options = {
    ["--number"] = { "number", "s" }, ["--extension"] = { "extension", "s" },
    ["--alias"] = { "alias", "s" }, ["--id"] = { "id", "s" },
    ["--group"] = { "group", "s" }, ["--sp"] = { "sp", "s" }, ["--service-provider"] = { "sp", "s" },
  },
  usage = [[
usage: ocip run find (--number N | --extension E --group SP/GROUP | --alias A | --id ID)
                     [--group SP/GROUP | --sp SP] [--format text|json] [flags]
  who owns a phone number, extension, SIP alias or id, and what kind of owner it is:
  user, hunt_group, call_center, auto_attendant, group_admin, sp_admin, system_admin,
  or group (a number assigned to a group that nobody uses)
  --number N      a phone number: national (2025550001) or +1-2025550001
  --extension E   an extension (needs --group: extensions are per group)
  --alias A       a SIP alias (sip:ann@example.net; the sip: is optional, any case)
  --id ID         a user, service instance or administrator id (system-wide lookups)
  --group SP/GROUP  search that group only      --sp SP  that service provider only
                  (default: the whole system; --alias reads every user of the scope)
  exit: 0 found, 1 nothing owns it, 2 usage, 3 could not connect]],
}
local o = p:parse(arg or { ... })

local asked = {}
for _, k in ipairs { "number", "extension", "alias", "id" } do if o[k] then asked[#asked + 1] = k end end
if #asked ~= 1 then p:die("give one of --number, --extension, --alias, --id\n" .. p.help) end
local what = asked[1]
local scope, why = walk.scope(o.group, o.sp)
if not scope then p:die(why) end
if what == "extension" and not scope.group then p:die("--extension needs --group SP/GROUP") end
local where = scope.group and (scope.sp .. "/" .. scope.group) or scope.sp or "the whole system"

if o.dry_run then
  p:settings(true)
  io.stdout:write(("dry run: would connect to %s and look for %s %s in %s\n"):format(p:target(), what,
    o[what], what == "id" and "every kind of owner" or where))
  os.exit(0)
end

local function user_owner(u, sp, group)
  return { kind = "user", id = u.user_id, sp = u.service_provider_id or sp, group = u.group_id or group,
    name = table.concat({ u.first_name or "", u.last_name or "" }, " "):match("^%s*(.-)%s*$"),
    phone_number = walk.national(u.phone_number), extension = u.extension }
end

-- users of the scope matching a search criterion, one request
local function users_by(c, criterion, value)
  local crit = { { mode = "Equal To", value = value, is_case_insensitive = false } }
  local r, err
  if scope.group then
    r, err = c:UserGetListInGroupRequest{ service_provider_id = scope.sp, group_id = scope.group, [criterion] = crit }
  elseif scope.sp then
    r, err = c:UserGetListInServiceProviderRequest{ service_provider_id = scope.sp, [criterion] = crit }
  else
    r, err = c:UserGetListInSystemRequest{ [criterion] = crit }
  end
  if not r then return nil, err end
  local out = {}
  for _, u in ipairs(r.user_table or {}) do out[#out + 1] = user_owner(u, scope.sp, scope.group) end
  return out
end

-- instances of every group of the scope that pass keep(inst)
local function instances_where(c, groups, keep)
  local lists, err = walk.each(groups, function(g) return walk.instances(c, g.sp, g.group) end)
  if not lists then return nil, err end
  local out = {}
  for _, list in ipairs(lists) do
    for _, inst in ipairs(list) do if keep(inst) then out[#out + 1] = inst end end
  end
  return out
end

local function append(a, b) for _, x in ipairs(b) do a[#a + 1] = x end return a end

local search = {}

function search.number(c)
  local n = walk.national(o.number)
  local owners, err = users_by(c, "search_criteria_dn", n)
  if not owners then return nil, err end
  local groups
  groups, err = walk.groups(c, scope)
  if not groups then return nil, err end
  local inst
  inst, err = instances_where(c, groups, function(i) return i.phone_number == n end)
  if not inst then return nil, err end
  append(owners, inst)
  if #owners > 0 then return owners end
  -- nobody uses it: is it in a group's pool?
  local pools
  pools, err = walk.each(groups, function(g)
    return c:GroupDnGetListRequest{ service_provider_id = g.sp, group_id = g.group }
  end)
  if not pools then return nil, err end
  for i, g in ipairs(groups) do
    for _, dn in ipairs(pools[i].phone_number or {}) do
      if walk.national(dn) == n then
        owners[#owners + 1] = { kind = "group", id = g.sp .. "/" .. g.group, sp = g.sp, group = g.group,
          name = "assigned to the group, not in use", phone_number = n }
      end
    end
  end
  return owners
end

function search.extension(c)
  local owners, err = users_by(c, "search_criteria_extension", o.extension)
  if not owners then return nil, err end
  local inst
  inst, err = instances_where(c, { { sp = scope.sp, group = scope.group } },
    function(i) return i.extension == o.extension end)
  if not inst then return nil, err end
  return append(owners, inst)
end

local function same_alias(a, b)
  local function norm(s) return (tostring(s):lower():gsub("^sip:", "")) end
  return norm(a) == norm(b)
end

function search.alias(c)
  local groups, err = walk.groups(c, scope)
  if not groups then return nil, err end
  local found = {}
  local per_group
  per_group, err = walk.each(groups, function(g)
    local users, e = walk.users(c, g.sp, g.group)
    if not users then return nil, e end
    local inst
    inst, e = walk.instances(c, g.sp, g.group)
    if not inst then return nil, e end
    local hits = {}
    local _, e2 = walk.each(users, function(u)
      local full, e3 = c:UserGetRequest23V2{ user_id = u.user_id }
      if not full then return nil, e3 end
      for _, a in ipairs(full.alias or {}) do
        if same_alias(a, o.alias) then hits[#hits + 1] = user_owner(full, g.sp, g.group) end
      end
      return true
    end)
    if e2 then return nil, e2 end
    _, e2 = walk.each(inst, function(i)
      local full, e3 = c:command(ocip.commands[walk.KINDS[i.kind].get]{ service_user_id = i.id })
      if not full then return nil, e3 end
      for _, a in ipairs((full.service_instance_profile or {}).alias or {}) do
        if same_alias(a, o.alias) then hits[#hits + 1] = i end
      end
      return true
    end)
    if e2 then return nil, e2 end
    return hits
  end, 4)
  if not per_group then return nil, err end
  for _, hits in ipairs(per_group) do append(found, hits) end
  return found
end

-- an id: every kind of owner that has it, asked at once; "not found" answers are misses
local ID_LOOKUPS = {
  { "user", "UserGetRequest23V2", "user_id" },
  { "hunt_group", walk.KINDS.hunt_group.get, "service_user_id" },
  { "call_center", walk.KINDS.call_center.get, "service_user_id" },
  { "auto_attendant", walk.KINDS.auto_attendant.get, "service_user_id" },
  { "group_admin", ocip.catalog.latest("GroupAdminGetRequest"), "user_id" },
  { "sp_admin", ocip.catalog.latest("ServiceProviderAdminGetRequest"), "user_id" },
  { "system_admin", ocip.catalog.latest("SystemAdminGetRequest"), "user_id" },
}

function search.id(c)
  local results, errors = ocip.gather(ID_LOOKUPS, function(l)
    return c:command(ocip.commands[l[2]]{ [l[3]] = o.id })
  end, { limit = #ID_LOOKUPS })
  local owners = {}
  for i, l in ipairs(ID_LOOKUPS) do
    local r, err = results[i], errors[i]
    if r then
      local prof = r.service_instance_profile
      owners[#owners + 1] = { kind = l[1], id = o.id, sp = r.service_provider_id, group = r.group_id,
        name = prof and prof.name or table.concat({ r.first_name or "", r.last_name or "" }, " "):match("^%s*(.-)%s*$"),
        phone_number = walk.national(r.phone_number or (prof and prof.phone_number)),
        extension = r.extension or (prof and prof.extension) }
    elseif not (type(err) == "table" and err.kind == "server") then
      return nil, err -- a connection problem, not a miss
    end
  end
  return owners
end

local c = p:connect()
local owners, err = search[what](c)
c:close()
if not owners then p:die(tostring(err), pack.EXIT.failed) end

if o.format == "json" then -- an array, one object per line, keys in this order
  local json = require "ocip.pack.output"
  local COLUMNS = { "id", "kind", "service_provider_id", "group_id", "name", "phone_number", "extension" }
  local lines = {}
  for i, w in ipairs(owners) do
    lines[i] = json.json_object(COLUMNS, { w.id, w.kind, w.sp, w.group, w.name ~= "" and w.name or nil,
      w.phone_number, w.extension })
  end
  io.stdout:write(#lines > 0 and ("[\n" .. table.concat(lines, ",\n") .. "\n]\n") or "[]\n")
else
  for _, w in ipairs(owners) do
    local at = w.group and ((w.sp or "?") .. "/" .. w.group) or w.sp or "-"
    io.stdout:write(("%s %s %s%s\n"):format(w.id, w.kind, at,
      w.name and w.name ~= "" and (" (" .. w.name .. ")") or ""))
  end
end
if #owners == 0 then
  io.stderr:write(("find: nothing owns %s %s in %s\n"):format(what, o[what], what == "id" and "the system" or where))
  os.exit(pack.EXIT.failed)
end
os.exit(pack.EXIT.ok)
