-- users_without_number.lua — users of the whole system that have no phone number.
--   ocip docs/examples/users_without_number.lua
package.path = (arg[0]:match("^(.*/)") or "./") .. "?.lua;" .. package.path
local connect = require "connect"

local c <close> = connect()
local list = assert(c:UserGetListInSystemRequest{})
local count = 0
for _, row in ipairs(list.user_table) do
  if not row.phone_number then
    count = count + 1
    print(row.user_id, row.group_id, row.last_name, row.first_name)
  end
end
io.stderr:write(count, " of ", #list.user_table, " users have no phone number\n")
