-- users_add: bulk add users from a CSV file (UserAddRequest22V2 per row).
--   ocip run scripts/users_add.lua USERS.csv [--dry-run] [--report FILE] [--resume REPORT]
--        [--limit N] [--concurrency N] [--rate N] [connection flags]
-- Columns (header row, any order; "," or ";" separated): service_provider_id, group_id,
-- user_id, last_name, first_name, and optionally calling_line_id_last_name,
-- calling_line_id_first_name (default: last/first name), password, phone_number (the
-- national number, or users_export's +CC-NUMBER), extension, email_address, department (a
-- group department name), hiragana_last_name, hiragana_first_name. Every row is validated
-- against the catalog first; an invalid row, or a user_id already on an earlier row, is
-- skipped and reported. A user that already exists is outcome "exists" (not a failure).
-- --dry-run prints what would be sent (passwords masked) and connects to nothing.
local ocip = require "ocip"
local pack = require "ocip.pack"

local COMMAND = "UserAddRequest22V2"
local REQUIRED = { "service_provider_id", "group_id", "user_id", "last_name", "first_name" }
local OPTIONAL = { "calling_line_id_last_name", "calling_line_id_first_name", "password",
  "phone_number", "extension", "email_address", "department", "hiragana_last_name",
  "hiragana_first_name" }
local KNOWN = {}
for _, k in ipairs(REQUIRED) do KNOWN[k] = true end
for _, k in ipairs(OPTIONAL) do KNOWN[k] = true end
-- users_export columns that cannot be set here: ignored (with a note), so that an
-- export file can be fed back in.
local READ_ONLY = "read-only, assigned by the server"
local IGNORED = { user_external_id = READ_ONLY, reseller_id = READ_ONLY,
  phone_number_activated = READ_ONLY, in_trunk_group = READ_ONLY, country_code = READ_ONLY,
  national_prefix = READ_ONLY }
-- BroadWorks user ids are case-insensitive: two rows differing in case are one user
local function same_user(it) return it.key:lower() end
-- fields filled from the user's own column when absent: errors name that column
local DEFAULTED = { calling_line_id_last_name = "last_name", calling_line_id_first_name = "first_name" }

local p = pack.new{
  name = "users_add",
  args = { min = 1, max = 1, name = "CSV file" },
  resume = true, concurrency = "auto", -- enough in flight to fill every session's documents
  usage = [[
usage: ocip run scripts/users_add.lua USERS.csv [flags]
  USERS.csv  header row + one user per row ("-" = stdin; "," or ";" separated); columns:
             ]] .. table.concat(REQUIRED, ",") .. [[ (required),
             ]] .. pack.wrap(OPTIONAL, ",", "             ") .. [[ (optional);
             phone_number: the national number (3125550101) or users_export's +1-3125550101;
             users_export's read-only columns (user_external_id, ...) are ignored
  outcome exists: the user was already there (server error 4010), not a failure]],
}
local o = p:parse(arg or { ... })

local header, rows = p:read_csv(o.args[1])
local have = {}
for _, name in ipairs(header) do
  if IGNORED[name] then
    io.stderr:write(("users_add: ignoring column %s (%s)\n"):format(name, IGNORED[name]))
  elseif not KNOWN[name] then p:die("unknown column " .. name .. " (known: "
    .. table.concat(REQUIRED, ",") .. "," .. table.concat(OPTIONAL, ",") .. ")") end
  have[name] = true
end
for _, name in ipairs(REQUIRED) do
  if not have[name] then p:die("missing column " .. name) end
end
rows = p:take(rows)

-- row -> request object, or nil, validation error naming the field
local function request(row)
  if row._error then
    return nil, ocip.Error.new("validation", "row " .. row._row .. ": " .. row._error)
  end
  local f = {}
  for _, k in ipairs(REQUIRED) do f[k] = row[k] end
  for _, k in ipairs(OPTIONAL) do f[k] = row[k] end
  -- users_export writes the display form +CC-NUMBER; the request takes the national
  -- number (the group's country code applies)
  local national = f.phone_number and f.phone_number:match("^%+%d+%-(%d+)$")
  if national then f.phone_number = national end
  local given = {} -- the row's own values, for the dry run's listing
  for k, v in pairs(f) do given[k] = v end
  local defaulted = {}
  for dst, src in pairs(DEFAULTED) do
    if f[dst] == nil then f[dst], defaulted[dst] = f[src], true end
  end
  if f.department then
    f.department = { _type = "GroupDepartmentKey", service_provider_id = f.service_provider_id,
      group_id = f.group_id, name = f.department }
  end
  local req, err = ocip.catalog.build(COMMAND, f)
  if not req and err.problems then
    -- a defaulted field holds the user's own value: name the column they wrote, once
    local kept, seen = {}, {}
    for _, pr in ipairs(err.problems) do
      local dst = pr.field:match("^" .. COMMAND .. "%.([%w_]+)$")
      if dst and defaulted[dst] then pr = { field = COMMAND .. "." .. DEFAULTED[dst], message = pr.message } end
      local key = pr.field .. "\0" .. pr.message
      if not seen[key] then seen[key], kept[#kept + 1] = true, pr end
    end
    err = require("ocip.validate").error(COMMAND, kept)
  end
  return req, err, given
end

local function shown(v)
  if type(v) == "table" then
    local parts = {}
    for k, x in pairs(v) do if k ~= "_type" then parts[#parts + 1] = k .. "=" .. shown(x) end end
    table.sort(parts)
    return "{" .. table.concat(parts, " ") .. "}"
  end
  v = tostring(v)
  return v:match("^[%w@._+:-]+$") and v or ("%q"):format(v)
end

local items = {}
for _, row in ipairs(rows) do
  local key = row.user_id or ""
  local req, err, fields = request(row)
  if req then
    items[#items + 1] = { row = row._row, key = key, req = req, fields = fields }
  else
    p:skip(row._row, key, err)
  end
end
items = p:prepare(items, { unique = same_user })

if o.dry_run then
  p:settings(true)
  io.stdout:write(("dry run: would connect to %s and send %d %s:\n"):format(p:target(), #items, COMMAND))
  for _, it in ipairs(items) do
    local parts = {}
    for _, k in ipairs(REQUIRED) do parts[#parts + 1] = k .. "=" .. shown(it.fields[k]) end
    for _, k in ipairs(OPTIONAL) do
      local v = it.fields[k]
      if v ~= nil then parts[#parts + 1] = k .. "=" .. (k == "password" and "***" or shown(v)) end
    end
    io.stdout:write(("  row %d: %s %s\n"):format(it.row, COMMAND, table.concat(parts, " ")))
    p:ok(it.row, it.key)
  end
  p:finish("rows")
end

local c = p:connect()
p:run(c, items, function(it) return c:command(it.req) end, { codes = { [4010] = "exists" } })
c:close()
p:finish("rows")
