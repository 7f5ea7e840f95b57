-- group_users_csv.lua — a group's users as CSV on stdout.
--   ocip docs/examples/group_users_csv.lua SP GROUP > users.csv
local ocip = require "ocip"
local csv = require "ocip.csv"
package.path = (arg[0]:match("^(.*/)") or "./") .. "?.lua;" .. package.path
local connect = require "connect"

local sp, group = ...
if not (sp and group) then
  io.stderr:write("usage: ocip group_users_csv.lua SERVICE_PROVIDER GROUP\n")
  os.exit(2)
end
local c <close> = connect()
local list = assert(c:UserGetListInGroupRequest{ service_provider_id = sp, group_id = group })
local columns = { "user_id", "last_name", "first_name", "phone_number", "extension", "email_address" }
local w = csv.writer(io.stdout) -- RFC 4180; cells a spreadsheet would run are neutralised
w:row(columns)
for _, row in ipairs(list.user_table) do
  local line = {}
  for i, k in ipairs(columns) do line[i] = row[k] end
  w:row(line, #columns)
end
io.stderr:write(#list.user_table, " users\n")
