-- ocip.repl.history: the REPL's history file, one entry per line (a multi-line chunk
-- is one entry: "\" and newline are escaped as "\\" and "\n"). The file is ours, not
-- libedit's, so that it is kept the same way at a terminal and through a pipe.
--   history.path(getenv) -> OCIP_HISTORY, else ~/.ocip_history (nil without HOME)
--   history.load(path) -> array of entries (oldest first; missing file: empty)
--   history.keep(entry) -> false for lines that must not be saved (passwords, blank)
--   history.append(path, entry) -> true or nil, err   (file mode 0600 where supported)
local M = {}

M.MAX = 1000

function M.path(getenv)
  getenv = getenv or os.getenv
  local p = getenv("OCIP_HISTORY")
  if p and p ~= "" then return p end
  local home = getenv("HOME")
  if home and home ~= "" then return home .. "/.ocip_history" end
end

local function encode(s) return (s:gsub("\\", "\\\\"):gsub("\n", "\\n")) end
local function decode(s) return (s:gsub("\\(.)", { ["\\"] = "\\", n = "\n" })) end

function M.load(path)
  local out = {}
  local f = path and io.open(path, "r")
  if not f then return out end
  for line in f:lines() do if line ~= "" then out[#out + 1] = decode(line) end end
  f:close()
  if #out > M.MAX then
    local all = #out
    out = table.move(out, all - M.MAX + 1, all, 1, {})
    if all > 2 * M.MAX then -- keep the file bounded: rewrite it with the newest entries
      local w = io.open(path, "w")
      if w then
        for _, e in ipairs(out) do w:write(encode(e), "\n") end
        w:close()
      end
    end
  end
  return out
end

-- Best effort: anything that mentions a password (or secret/token) stays out of the file.
function M.keep(entry)
  if type(entry) ~= "string" or not entry:find("%S") then return false end
  local lower = entry:lower()
  return not (lower:find("passw", 1, true) or lower:find("secret", 1, true) or lower:find("token", 1, true))
end

function M.append(path, entry)
  if not path then return nil, "no history file" end
  local probe = io.open(path, "r")
  local fresh = probe == nil
  if probe then probe:close() end
  local f, err = io.open(path, "a")
  if not f then return nil, err end
  f:write(encode(entry), "\n")
  f:close()
  if fresh then pcall(os.execute, "chmod 600 '" .. path:gsub("'", "'\\''") .. "' 2>/dev/null") end
  return true
end

return M
