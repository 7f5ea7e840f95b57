-- ocip.repl: the interactive prompt (`ocip` at a terminal, `ocip repl`, `ocip -i`).
-- Each entry runs as its own task, so commands wait for their answers while the loop
-- keeps serving (a simulator or background tasks started here keep running between
-- lines). Like lua.c: an expression prints its values (`return <line>` is tried first,
-- `=expr` too), an incomplete chunk asks for more with ">> ", errors are printed and the
-- prompt stays. Results print through ocip.repl.show (responses and OCITables as text,
-- JSON or CSV) and ocip.repl.output (a pager for results taller than the terminal).
-- Lines starting with ":" are the prompt's own commands (:help lists them).
--   repl.run{ banner = true|false, input = editor (tests), env = _G } -> exit status
local core = require "ocip.core"
local Error = require "ocip.error"
local complete = require "ocip.repl.complete"
local history = require "ocip.repl.history"
local output = require "ocip.repl.output"
local show = require "ocip.repl.show"

local M = {}

local pack, unpack = table.pack, table.unpack

---------------------------------------------------------------------------
-- showing values

--- show(v, mode, opts) -> the text the prompt prints for one value (ocip.repl.show)
function M.show(v, mode, opts) return show.value(v, mode or "table", opts) end

-- The text for one entry's results: `nil, err` as such, several short values on one
-- line (tab-separated), anything longer one value after the other.
local function results_text(r, mode, opts)
  while r.n > 1 and r[r.n] == nil do r.n = r.n - 1 end -- `resp, nil` shows as `resp`
  if r.n == 0 then return nil end
  if r.n == 2 and r[1] == nil and Error.is(r[2]) then -- a failed command: `nil, err`
    return "nil, " .. M.show(r[2])
  end
  local simple, parts = true, {}
  for i = 1, r.n do
    local s = M.show(r[i], mode, opts)
    if s:find("\n", 1, true) then simple = false end
    parts[i] = s
  end
  return table.concat(parts, simple and "\t" or "\n")
end

local function error_text(e)
  if Error.is(e) then return "error: " .. tostring(e) end
  if type(e) == "string" then return e end
  local mt = getmetatable(e)
  if mt and mt.__tostring then return tostring(e) end
  return "(error object is a " .. type(e) .. " value)"
end

---------------------------------------------------------------------------
-- compiling an entry

local INCOMPLETE = {}

-- compile(text, env) -> function | nil, message | nil, INCOMPLETE
function M.compile(text, env)
  if text:sub(1, 1) == "=" then text = "return " .. text:sub(2) end
  local fn = load("return " .. text .. ";", "=stdin", "t", env)
  if fn then return fn end
  local err
  fn, err = load(text, "=stdin", "t", env)
  if fn then return fn end
  if err:sub(-5) == "<eof>" then return nil, INCOMPLETE end
  return nil, err
end
M.INCOMPLETE = INCOMPLETE

---------------------------------------------------------------------------
-- helpers predefined at the prompt

