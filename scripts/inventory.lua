-- inventory: a system inventory as JSON: service providers -> groups -> counts of users, devices, numbers, hunt groups, call centers, auto attendants
--   ocip run inventory [--out FILE] [--sp SP | --group SP/GROUP] [--report FILE] [flags]
-- Per group: UserGetListInGroupRequest, GroupAccessDeviceGetListRequest,
-- GroupDnGetListRequest, the hunt group / call center / auto attendant lists and
-- GroupCallPickupGetInstanceListRequest. Keys in a stable order, service providers and
-- groups sorted by id: two inventories diff well.
local ocip = require "ocip"
local pack = require "ocip.pack"
local walk = require "ocip.pack.walk"
local json = require "ocip.pack.json"

local COUNTS = { "users", "devices", "numbers", "hunt_groups", "call_centers", "auto_attendants", "pickup_groups" }

local p = pack.new{
  name = "inventory",
  out = true,
  formats = { json = true }, format = "json", format_help = "json (the only one: a nested document)",
  options = { ["--group"] = { "group", "s" }, ["--sp"] = { "sp", "s" }, ["--service-provider"] = { "sp", "s" } },
  usage = [[
usage: ocip run inventory [--out FILE] [--sp SP | --group SP/GROUP] [flags]
  the system's service providers -> groups with, per group, the number of
  ]] .. table.concat(COUNTS, ", ") .. [[, and the
  totals per service provider and for the whole inventory, as JSON
  --sp SP          one service provider      --group SP/GROUP  one group
  --out FILE       write there (appears when complete) instead of stdout
  --report FILE    one row per group (key SP/GROUP): ok or failed
  exit: 0 done, 1 a group could not be read (left out, listed on stderr and in --report),
        2 usage, 3 could not connect]],
}
local o = p:parse(arg or { ... })
local scope, why = walk.scope(o.group, o.sp)
if not scope then p:die(why) end

if o.dry_run then
  p:settings(true)
  io.stdout:write(("dry run: would connect to %s and read %s: per group %s\n"):format(p:target(),
    scope.group and ("group " .. scope.sp .. "/" .. scope.group) or scope.sp and ("service provider " .. scope.sp)
      or "every service provider", "UserGetListInGroupRequest, GroupAccessDeviceGetListRequest, "
      .. "GroupDnGetListRequest, GroupHuntGroup/GroupCallCenter/GroupAutoAttendant GetInstanceListRequest, "
      .. "GroupCallPickupGetInstanceListRequest"))
  os.exit(0)
end

local c = p:connect()
local groups, err = walk.groups(c, scope)
if not groups then c:close() p:die(tostring(err), pack.EXIT.failed) end
table.sort(groups, function(a, b) if a.sp ~= b.sp then return a.sp < b.sp end return a.group < b.group end)
groups = p:take(groups)

local items = {}
for i, g in ipairs(groups) do items[i] = { row = i, key = g.sp .. "/" .. g.group, g = g } end
local results = p:run(c, items, function(it)
  local sp, group = it.g.sp, it.g.group
  local key = { service_provider_id = sp, group_id = group }
  local r, e = ocip.gather({
    function() return walk.users(c, sp, group) end,
    function() return c:GroupAccessDeviceGetListRequest(key) end,
    function() return c:GroupDnGetListRequest(key) end,
    function() return walk.instances(c, sp, group) end,
    function() return c:GroupCallPickupGetInstanceListRequest(key) end,
  }, function(fn) return fn() end)
  for k = 1, 5 do if not r[k] then return nil, e[k] end end
  local n = { users = #r[1], devices = #(r[2].access_device_table or {}), numbers = #(r[3].phone_number or {}),
    hunt_groups = 0, call_centers = 0, auto_attendants = 0, pickup_groups = #(r[5].name or {}) }
  for _, i in ipairs(r[4]) do n[i.kind .. "s"] = n[i.kind .. "s"] + 1 end
  return n
end, { label = "groups" })
c:close()

-- the document: service providers (sorted) -> groups (sorted), totals on each level
local function counts() local t = json.object(COUNTS) for _, k in ipairs(COUNTS) do t[k] = 0 end return t end
local doc = json.object({ "totals", "service_providers" }, { service_providers = json.array() })
doc.totals = json.object({ "service_providers", "groups", table.unpack(COUNTS) }, counts())
doc.totals.service_providers, doc.totals.groups = 0, 0
local by_sp = {}
for i, it in ipairs(items) do
  local n = results[i]
  if n then
    local sp = by_sp[it.g.sp]
    if not sp then
      sp = json.object({ "id", "name", "totals", "groups" }, { id = it.g.sp, name = it.g.sp_name,
        totals = counts(), groups = json.array() })
      by_sp[it.g.sp] = sp
      doc.service_providers[#doc.service_providers + 1] = sp
      doc.totals.service_providers = doc.totals.service_providers + 1
    end
    local g = json.object({ "id", "name", table.unpack(COUNTS) }, { id = it.g.group, name = it.g.group_name })
    for _, k in ipairs(COUNTS) do
      g[k] = n[k]
      sp.totals[k] = sp.totals[k] + n[k]
      doc.totals[k] = doc.totals[k] + n[k]
    end
    sp.groups[#sp.groups + 1] = g
    doc.totals.groups = doc.totals.groups + 1
  end
end

local ok, werr = json.write(o.out, json.encode(doc) .. "\n")
if not ok then p:die("--out: " .. tostring(werr), pack.EXIT.failed) end
p:finish{ what = "groups" }
