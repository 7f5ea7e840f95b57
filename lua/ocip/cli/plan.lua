-- ocip plan FILE [--group SP/GROUP] [--exit-code]: what ocip apply would change (ocip.config).
local config = require "ocip.config"
local common = require "ocip.cli.config_common"
local profile = require "ocip.profile"

local USAGE = [[
usage: ocip plan FILE [--group SP/GROUP] [--exit-code] [connection flags]
Compares FILE (written by ocip snapshot, edited or by hand; Lua data or JSON) with the
live group and prints the changes ocip apply would make, grouped by entity:
  + user alice@example.net            to add; its fields follow (field = value)
  ~ user bob@example.net              to modify, field by field:
      last_name: "Smith" -> "Smyth"
  - device polycom-17                 to delete
  Plan: 1 to add, 1 to change, 1 to delete.          (or: No changes.)
Nothing is sent but Get requests.
  --group SP/GROUP   compare with this group instead of FILE's own (to copy a group to
                     another group id or system: ids of the group inside FILE follow it)
  --exit-code        exit 5 when there are changes, 0 when there are none (scripts, CI)
  --concurrency N    Get requests in flight at once (default 16)
]] .. common.RULES .. [[

exit:   0 done (no changes, or changes without --exit-code), 5 changes (--exit-code),
        1 error (the group could not be read, or FILE holds values no request accepts),
        2 usage (also: FILE unreadable or not a configuration), 3 could not connect or log in
]] .. profile.HELP

return function(args)
  local o, why = common.parse(args, { ["--group"] = { "group", "s" }, ["--exit-code"] = { "exit_code", true },
    ["--detailed-exitcode"] = { "exit_code", true }, ["--concurrency"] = { "concurrency", "i" } }, 1)
  if not o then
    io.stderr:write("ocip plan: ", why, "\n", USAGE, "\n")
    return common.EXIT.usage
  end
  if o.help then print(USAGE) return 0 end
  if not o.args[1] then
    io.stderr:write("ocip plan: FILE is required\n", USAGE, "\n")
    return common.EXIT.usage
  end
  local want, status = common.load("plan", o.args[1])
  if not want then return status end
  local target = o.target or want.group
  local c
  c, status = common.connect("plan", o.flags)
  if not c then return status end
  local plan, err = config.plan(c, want, target, { concurrency = o.concurrency })
  c:close()
  if not plan then
    io.stderr:write("ocip plan: ", tostring(err), "\n")
    return common.EXIT.failed
  end
  io.stdout:write(config.text(plan))
  if common.problems("plan", plan) then return common.EXIT.failed end
  if #plan.changes > 0 and o.exit_code then return common.EXIT.changes end
  return common.EXIT.ok
end
