-- users_delete: bulk delete users listed in a CSV file (UserDeleteRequest per row).
--   ocip run scripts/users_delete.lua USERS.csv --yes [--report FILE] [--resume REPORT]
--        [--limit N] [--concurrency N] [--rate N] [connection flags]
--   ocip run scripts/users_delete.lua USERS.csv --dry-run
-- The CSV needs a user_id column (other columns are ignored, so a users_export file
-- works as input). Deleting needs --yes unless --dry-run: without it nothing is sent
-- and the exit status is 2. A user already gone is outcome "absent" (not a failure).
local ocip = require "ocip"
local pack = require "ocip.pack"

local COMMAND = "UserDeleteRequest"

local p = pack.new{
  name = "users_delete",
  args = { min = 1, max = 1, name = "CSV file" },
  options = { ["--yes"] = { "yes", true }, ["-y"] = { "yes", true } },
  resume = true, concurrency = "auto", -- enough in flight to fill every session's documents
  usage = [[
usage: ocip run scripts/users_delete.lua USERS.csv (--yes | --dry-run) [flags]
  USERS.csv  header row with a user_id column ("-" = stdin; "," or ";" separated)
  --yes      really delete (required unless --dry-run)
  outcome absent: the user was not there (server error 4008), not a failure]],
}
local o = p:parse(arg or { ... })

local header, rows = p:read_csv(o.args[1])
local found = false
for _, name in ipairs(header) do found = found or name == "user_id" end
if not found then p:die("missing column user_id") end
rows = p:take(rows)

local items = {}
for _, row in ipairs(rows) do
  local key = row.user_id or ""
  local req, err = ocip.catalog.build(COMMAND, { user_id = row.user_id })
  if row._error then err, req = ocip.Error.new("validation", "row " .. row._row .. ": " .. row._error), nil end
  if req then items[#items + 1] = { row = row._row, key = key, req = req }
  else p:skip(row._row, key, err) end
end
items = p:prepare(items, { unique = function(it) return it.key:lower() end })

if o.dry_run then
  p:settings(true)
  io.stdout:write(("dry run: would connect to %s and delete %d user(s):\n"):format(p:target(), #items))
  for _, it in ipairs(items) do
    io.stdout:write(("  row %d: %s user_id=%s\n"):format(it.row, COMMAND, it.key))
    p:ok(it.row, it.key)
  end
  p:finish("rows")
end

if not o.yes then
  p:die(("refusing to delete %d user(s) without --yes (try --dry-run first)"):format(#items))
end

local c = p:connect()
p:run(c, items, function(it) return c:command(it.req) end, { codes = { [4008] = "absent" } })
c:close()
p:finish("rows")
