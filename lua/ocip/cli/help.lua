-- ocip help [TOPIC]: the command line's help, one topic per subcommand plus the shared
-- topics (connection settings, exit codes, packs). `ocip --help` prints TOPICS.overview.
local M = {}

local TOPICS = {}
M.TOPICS = TOPICS

TOPICS.overview = [==[
usage: ocip COMMAND [args]         (ocip help COMMAND for one command)
       ocip [options] [script.lua [args]]
commands:
  run FILE|PACK [args]   run a Lua script, or a pack by name (ocip packs lists them)
  repl                   interactive prompt with completion (also: ocip with no argument)
  send CMD k=v ...       one request from the command line; table, JSON or CSV output
  bulk REQUEST FILE      any request, one per row of a CSV / JSON / NDJSON file (ocip help bulk)
  describe CMD           fields of a request; describe --find TEXT searches request names
  packs                  list the script packs found, with their descriptions
  snapshot --group SP/G  write a group's configuration to a file (Lua data or JSON)
  plan FILE              what apply would change: + add, ~ modify field by field, - delete
  apply FILE --yes       make a live group match FILE, in dependency order
  sim                    a local OCI-P simulator (TCP, TLS, SOAP) for trying things out
  help [TOPIC]           this help; topics: the commands above, connect, exit, lua
options (as lua5.4's): -e stat, -l mod, -i, -v/--version, -E, -W, --, -   (ocip help lua)]==]

TOPICS.lua = [==[
usage: ocip [options] [script [args]]
  -e stat   execute string 'stat'
  -i        enter interactive mode after executing 'script'
  -l mod    require library 'mod' into global 'mod' (-l g=mod: into global 'g')
  -v        show version information (also --version)
  -E        ignore environment variables
  -W        turn warnings on
  -h        show the help and exit (also --help)
  --        stop handling options
  -         stop handling options and execute stdin
Scripts run as the main task of the scheduler: OCI-P calls suspend only their coroutine.
Stock lua5.4 can `require "ocip"` (ocip.so) and drive it with ocip.run(main).]==]

TOPICS.run = [==[
usage: ocip run FILE [args]     run a Lua script (same as: ocip FILE [args])
       ocip run PACK [args]     run a script pack by name: PACK.lua found in, in order,
                                the folders of OCIP_PACK_PATH (':'-separated),
                                ~/.config/ocip/packs, and the bundled packs
Each pack has its own --help (e.g. ocip run users_add --help). Installing a pack is
copying its .lua file into one of those folders; ocip packs lists what is found.]==]

TOPICS.packs = [==[
usage: ocip packs               list every pack found (name, description, folder)
Folders searched, first match wins: OCIP_PACK_PATH, ~/.config/ocip/packs (or
$XDG_CONFIG_HOME/ocip/packs), then the bundled packs. A pack is NAME.lua whose first
line is `-- NAME: one-line description`.]==]

TOPICS.connect = [==[
Connection settings, lowest precedence first: the profile file (OCIP_PROFILE, else
~/.config/ocip/profile.lua: a Lua chunk returning a table of ocip.connect options),
OCIP_* environment variables (OCIP_HOST, OCIP_PORT, OCIP_USERNAME, OCIP_PASSWORD,
OCIP_TLS, OCIP_TRANSPORT, ...), then command-line flags (--host, --port, --user, ...;
each command's --help lists them). Passwords are read from the profile or OCIP_PASSWORD,
never from the command line, and never logged.]==]

TOPICS.exit = [==[
exit status of ocip's commands and packs:
  0    everything done
  1    some items failed (a pack's rows, a request answered with an error)
  2    usage error (bad flag or value); nothing done
  3    could not connect or log in; nothing done
  130  interrupted (SIGINT/SIGTERM): what was in flight finished, the report was written]==]

local function subcommand_help(name)
  -- the subcommands print their own usage for --help; run it and keep the exit status
  local cli = require "ocip.cli"
  local f = cli.SUBCOMMANDS[name]
  if not f or name == "help" then return nil end
  return f({ "--help" })
end

--- help.main(args) -> exit status
function M.main(args)
  local topic = args[1]
  if topic == nil or topic == "overview" or topic == "--help" or topic == "-h" then
    print(TOPICS.overview)
    return 0
  end
  if TOPICS[topic] then
    print(TOPICS[topic])
    return 0
  end
  local status = subcommand_help(topic)
  if status ~= nil then return status end
  local names = {}
  for k in pairs(TOPICS) do names[#names + 1] = k end
  for k in pairs(require("ocip.cli").SUBCOMMANDS) do
    if not TOPICS[k] and k ~= "help" then names[#names + 1] = k end
  end
  table.sort(names)
  io.stderr:write("ocip help: no topic '", tostring(topic), "'; topics: ", table.concat(names, ", "), "\n")
  return 2
end

return M
