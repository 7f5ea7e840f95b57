-- users_export: every user of the system as CSV (RFC 4180, CRLF, header row).
--   ocip run scripts/users_export.lua [--out FILE] [--per-group] [--group SP/GROUP ...]
--        [--columns a,b,c] [--dry-run] [--rate N] [connection flags]
-- Default: one UserGetListInSystemRequest. --per-group walks service providers and
-- groups (UserGetListInGroupRequest per group) for systems whose system-wide list is
-- capped; --group limits the export to the given groups. Connection settings come from
-- flags, OCIP_* variables or the profile file (--help lists them); --concurrency N
-- bounds the list requests in flight with --per-group.
-- Summary on stderr. Exit: 0 done, 1 some request failed (partial output kept), 2 usage.
local ocip = require "ocip"
local pack = require "ocip.pack"
local csv = require "ocip.csv"

local NAME = "users_export"
local DEFAULT_COLUMNS = { "user_id", "service_provider_id", "group_id", "last_name", "first_name",
  "department", "phone_number", "extension", "email_address", "user_external_id" }

local p = pack.new{
  name = NAME,
  options = {
    ["--out"] = { "out", "s" }, ["-o"] = { "out", "s" }, ["--per-group"] = { "per_group", true },
    ["--group"] = { "group", "s", list = true }, ["--columns"] = { "columns", "s" },
  },
  usage = [[
usage: ocip run scripts/users_export.lua [--out FILE] [--per-group] [--group SP/GROUP]...
         [--columns a,b,c] [--limit N] [--dry-run] [--rate N] [connection flags]
  --out FILE      write the CSV to FILE (default stdout)
  --per-group     list users group by group instead of one system-wide request
  --group SP/GRP  only this group (repeatable; implies --per-group)
  --columns LIST  CSV columns (default ]] .. table.concat(DEFAULT_COLUMNS, ",") .. [[)
  --limit N       responseSizeLimit of each list request]],
}

local function die(msg, code) p:die(msg, code) end

local function parse(argv)
  local o = p:parse(argv)
  o.groups = {}
  for _, spec in ipairs(o.group) do
    local sp, g = spec:match("^([^/]+)/(.+)$")
    if not sp then die("--group expects SP/GROUP") end
    o.groups[#o.groups + 1] = { sp = sp, group = g }
    o.per_group = true
  end
  if o.columns then
    local list = {}
    for c in o.columns:gmatch("[^,%s]+") do list[#list + 1] = c end
    if #list == 0 then die("--columns is empty") end
    o.columns = list
  else
    o.columns = DEFAULT_COLUMNS
  end
  return o
end

local function list_request(name, fields, limit)
  fields.response_size_limit = limit
  return ocip.commands[name](fields)
end

-- Users of one group, each row completed with its group and service provider.
local function group_users(c, sp, gid, limit)
  local r, err = c:command(list_request("UserGetListInGroupRequest",
    { service_provider_id = sp, group_id = gid }, limit))
  if not r then return nil, err end
  for _, u in ipairs(r.user_table) do
    u.group_id = u.group_id or gid
    u.service_provider_id = u.service_provider_id or sp
  end
  return r.user_table
end

local function all_groups(c, limit, stats, concurrency)
  local sps, err = c:command(list_request("ServiceProviderGetListRequest", {}, limit))
  stats.requests = stats.requests + 1
  if not sps then return nil, err end
  local found = {}
  local lists, errs = ocip.gather(sps.service_provider_table, function(row)
    local r, e = c:command(list_request("GroupGetListInServiceProviderRequest",
      { service_provider_id = row.service_provider_id }, limit))
    stats.requests = stats.requests + 1
    return r, e
  end, { limit = concurrency })
  for i, row in ipairs(sps.service_provider_table) do
    if lists[i] then
      for _, g in ipairs(lists[i].group_table) do
        found[#found + 1] = { sp = row.service_provider_id, group = g.group_id }
      end
    else
      stats.failed = stats.failed + 1
      io.stderr:write(NAME, ": ", row.service_provider_id, ": ", tostring(errs[i]), "\n")
    end
  end
  return found
end

local function export(c, o, w, stats)
  if not o.per_group then
    local r, err = c:command(list_request("UserGetListInSystemRequest", {}, o.limit))
    stats.requests = stats.requests + 1
    if not r then
      stats.failed = stats.failed + 1
      io.stderr:write(NAME, ": ", tostring(err), "\n")
      return
    end
    for _, u in ipairs(r.user_table) do w(u) end
    return
  end
  local groups = o.groups
  if #groups == 0 then
    local err
    groups, err = all_groups(c, o.limit, stats, o.concurrency)
    if not groups then
      stats.failed = stats.failed + 1
      io.stderr:write(NAME, ": ", tostring(err), "\n")
      return
    end
  end
  local lists, errs = ocip.gather(groups, function(g)
    stats.requests = stats.requests + 1
    return group_users(c, g.sp, g.group, o.limit)
  end, { limit = o.concurrency })
  for i, g in ipairs(groups) do
    if lists[i] then
      for _, u in ipairs(lists[i]) do w(u) end
    else
      stats.failed = stats.failed + 1
      io.stderr:write(NAME, ": ", g.sp, "/", g.group, ": ", tostring(errs[i]), "\n")
    end
  end
end

local o = parse(arg or { ... })
local settings = p:settings()

if o.dry_run then
  local plan = o.per_group
    and (#o.groups > 0 and ("UserGetListInGroupRequest for " .. #o.groups .. " group(s)")
      or "ServiceProviderGetListRequest, GroupGetListInServiceProviderRequest per service provider, UserGetListInGroupRequest per group")
    or "UserGetListInSystemRequest"
  -- build one request so that a bad --limit or group id shows up now
  list_request(o.per_group and "UserGetListInGroupRequest" or "UserGetListInSystemRequest",
    o.per_group and { service_provider_id = o.groups[1] and o.groups[1].sp or "sp",
      group_id = o.groups[1] and o.groups[1].group or "g" } or {}, o.limit)
  io.stdout:write(("dry run: would connect to %s\n  send %s\n  write columns %s to %s\n"):format(
    p:target(), plan, table.concat(o.columns, ","), o.out or "stdout"))
  os.exit(0)
end

local started = ocip.now()
local out, tmp = io.stdout, nil
if o.out then
  tmp = o.out .. ".part"
  local f, ferr = io.open(tmp, "wb")
  if not f then die(ferr, 1) end
  out = f
end
local writer = csv.writer(out)
local n = #o.columns
writer:row(o.columns, n)
local stats = { users = 0, requests = 0, failed = 0 }
local function write_user(u)
  local vals = {}
  for i, col in ipairs(o.columns) do vals[i] = u[col] end
  writer:row(vals, n)
  stats.users = stats.users + 1
end

local c, cerr = ocip.connect(settings)
if not c then
  if tmp then out:close() os.remove(tmp) end
  die(cerr, 1)
end
export(c, o, write_user, stats)
c:close()
if tmp then
  out:close()
  local ok, rerr = os.rename(tmp, o.out)
  if not ok then die(rerr, 1) end
else
  out:flush()
end
local function count(n, word) return ("%d %s%s"):format(n, word, n == 1 and "" or "s") end
io.stderr:write(("%s: %s, %s, %d failed, to %s in %.2f s\n"):format(NAME, count(stats.users, "user"),
  count(stats.requests, "request"), stats.failed, o.out or "stdout", ocip.now() - started))
if stats.failed > 0 then os.exit(1) end
