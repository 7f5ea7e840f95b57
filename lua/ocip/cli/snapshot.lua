-- ocip snapshot --group SP/GROUP [--out FILE] [--format lua|json]: a group's configuration
-- as a file for ocip plan / ocip apply (ocip.config).
local config = require "ocip.config"
local common = require "ocip.cli.config_common"
local profile = require "ocip.profile"

local USAGE = [[
usage: ocip snapshot --group SP/GROUP [--out FILE] [--format lua|json] [connection flags]
Writes the configuration of one group as Lua data or JSON: its profile, departments,
phone numbers, access devices, users (with their services and service packs), hunt groups
(with their agents), call centers (with their agents), auto attendants (with their menus)
and call pickup groups (with their members). Keys are sorted, entities keyed and sorted by
id, one field per line, nothing volatile: the file is made for git diff and review, and
for ocip plan / ocip apply (the same group later, or another group or system).
  --group SP/GROUP   the service provider (or enterprise) and the group to read
  --out FILE         write FILE (as FILE.part, renamed when complete); default stdout
  --format lua|json  default: json when FILE ends in .json, else lua. A Lua file is data
                     only (return { ... }); ocip loads it without running any code.
  --concurrency N    Get requests in flight at once (default 16)
kept:   the fields of each entity that its Add or Modify request can set; left out: what
        the server computes (user counts, statuses, display names, default aliases), ids of
        the group itself inside records (e.g. a user's department key: the file applies to
        another group unchanged), and passwords (a server never returns them)
exit:   0 written, 1 the group could not be read (not found, refused), 2 usage,
        3 could not connect or log in
]] .. profile.HELP

return function(args)
  local o, why = common.parse(args, { ["--group"] = { "group", "s" }, ["--out"] = { "out", "s" },
    ["-o"] = { "out", "s" }, ["--format"] = { "format", "s" }, ["--concurrency"] = { "concurrency", "i" } }, 0)
  if not o then
    io.stderr:write("ocip snapshot: ", why, "\n", USAGE, "\n")
    return common.EXIT.usage
  end
  if o.help then print(USAGE) return 0 end
  if not o.target then
    io.stderr:write("ocip snapshot: --group SP/GROUP is required\n", USAGE, "\n")
    return common.EXIT.usage
  end
  local format = o.format or (o.out and o.out:lower():match("%.json$") and "json") or "lua"
  if format ~= "lua" and format ~= "json" then
    io.stderr:write("ocip snapshot: --format: ", format, " is not lua or json\n")
    return common.EXIT.usage
  end
  local c, status = common.connect("snapshot", o.flags)
  if not c then return status end
  local state, err = config.snapshot(c, o.target, { concurrency = o.concurrency })
  c:close()
  if not state then
    io.stderr:write("ocip snapshot: ", tostring(err), "\n")
    return common.EXIT.failed
  end
  local text = config.encode(state, format)
  if not o.out or o.out == "-" then
    io.stdout:write(text)
    return 0
  end
  local ok, werr = require("ocip.config.file").write(o.out, text)
  if not ok then
    io.stderr:write("ocip snapshot: ", o.out, ": ", tostring(werr.message or werr), "\n")
    return common.EXIT.failed
  end
  local n = 0
  for _, s in ipairs(require("ocip.config.file").SECTIONS) do
    if type(state[s]) == "table" and s ~= "profile" then
      for _ in pairs(state[s]) do n = n + 1 end
    end
  end
  io.stderr:write(("ocip snapshot: %s: %s written (%d entities)\n"):format(common.where(o.target), o.out, n))
  return 0
end
