-- group_audit: per group, how many users lack a phone number or an e-mail address.
--   ocip run scripts/group_audit.lua [--out FILE] [--group SP/GROUP ...] [--ids]
--        [--format csv|json|ndjson] [--report FILE] [--limit N] [--concurrency N]
--        [--rate N] [connection flags]
-- Walks service providers -> groups (or the --group list) and lists each group's
-- users (UserGetListInGroupRequest). Output CSV (RFC 4180, CRLF), one row per group:
--   service_provider_id, group_id, users, without_phone, without_email
-- plus, with --ids, the user ids of each kind (";"-separated). --report has one row per
-- group (key SP/GROUP). --limit N audits at most N groups.
local ocip = require "ocip"
local pack = require "ocip.pack"

local p = pack.new{
  name = "group_audit",
  out = true,
  options = {
    ["--group"] = { "groups", "s", list = true }, ["--ids"] = { "ids", true },
  },
  usage = [[
usage: ocip run scripts/group_audit.lua [--out FILE] [--group SP/GROUP]... [--ids] [flags]
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

local out = p:output(COLUMNS)
for i, it in ipairs(items) do
  local a = results[i]
  if a then
    out:row({ it.sp, it.group, a.users, #a.no_phone, #a.no_email, a.no_phone, a.no_email })
  end
end
local ok, err = out:close()
if not ok then p:die(err, pack.EXIT.failed) end
p:finish("groups")
