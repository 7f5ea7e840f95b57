-- ocip packs: every script pack found (ocip.packs), one line each.
local packs = require "ocip.packs"

local USAGE = [[
usage: ocip packs [--paths]
  Lists the packs `ocip run NAME` finds: name, description and folder origin.
  --paths   also print each pack's file (and packs shadowed by an earlier folder)
Folders searched, first match wins: OCIP_PACK_PATH (':'-separated), ~/.config/ocip/packs
(or $XDG_CONFIG_HOME/ocip/packs), then the bundled packs.]]

return function(args)
  local paths = false
  for _, a in ipairs(args) do
    if a == "-h" or a == "--help" then print(USAGE) return 0
    elseif a == "--paths" then paths = true
    else
      io.stderr:write("ocip packs: unknown option ", a, "\n", USAGE, "\n")
      return 2
    end
  end
  local list = packs.list()
  local width = 4
  for _, p in ipairs(list) do if #p.name > width then width = #p.name end end
  local shown = 0
  for _, p in ipairs(list) do
    if not p.shadowed then
      shown = shown + 1
      io.stdout:write(("%-" .. width .. "s  %s"):format(p.name, p.description))
      if p.origin ~= "bundled" then io.stdout:write("  [", p.origin, "]") end
      io.stdout:write("\n")
      if paths then io.stdout:write(("%-" .. width .. "s    %s\n"):format("", p.path)) end
    elseif paths then
      io.stdout:write(("%-" .. width .. "s    %s (shadowed)\n"):format("", p.path))
    end
  end
  if shown == 0 then
    local dirs = {}
    for _, d in ipairs(packs.dirs()) do dirs[#dirs + 1] = d.path end
    io.stderr:write("ocip packs: no pack found in ", table.concat(dirs, ", "), "\n")
  end
  return 0
end
