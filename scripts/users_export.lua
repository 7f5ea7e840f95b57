-- users_export: every user of the system as CSV (RFC 4180, CRLF, header row), JSON or NDJSON.
--   ocip run scripts/users_export.lua [--out FILE] [--per-group] [--group SP/GROUP ...]
--        [--columns a,b,c] [--format csv|json|ndjson] [--dry-run] [--rate N] [connection flags]
-- Default: one UserGetListInSystemRequest. --per-group walks service providers and
-- groups (UserGetListInGroupRequest per group) for systems whose system-wide list is
-- capped; --group limits the export to the given groups. Connection settings come from
-- flags, OCIP_* variables or the profile file (--help lists them); --concurrency N
-- bounds the list requests in flight with --per-group. --report lists each list request
-- (key "system" or SP/GROUP). Summary on stderr. Exit: 0 done, 1 some request failed
-- (the other users are written), 2 usage, 3 could not connect or log in, 130 interrupted.
local ocip = require "ocip"
local pack = require "ocip.pack"

local NAME = "users_export"
local DEFAULT_COLUMNS = { "user_id", "service_provider_id", "group_id", "last_name", "first_name",
  "department", "phone_number", "extension", "email_address", "user_external_id" }

-- Every column a user row can have: the user tables' columns (catalog column hints) of
-- the system-wide and the per-group list, in that order.
local COLUMNS, KNOWN, ONLY = {}, {}, {}
do
  local keys = require("ocip.pretty").heading_keys
  local lists = { { "UserGetListInSystemResponse", "system-wide list" },
    { "UserGetListInGroupResponse", "--per-group" } }
  local in_list = {}
  for li, l in ipairs(lists) do
    in_list[li] = {}
    for _, f in ipairs(ocip.describe(l[1]).fields) do
      for _, k in ipairs(f.columns and keys(f.columns) or {}) do
        in_list[li][k] = true
        if not KNOWN[k] then KNOWN[k] = true; COLUMNS[#COLUMNS + 1] = k end
      end
    end
  end
  -- per-group rows get their group and service provider filled in
  in_list[2].group_id, in_list[2].service_provider_id = true, true
  for _, k in ipairs(COLUMNS) do
    if not in_list[1][k] then ONLY[k] = lists[2][2] elseif not in_list[2][k] then ONLY[k] = lists[1][2] end
  end
end

local function column_help()
  local parts = {}
  for _, k in ipairs(COLUMNS) do parts[#parts + 1] = k .. (ONLY[k] and (" (" .. ONLY[k] .. " only)") or "") end
  return pack.wrap(parts, ", ", "                  ")
end

local p = pack.new{
  name = NAME,
  out = true,
  options = {
    ["--per-group"] = { "per_group", true },
    ["--group"] = { "group", "s", list = true }, ["--columns"] = { "columns", "s" },
  },
  usage = [[
usage: ocip run scripts/users_export.lua [--out FILE] [--per-group] [--group SP/GROUP]...
         [--columns a,b,c] [--format csv|json|ndjson] [--limit N] [--dry-run] [--rate N]
         [connection flags]
  --per-group     list users group by group instead of one system-wide request
  --group SP/GRP  only this group (repeatable; implies --per-group)
  --columns LIST  the columns, in order; default:
                  ]] .. pack.wrap(DEFAULT_COLUMNS, ",", "                  ") .. [[

                  any of: ]] .. column_help() .. [[

  --limit N       responseSizeLimit of each list request
  phone_number is written as the server shows it (+1-3125550101): users_add takes it back;
  in CSV it is written '+1-3125550101 (see --raw-csv)]],
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
    local list, bad = {}, {}
    for c in o.columns:gmatch("[^,%s]+") do
      list[#list + 1] = c
      if not KNOWN[c] then bad[#bad + 1] = c end
    end
    if #list == 0 then die("--columns is empty") end
    if #bad > 0 then
      die(("--columns: unknown column%s %s; the columns are: %s"):format(#bad > 1 and "s" or "",
        table.concat(bad, ", "), table.concat(COLUMNS, ",")))
    end
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

-- Every group of every service provider; failed lists are recorded (row 0).
local function all_groups(c, limit, stats)
  stats.requests = stats.requests + 1
  local sps = p:run(c, { { row = 0, key = "service providers" } }, function()
    return c:command(list_request("ServiceProviderGetListRequest", {}, limit))
  end, { record = "failures", label = "service providers" })
  if not sps[1] then stats.failed = stats.failed + 1 return {} end
  local items = {}
  for i, row in ipairs(sps[1].service_provider_table) do items[i] = { row = 0, key = row.service_provider_id } end
  stats.requests = stats.requests + #items
  local lists = p:run(c, items, function(it)
    return c:command(list_request("GroupGetListInServiceProviderRequest",
      { service_provider_id = it.key }, limit))
  end, { record = "failures", label = "groups" })
  local found = {}
  for i, it in ipairs(items) do
    if lists[i] then
      for _, g in ipairs(lists[i].group_table) do found[#found + 1] = { sp = it.key, group = g.group_id } end
    else
      stats.failed = stats.failed + 1
    end
  end
  return found
end

-- The user lists, one item each; written in item order once all have answered (the
-- system-wide list as it arrives).
local function export(c, o, write, stats)
  local items
  if o.per_group then
    local groups = #o.groups > 0 and o.groups or all_groups(c, o.limit, stats)
    items = {}
    for i, g in ipairs(groups) do items[i] = { row = i, key = g.sp .. "/" .. g.group, sp = g.sp, group = g.group } end
  else
    items = { { row = 1, key = "system" } }
  end
  stats.requests = stats.requests + #items
  local lists = p:run(c, items, function(it)
    if not it.sp then
      -- the system-wide list: each user written as it is decoded, none held (c:rows)
      local r, err = c:rows(list_request("UserGetListInSystemRequest", {}, o.limit), write)
      return r and {}, err
    end
    return group_users(c, it.sp, it.group, o.limit)
  end, { label = "user lists" })
  for i = 1, #items do
    if lists[i] then
      for _, u in ipairs(lists[i]) do write(u) end
    else
      stats.failed = stats.failed + 1
    end
  end
end

local o = parse(arg or { ... })
p:settings()

if o.dry_run then
  local plan = o.per_group
    and (#o.groups > 0 and ("UserGetListInGroupRequest for " .. #o.groups .. " group(s)")
      or "ServiceProviderGetListRequest, GroupGetListInServiceProviderRequest per service provider, UserGetListInGroupRequest per group")
    or "UserGetListInSystemRequest"
  -- build one request so that a bad --limit or group id shows up now
  list_request(o.per_group and "UserGetListInGroupRequest" or "UserGetListInSystemRequest",
    o.per_group and { service_provider_id = o.groups[1] and o.groups[1].sp or "sp",
      group_id = o.groups[1] and o.groups[1].group or "g" } or {}, o.limit)
  io.stdout:write(("dry run: would connect to %s\n  send %s\n  write columns %s as %s to %s\n"):format(
    p:target(), plan, table.concat(o.columns, ","), o.format, o.out or "stdout"))
  os.exit(0)
end

local c = p:connect() -- before any output: a failed login leaves no file and no header
local out = p:output(o.columns)
local stats = { users = 0, requests = 0, failed = 0 }
local function write_user(u)
  local vals = {}
  for i, col in ipairs(o.columns) do vals[i] = u[col] end
  out:row(vals)
  stats.users = stats.users + 1
end

export(c, o, write_user, stats)
c:close()
local ok, err = out:close()
if not ok then die(err, pack.EXIT.failed) end
local function count(n, word) return ("%d %s%s"):format(n, word, n == 1 and "" or "s") end
p:finish{ summary = ("%s, %s, %d failed, to %s"):format(count(stats.users, "user"),
  count(stats.requests, "request"), stats.failed, o.out or "stdout") }
