-- ocip.repl.history: the REPL's history file, one entry per line (a multi-line chunk
-- is one entry: "\" and newline are escaped as "\\" and "\n"). The file is ours, not
-- libedit's, so that it is kept the same way at a terminal and through a pipe.
--   history.path(getenv) -> OCIP_HISTORY, else ~/.ocip_history (nil without HOME)
--   history.load(path) -> array of entries (oldest first; missing file: empty)
--   history.keep(entry) -> false for lines that must not be saved (passwords, blank)
--   history.append(path, entry) -> true or nil, err   (a new file gets mode 0600)
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

-- Best effort: anything that mentions a password, passcode, PIN, secret or token
-- stays out of the file.
local SECRET_WORDS = { "passw", "passc", "secret", "token" }
function M.keep(entry)
  if type(entry) ~= "string" or not entry:find("%S") then return false end
  local lower = entry:lower()
  for _, w in ipairs(SECRET_WORDS) do
    if lower:find(w, 1, true) then return false end
  end
  -- pin as a word of its own (pin, new_pin, pin_code, newPin, PIN), not "spin"/"pinned"
  return not (lower:find("%f[%w]pin%f[^%w]") or entry:find("%lPin%f[^%w]") or entry:find("PIN", 1, true))
end

-- core.append_private creates the file with mode 0600 from the start.
function M.append(path, entry)
  if not path then return nil, "no history file" end
  local ok, err = require("ocip.core").append_private(path, encode(entry) .. "\n")
  if not ok then return nil, err and err.message or tostring(err) end
  return true
end

return M
