-- ocip repl [--no-banner]: the interactive prompt (lua/ocip/repl). When the input
-- ends the process exits at once: a simulator or other tasks started at the prompt
-- would otherwise keep the host running with nobody left to stop them.
local USAGE = [[
usage: ocip repl [--no-banner]
  Lua prompt with every request as c:Name{...} (Tab completes requests and fields).
  Helpers: connect{...} (profile/OCIP_* settings, stores the client as c),
  describe "Name", find "text". History: OCIP_HISTORY or ~/.ocip_history.
  Commands: :table, :json, :csv (how results print), :pager on|off (results taller
  than the screen go through $PAGER, default less -FRX), :help.]]

return function(args)
  local banner = true
  for _, a in ipairs(args) do
    if a == "--no-banner" then banner = false
    elseif a == "-h" or a == "--help" then print(USAGE) return 0
    else
      io.stderr:write("ocip repl: unknown option ", a, "\n", USAGE, "\n")
      return 2
    end
  end
  local status = require("ocip.repl").run { banner = banner }
  io.stdout:flush()
  io.stderr:flush()
  os.exit(status, false)
end
