-- Drives a command in a pseudo-terminal for the REPL specs: builds spec/support/pty.c
-- (once, into the build directory, with the C compiler the project builds with) and runs
--   pty.run(steps, opts) -> transcript (CRLF turned into LF), exit code, stderr
-- steps: array of { "expect", text } (wait until the output since the last match holds
-- text; "\n" stands for the terminal's CRLF) and { "send", text } (type text: "\r" is Enter, "\3" Ctrl-C, "\4" Ctrl-D,
-- "\t" Tab). opts: rows, cols (24 x 80), env (name -> value, added to a fixed
-- TERM=vt100, HOME, OCIP_HISTORY), args (the host's arguments, default "repl"),
-- timeout (seconds for each step, default 30). The driver's stderr names a step that
-- did not come and any terminal state the command left behind (non-blocking mode, no
-- echo, no canonical mode). An env value false removes that variable.
local helpers = require "spec.helpers"

local M = {}
local q = helpers.shell_quote

local built
local function driver()
  if built then return built end
  local root = helpers.repo_root()
  local src = root .. "/spec/support/pty.c"
  local dir = helpers.build_dir() .. "/spec"
  local bin = dir .. "/pty"
  local cmd = ("mkdir -p %s && { [ %s -nt %s ] || ${CC:-cc} -std=c11 -O2 -Wall -o %s %s; }")
    :format(q(dir), q(bin), q(src), q(bin), q(src))
  local _, code, err = helpers.exec(cmd)
  assert(code == 0, "could not build the pty driver: " .. tostring(err))
  built = bin
  return bin
end

local function escape(s)
  return (s:gsub("[%c\\]", function(c)
    if c == "\\" then return "\\\\" end
    return ("\\x%02x"):format(c:byte())
  end))
end

function M.run(steps, opts)
  opts = opts or {}
  local dir = os.tmpname()
  os.remove(dir)
  assert(os.execute("mkdir -p " .. q(dir)))
  local f = assert(io.open(dir .. "/steps", "w"))
  for _, s in ipairs(steps) do
    assert(s[1] == "expect" or s[1] == "send", "unknown step " .. tostring(s[1]))
    local text = s[1] == "expect" and s[2]:gsub("\r?\n", "\r\n") or s[2]
    f:write(s[1], " ", escape(text), "\n")
  end
  f:close()
  local env = { TERM = "vt100", HOME = dir, OCIP_HISTORY = dir .. "/history" }
  for k, v in pairs(opts.env or {}) do env[k] = v end
  local names = {}
  for k in pairs(env) do names[#names + 1] = k end
  table.sort(names)
  local unset, assigns = {}, {} -- env takes its -u options before any NAME=value
  for _, k in ipairs(names) do
    if env[k] == false then unset[#unset + 1] = "-u " .. k
    else assigns[#assigns + 1] = k .. "=" .. q(env[k]) end
  end
  table.move(assigns, 1, #assigns, #unset + 1, unset)
  assigns = unset
  local cmd = ("cd %s && env %s %s -r %d -c %d -t %d steps -- %s %s"):format(
    q(dir), table.concat(assigns, " "), q(driver()), opts.rows or 24, opts.cols or 80,
    opts.timeout or 30, q(helpers.host()), opts.args or "repl")
  local out, code, err = helpers.exec(cmd)
  os.execute("rm -rf " .. q(dir))
  return (out:gsub("\r\n", "\n")), code, err
end

return M
