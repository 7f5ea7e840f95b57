-- ocip.packs: where `ocip run NAME` finds script packs, and `ocip packs` lists them.
-- A pack is a file NAME.lua whose first line is `-- NAME: one-line description`.
-- Folders, first match wins (so a user's pack may shadow a bundled one of the same name):
--   1. each folder of OCIP_PACK_PATH (':'-separated), in order;
--   2. $XDG_CONFIG_HOME/ocip/packs, else ~/.config/ocip/packs;
--   3. the bundled packs: EXE_DIR/../share/ocip/scripts (installed by `make install`),
--      then EXE_DIR/../scripts (the source tree, for build/ocip).
-- Installing a third-party pack is copying its .lua file into one of these folders.
local core = require "ocip.core"

local M = {}

local function dirname(path) return path:match("^(.*)/[^/]*$") or "." end

-- "/usr/local/bin/../share" -> "/usr/local/share" (textual; enough for display and lookup)
local function normalize(path)
  local parts, abs = {}, path:sub(1, 1) == "/"
  for part in path:gmatch("[^/]+") do
    if part == ".." and #parts > 0 and parts[#parts] ~= ".." then parts[#parts] = nil
    elseif part ~= "." then parts[#parts + 1] = part end
  end
  return (abs and "/" or "") .. table.concat(parts, "/")
end

local function readable(path)
  local f = io.open(path, "r")
  if not f then return false end
  f:close()
  return true
end

--- packs.dirs() -> array of { path=, origin= } in search order (folders may not exist)
function M.dirs()
  local out = {}
  local function add(path, origin)
    if path and path ~= "" then out[#out + 1] = { path = normalize(path), origin = origin } end
  end
  for dir in (os.getenv("OCIP_PACK_PATH") or ""):gmatch("[^:]+") do add(dir, "OCIP_PACK_PATH") end
  local xdg, home = os.getenv("XDG_CONFIG_HOME"), os.getenv("HOME")
  if xdg and xdg ~= "" then add(xdg .. "/ocip/packs", "user")
  elseif home and home ~= "" then add(home .. "/.config/ocip/packs", "user") end
  local exe = core.exe_path and core.exe_path()
  if exe then
    local bin = dirname(exe)
    add(bin .. "/../share/ocip/scripts", "bundled")
    add(bin .. "/../scripts", "bundled")
  end
  return out
end

--- packs.valid_name(name) -> true when name can be a pack name (no path, no extension)
function M.valid_name(name)
  return type(name) == "string" and name:match("^[%w_][%w_%-]*$") ~= nil
end

--- packs.find(name) -> path, or nil and the list of folders searched
function M.find(name)
  local searched = {}
  if not M.valid_name(name) then return nil, searched end
  for _, d in ipairs(M.dirs()) do
    local path = d.path .. "/" .. name .. ".lua"
    searched[#searched + 1] = d.path
    if readable(path) then return path end
  end
  return nil, searched
end

--- packs.describe(path) -> the one-line description from the pack's first line, or ""
function M.describe(path, name)
  local f = io.open(path, "r")
  if not f then return "" end
  local line = f:read("l") or ""
  f:close()
  local text = line:match("^%-%-%s*" .. name:gsub("%p", "%%%0") .. "%s*:%s*(.-)%s*$")
    or line:match("^%-%-%s*(.-)%s*$") or ""
  return text
end

--- packs.list() -> array of { name=, path=, origin=, description=, shadowed= } sorted by
-- name; a pack shadowed by an earlier folder is listed with `shadowed = path of the winner`.
function M.list()
  local seen, out = {}, {}
  for _, d in ipairs(M.dirs()) do
    local names = core.list_dir(d.path)
    if names then
      table.sort(names)
      for _, file in ipairs(names) do
        local name = file:match("^(.+)%.lua$")
        if name and M.valid_name(name) then
          local path = d.path .. "/" .. file
          out[#out + 1] = { name = name, path = path, origin = d.origin,
            description = M.describe(path, name), shadowed = seen[name] }
          seen[name] = seen[name] or path
        end
      end
    end
  end
  table.sort(out, function(a, b)
    if a.name ~= b.name then return a.name < b.name end
    return (a.shadowed and 1 or 0) < (b.shadowed and 1 or 0)
  end)
  return out
end

return M
