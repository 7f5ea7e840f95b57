-- group_audit: per group, how many users lack a phone number or an e-mail address.
--   ocip run scripts/group_audit.lua [--out FILE] [--group SP/GROUP ...] [--ids]
--        [--report FILE] [--limit N] [--concurrency N] [--rate N] [connection flags]
-- Walks service providers -> groups (or the --group list) and lists each group's
-- users (UserGetListInGroupRequest). Output CSV (RFC 4180, CRLF), one row per group:
--   service_provider_id, group_id, users, without_phone, without_email
-- plus, with --ids, the user ids of each kind (";"-separated). --report has one row per
-- group (key SP/GROUP). --limit N audits at most N groups.
local ocip = require "ocip"
local pack = require "ocip.pack"
local csv = require "ocip.csv"

local p = pack.new{
  name = "group_audit",
  options = {
    ["--out"] = { "out", "s" }, ["-o"] = { "out", "s" },
    ["--group"] = { "groups", "s", list = true }, ["--ids"] = { "ids", true },
  },
  usage = [[
usage: ocip run scripts/group_audit.lua [--out FILE] [--group SP/GROUP]... [--ids] [flags]
  --out FILE      write the CSV to FILE (default stdout)
  --group SP/GRP  only this group (repeatable; default every group of every service provider)
  --ids           add columns listing the user ids without phone / e-mail]],
}
local o = p:parse(arg or { ... })

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

if o.dry_run then
  p:settings(true)
  io.stdout:write(("dry run: would connect to %s\n  send %s\n  write columns %s to %s\n"):format(
    p:target(), #groups > 0 and ("UserGetListInGroupRequest for " .. #groups .. " group(s)")
      or "ServiceProviderGetListRequest, GroupGetListInServiceProviderRequest per service provider, UserGetListInGroupRequest per group",
    table.concat(COLUMNS, ","), o.out or "stdout"))
  os.exit(0)
end

local c = p:connect()

if #groups == 0 then
  local sps, err = c:ServiceProviderGetListRequest{}
  if not sps then p:fail(0, "service providers", err) p:finish("groups") end
  local lists, errs = ocip.gather(sps.service_provider_table, function(row)
    return c:GroupGetListInServiceProviderRequest{ service_provider_id = row.service_provider_id }
  end, { limit = o.concurrency })
  for i, row in ipairs(sps.service_provider_table) do
    if lists[i] then
      for _, g in ipairs(lists[i].group_table) do
        groups[#groups + 1] = { sp = row.service_provider_id, group = g.group_id }
      end
    else
      p:fail(0, row.service_provider_id, errs[i])
    end
  end
end
groups = p:take(groups)

local items = {}
for i, g in ipairs(groups) do items[i] = { row = i, key = g.sp .. "/" .. g.group, sp = g.sp, group = g.group } end

local results = p:run(c, items, function(it)
  local r, err = c:UserGetListInGroupRequest{ service_provider_id = it.sp, group_id = it.group }
  if not r then return nil, err end
  local a = { users = #r.user_table, no_phone = {}, no_email = {} }
  for _, u in ipairs(r.user_table) do
    if not u.phone_number or u.phone_number == "" then a.no_phone[#a.no_phone + 1] = u.user_id end
    if not u.email_address or u.email_address == "" then a.no_email[#a.no_email + 1] = u.user_id end
  end
  return a
end)
c:close()

local out = io.stdout
local tmp = o.out and (o.out .. ".part")
if tmp then out = assert(io.open(tmp, "wb")) end
local w = csv.writer(out)
w:row(COLUMNS, #COLUMNS)
for i, it in ipairs(items) do
  local a = results[i]
  if a then
    w:row({ it.sp, it.group, a.users, #a.no_phone, #a.no_email, a.no_phone, a.no_email }, #COLUMNS)
  end
end
if tmp then
  out:close()
  assert(os.rename(tmp, o.out))
else
  out:flush()
end
p:finish("groups")