local function helpers(env, out)
  local ocip = require "ocip"
  local h = { ocip = ocip }

  --- connect(opts) -> client: profile < OCIP_* < opts; the client is also stored as `c`
  function h.connect(opts)
    local profile = require "ocip.profile"
    local settings, err = profile.settings(opts or {})
    if not settings then return nil, err end
    local c, cerr = ocip.connect(settings)
    if not c then return nil, cerr end
    rawset(env, "c", c)
    out:write("connected: ", profile.target(settings), " (as c)\n")
    return c
  end

  --- describe(name): a request's fields in schema order
  function h.describe(name)
    require("ocip.cli.describe")({ tostring(name) })
  end

  --- find(pattern): request names containing pattern (or matching it as a Lua pattern)
  function h.find(pattern)
    local names = require("ocip.catalog").find(pattern)
    out:write(table.concat(names, "\n"), #names > 0 and "\n" or "", ("(%d requests)\n"):format(#names))
  end
  return h
end

---------------------------------------------------------------------------
-- the loop

-- Runs one compiled entry as a task; returns its packed results or nil, error text.
local function evaluate(fn, state)
  local task = core.spawn(function()
    return pack(xpcall(fn, function(e)
      if type(e) == "string" then return debug.traceback(e, 2) end
      return e
    end))
  end)
  state.running = task
  local ok, r = core.join(task)
  state.running = nil
  if not ok then return nil, state.interrupted and "interrupted" or error_text(r) end
  if not r[1] then
    local e = r[2]
    if type(e) == "string" then -- keep the message; the traceback's REPL frames are noise
      e = e:gsub("\nstack traceback:.*$", "")
    end
    return nil, error_text(e)
  end
  return pack(unpack(r, 2, r.n))
end

-- Ctrl-C while an entry runs cancels its task (at the prompt the editor clears the line).
local function interrupt_watcher(state)
  local ok, watch = pcall(core.signal_watch, { "SIGINT" })
  if not ok or not watch then return nil end
  local task = core.spawn(function()
    while true do
      local sig = watch:wait()
      if not sig then return end
      local t = state.running
      if t then
        state.interrupted = true
        core.cancel(t)
      end
    end
  end)
  return { close = function() watch:close(); core.cancel(task) end }
end

---------------------------------------------------------------------------
-- the prompt's own commands (a line starting with ":")

local HELP = [[
:table        results as text: responses as fields, tables as columns (the default)
:json         results as JSON
:csv          tables (and records) as CSV
:pager on|off results taller than the screen go through $PAGER (default less -FRX)
:help         this list]]

local MODES = { table = true, json = true, csv = true }

-- Runs `:name args`; returns the text to print and whether it is an error.
local function command(line, state, o)
  local name, arg = line:match("^%s*:(%S*)%s*(.-)%s*$")
  if MODES[name] and arg == "" then
    state.mode = name
    return "results print as " .. name
  elseif name == "pager" then
    if arg == "on" or arg == "off" then o.paging = arg == "on"
    elseif arg ~= "" then return ":pager on|off", true end
    local cmd = o:pager_command()
    if not o.paging then return "pager off" end
    return "pager on: " .. (cmd or "none found (set PAGER)") .. (o:size() and "" or " (stdout is not a terminal: not used)")
  elseif name == "help" or name == "" then
    return HELP
  end
  return ("unknown command :%s (:help lists them)"):format(name), true
end

function M.run(opts)
  opts = opts or {}
  local env = opts.env or _G
  local out, err_out = opts.stdout or io.stdout, opts.stderr or io.stderr
  for k, v in pairs(helpers(env, out)) do
    if rawget(env, k) == nil then rawset(env, k, v) end
  end

  local state = {} -- running: the entry's task; pending: an unfinished chunk
  local ed = opts.input or core.lineedit_open {
    complete = function(text, line, start)
      -- libedit gives `start` in characters: turn it into a byte offset
      local at = utf8.len(line) and utf8.offset(line, start + 1) or (start + 1)
      at = at or (start + 1)
      local before = line:sub(1, at - 1) .. text
      local after = line:sub(at + #text)
      -- on a ">>" line the unfinished chunk comes first (the request's open brace)
      local context = state.pending and (state.pending .. "\n") or ""
      local words = complete.candidates(context .. before, after, env)
      local frag = before:match("[%a_][%w_]*$") or ""
      local pre = text:sub(1, #text - #frag)
      for i, w in ipairs(words) do words[i] = pre .. w end
      return words
    end,
  }
  local tty = ed.is_tty and ed:is_tty()
  local hist_path = opts.history_file or history.path()
  for _, entry in ipairs(history.load(hist_path)) do ed:add_history(entry) end

  if opts.banner ~= false and tty then
    local release = select(1, core.catalog_release())
    out:write(("ocip (catalog %s) - Tab completes requests and fields; helpers: connect, describe, find; :help; Ctrl-D quits\n")
      :format(tostring(release)))
  end

  local o = output.new { out = out, err = err_out, tty = tty }
  state.mode = "table"
  local watcher = tty and interrupt_watcher(state) or nil
  while true do
    out:flush()
    local pending = state.pending
    local line = ed:read(pending and ">> " or "> ")
    if line == nil then break end
    if line == false then -- Ctrl-C: the unfinished chunk goes too
      state.pending = nil
      goto continue
    end
    local text = pending and (pending .. "\n" .. line) or line
    if not pending and line:match("^%s*:") then
      ed:add_history(line)
      if history.keep(line) then history.append(hist_path, line) end
      local reply, bad = command(line, state, o)
      local f = bad and err_out or out
      f:write(reply, "\n")
      f:flush()
    elseif text:find("%S") then
      local fn, err = M.compile(text, env)
      if fn == nil and err == INCOMPLETE then
        state.pending = text
      else
        state.pending = nil
        ed:add_history(text)
        if history.keep(text) then history.append(hist_path, text) end
        local r, msg
        if fn then r, msg = evaluate(fn, state) else msg = err end
        if state.interrupted then out:write("\n") end -- after the terminal's ^C
        state.interrupted = nil
        if r then
          local rows, cols = o:size()
          local shown = results_text(r, state.mode, { hide_empty = true, width = rows and cols })
          if shown then o:emit(shown) end
        else
          out:flush()
          err_out:write(msg, "\n")
          err_out:flush()
        end
      end
    elseif pending then
      state.pending = text
    end
    ::continue::
  end
  if state.pending then -- input ended inside a chunk: say why nothing ran
    local _, err = load(state.pending, "=stdin", "t", env)
    err_out:write(tostring(err), "\n")
  end
  if watcher then watcher.close() end
  if not opts.input then ed:close() end
  if tty then out:write("\n") end
  out:flush()
  return 0
end

return M
