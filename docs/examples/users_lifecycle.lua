-- users_lifecycle.lua — add, modify and delete N users in a group, all at once:
-- every command is a coroutine; the pool batches them 15 per document over 4 sessions.
--   ocip docs/examples/users_lifecycle.lua SP GROUP [N=500]
local ocip = require "ocip"
package.path = (arg[0]:match("^(.*/)") or "./") .. "?.lua;" .. package.path
local connect = require "connect"

local sp, group, n = ...
n = math.tointeger(tonumber(n or 500))
if not (sp and group and n and n > 0) then
  io.stderr:write("usage: ocip users_lifecycle.lua SERVICE_PROVIDER GROUP [N]\n")
  os.exit(2)
end
local c <close> = connect()
local ids = {}
for i = 1, n do ids[i] = ("lifecycle%05d@example.net"):format(i) end

-- each phase: one command per user, at most 200 in flight; counts failures
local function phase(name, fn)
  local _, errors = ocip.gather(ids, fn, { limit = 200 })
  local failed = 0
  for i = 1, n do
    if errors[i] then
      failed = failed + 1
      if failed <= 5 then io.stderr:write(name, " ", ids[i], ": ", tostring(errors[i]), "\n") end
    end
  end
  print(("%-6s %d ok, %d failed"):format(name, n - failed, failed))
  return failed
end

local failed = phase("add", function(id)
  return c:UserAddRequest22V2{
    service_provider_id = sp, group_id = group, user_id = id,
    last_name = "Lifecycle", first_name = id:match("^(%w+)"),
    calling_line_id_last_name = "Lifecycle", calling_line_id_first_name = "Test",
    password = "Welcome-2026!",
  }
end)
failed = failed + phase("modify", function(id)
  return c:UserModifyRequest22{ user_id = id, last_name = "Modified" }
end)
failed = failed + phase("delete", function(id)
  return c:UserDeleteRequest{ user_id = id }
end)
os.exit(failed == 0 and 0 or 1)
