-- ocip.repl.output: where the prompt's results go. Text taller than the terminal goes
-- through a pager when stdout is a terminal and paging is on (:pager on|off): $PAGER,
-- else `less -FRX` when less is installed; PAGER set to "" or "cat" means none. The
-- pager runs beside the loop (core.pager): servers and background tasks keep going
-- while the user reads. If it cannot run, the text is printed as it is: a result is
-- never lost (unless the user stopped the pager with Ctrl-C).
--   output.new{ out = file, err = file, tty = bool, getenv = os.getenv } -> o
--   o:emit(text)            writes text (+ "\n"), paged when taller than the screen
--   o:size() -> rows, cols  of the terminal (nil when stdout is not one)
--   o.paging                true/false (:pager on/off)
--   o:pager_command() -> the command line, or nil when there is none
local core = require "ocip.core"

local M = {}
M.__index = M

function M.new(opts)
  local o = setmetatable({
    out = opts.out or io.stdout, err = opts.err or io.stderr,
    tty = opts.tty, getenv = opts.getenv or os.getenv, paging = true,
  }, M)
  return o
end

function M:size()
  if not self.tty then return nil end
  return core.term_size(1)
end

local function on_path(name, path)
  for dir in (path or ""):gmatch("[^:]+") do
    local f = io.open(dir .. "/" .. name, "r")
    if f then
      f:close()
      return true
    end
  end
  return false
end

function M:pager_command()
  local pager = self.getenv("PAGER")
  if pager == nil then
    return on_path("less", self.getenv("PATH")) and "less -FRX" or nil
  end
  if pager:match("^%s*$") or pager:match("^%s*cat%s*$") then return nil end
  return pager
end

-- A command without shell syntax runs directly, so that Ctrl-C reaches the pager itself
-- (less handles it) rather than a shell that would die of it and leave the pager running
-- behind our prompt; anything else goes through /bin/sh -c.
local function argv(command)
  if not command:match("^[%w%-_./+,:@%%=%s]+$") then return command end
  local words = {}
  for w in command:gmatch("%S+") do words[#words + 1] = w end
  if #words == 0 or words[1]:find("=", 1, true) then return command end -- FOO=1 less
  return words
end

local SIGINT_STATUS = 130 -- 128 + SIGINT: the user stopped the pager

-- Lines the text takes on a screen `cols` wide (long lines wrap).
local function screen_lines(text, cols)
  local n = 0
  for line in (text .. "\n"):gmatch("(.-)\n") do
    local w = utf8.len(line) or #line
    n = n + math.max(1, (w + cols - 1) // cols)
  end
  return n
end

function M:emit(text)
  local rows, cols = self:size()
  local command = self.paging and rows and self:pager_command()
  -- one line stays for the prompt that follows
  if command and screen_lines(text, cols) > rows - 1 then
    self.out:flush()
    local ok, err = core.pager(argv(command), text .. "\n")
    if ok or (err and err.status == SIGINT_STATUS) then return end
    self.err:write("ocip: pager '", command, "' failed (", err and err.message or "?",
      "); :pager off turns paging off\n")
    self.err:flush()
  end
  self.out:write(text, "\n")
  self.out:flush()
end

return M
