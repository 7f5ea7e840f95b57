-- ocip.pack: shared plumbing for the script packs in scripts/ (and the bulk engine):
-- flags, connection, sending with progress, outcomes, report, resume, signals, exit codes.
--   local p = pack.new{ name = "users_add", usage = "usage: ...", args = { min = 1, max = 1 },
--                       options = { ["--yes"] = { "yes", true } }, resume = true, out = true }
--   local o = p:parse(arg)      -- exits 2 (usage) on a bad flag; --help prints and exits 0
--   local header, rows = p:read_csv(path)   -- , ; or tab separated; exits 2 when unreadable
--   p:skip(row, key, err)       -- an input row not sent (invalid), outcome "skipped"
--   items = p:prepare(items, { unique = fn(item) -> key })
--                               -- items {row=, key=, ...}: later duplicates skipped,
--                               -- rows done in the --resume report left out
--   local c = p:connect()       -- exits 3 when it cannot connect or log in (2: bad settings)
--   p:run(c, items, fn, { codes = { [4010] = "exists" } })
--                               -- fn(item, c) -> result | nil, err, through ocip.gather
--                               -- (--concurrency) with a progress bar; each outcome goes to
--                               -- the report file as it arrives; SIGINT/SIGTERM stop it
--   p:ok(row, key) / p:fail(row, key, err)  -- outcomes decided by the pack itself
--   local out = p:output(columns)  -- --out FILE / stdout in --format, see ocip.pack.output
--   p:finish{ what = "rows", summary = nil }  -- report, problems, summary; exits (pack.EXIT)
-- Outcomes: ok, exists (an add found the object there), absent (a delete found it gone),
-- failed, skipped (never sent: invalid or duplicate row), interrupted (stopped by a signal
-- before its answer: not sent, or may have run), valid (a dry run's "would be sent").
-- Exit codes (pack.EXIT): 0 every row ok/exists/absent (valid), 1 some row failed or was
-- skipped, 2 usage, 3 could not connect or log in (nothing done), 130 interrupted.
local ocip = require "ocip"
local profile = require "ocip.profile"
local csv = require "ocip.csv"
local progress = require "ocip.progress"
local report = require "ocip.pack.report"
local output = require "ocip.pack.output"
local stop = require "ocip.pack.stop"

local M = {}
local Pack = {}
Pack.__index = Pack

M.EXIT = { ok = 0, failed = 1, usage = 2, connect = 3, interrupted = 130 }
M.REPORT_COLUMNS = report.COLUMNS
M.DEFAULT_CONCURRENCY = 16
M.GRACE = 5 -- seconds the commands in flight get after SIGINT/SIGTERM

-- outcomes that are not a problem, and the order of the summary's counts
local FINE = { ok = true, exists = true, absent = true, valid = true }
local ORDER = { "ok", "valid", "exists", "absent", "failed", "skipped", "interrupted" }
local ALWAYS = { ok = true, failed = true, skipped = true }

M.EXIT_HELP = [[
exit:   0 all done (every row ok, exists or absent), 1 some rows failed or were skipped,
        2 usage error, 3 could not connect or log in (nothing done), 130 interrupted]]

--- wrap(items, sep, indent, width) -> items joined by sep, broken into lines of at most
-- width (default 92) characters, every line after the first starting with indent (for --help)
function M.wrap(items, sep, indent, width)
  width = width or 92
  local lines, line = {}, ""
  for i, item in ipairs(items) do
    local piece = item .. (i < #items and sep or "")
    if line ~= "" and #indent + #line + #piece > width then
      lines[#lines + 1] = line:gsub("%s+$", "")
      line = ""
    end
    line = line .. piece
  end
  lines[#lines + 1] = line
  return table.concat(lines, "\n" .. indent)
end

local function common_help(spec)
  local lines = { [[
common: --dry-run (-n)    validate and print what would be done; connect to nothing
        --limit N         at most N input items]] }
  if spec.out then
    lines[#lines + 1] = [[
        --out FILE        write the data to FILE (appears when complete; default stdout)]]
  end
  lines[#lines + 1] = spec.format_help and ("        --format F        " .. spec.format_help) or [[
        --format F        csv (default), json or ndjson: the data and the --report file]]
  lines[#lines + 1] = [[
        --report FILE     the outcome of every row, written as outcomes arrive:
                          row,key,outcome,error_kind,error_code,message; outcome ok,
                          exists, absent, failed, skipped, interrupted (dry run: valid)]]
  if spec.resume then
    lines[#lines + 1] = [[
        --resume REPORT   skip the rows REPORT (an earlier run's --report, any format;
                          may be the same file as --report) lists as ok, exists or absent]]
  end
  lines[#lines + 1] = [[
        --raw-csv         CSV cells as they are (default: a ' before a cell starting with
                          = + - @ tab or CR, which a spreadsheet would run as a formula;
                          our CSV reader takes that ' off again)
        --concurrency N   commands in flight at once (default ]] .. (spec.concurrency == "auto"
          and "2 x sessions x batch: enough to keep every session's documents full"
          or M.DEFAULT_CONCURRENCY) .. [[)
        --rate N          at most N commands per second
        progress on stderr: a bar on a terminal, else a line every 10 s (OCIP_PROGRESS=bar|lines|off)
signals: SIGINT (Ctrl-C) or SIGTERM stops sending, waits up to ]] .. M.GRACE .. [[ s for the commands
        in flight, writes the report and the summary and exits 130 (a second one: at once)
]] .. M.EXIT_HELP
  return table.concat(lines, "\n")
end

local COMMON = {
  ["--dry-run"] = { "dry_run", true }, ["-n"] = { "dry_run", true },
  ["--limit"] = { "limit", "i" }, ["--report"] = { "report", "s" },
  ["--concurrency"] = { "concurrency", "i" }, ["--format"] = { "format", "s" },
  ["--raw-csv"] = { "raw_csv", true },
}
local RESUME = { ["--resume"] = { "resume", "s" } }
local OUT = { ["--out"] = { "out", "s" }, ["-o"] = { "out", "s" } }

-- spec.formats = { text = true, ... } and spec.format = "text": a pack whose --format
-- values are its own (its --report then stays CSV)
function M.new(spec)
  local p = setmetatable({ name = spec.name, spec = spec, outcomes = {}, started = ocip.now(),
    outputs = {} }, Pack)
  p.help = (spec.usage or ("usage: ocip run scripts/" .. spec.name .. ".lua [flags]")) .. "\n"
    .. common_help(spec) .. "\n" .. profile.HELP
  return p
end

--- die(msg, code): message on stderr, exit (default 2: usage)
function Pack:die(msg, code)
  if type(msg) == "table" and msg.message and (code or 2) == 2 then msg = msg.message end
  io.stderr:write(self.name, ": ", tostring(msg), "\n")
  for _, out in ipairs(self.outputs) do out:abandon() end
  os.exit(code or M.EXIT.usage)
end

function Pack:parse(argv)
  local flags, rest = profile.take_flags(argv or {})
  if not flags then self:die(rest) end
  local o = { flags = flags, args = {}, format = self.spec.format or "csv",
    concurrency = self.spec.concurrency ~= "auto" and M.DEFAULT_CONCURRENCY or nil }
  local options = self.spec.options or {}
  for _, s in pairs(options) do if s.list then o[s[1]] = {} end end
  local i = 1
  while i <= #rest do
    local a = rest[i]
    local name, inline = a:match("^(%-%-[%w-]+)=(.*)$")
    name = name or a
    local s = options[name] or COMMON[name] or (self.spec.resume and RESUME[name])
      or (self.spec.out and OUT[name])
    if a == "-h" or a == "--help" then
      io.stdout:write(self.help, "\n")
      os.exit(0)
    elseif s and type(s[2]) == "boolean" then
      o[s[1]] = s[2]
    elseif s then
      local v = inline
      if v == nil then
        i = i + 1
        v = rest[i]
        if v == nil then self:die(name .. " needs a value\n" .. self.help) end
      end
      if s[2] == "i" then
        v = math.tointeger(tonumber(v))
        if not v or v < 1 then self:die(name .. " expects a positive integer") end
      end
      if s.list then table.insert(o[s[1]], v) else o[s[1]] = v end
    elseif a:sub(1, 1) == "-" and a ~= "-" then
      self:die("unexpected argument " .. a .. "\n" .. self.help)
    else
      o.args[#o.args + 1] = a
    end
    i = i + 1
  end
  local formats = self.spec.formats -- a pack's own formats (user_digest: text, json, md)
  if formats and not formats[o.format] then
    local names = {}
    for k in pairs(formats) do names[#names + 1] = k end
    table.sort(names)
    self:die(("--format: %s is not one of %s"):format(o.format, table.concat(names, ", ")))
  elseif not formats and not output.FORMATS[o.format] then
    self:die(("--format: %s is not one of %s"):format(o.format, output.FORMAT_NAMES))
  end
  local want = self.spec.args or { min = 0, max = 0 }
  if #o.args < (want.min or 0) then
    self:die("missing " .. (want.name or "argument") .. "\n" .. self.help)
  elseif want.max and #o.args > want.max then
    self:die("unexpected argument " .. o.args[want.max + 1] .. "\n" .. self.help)
  end
  self.o = o
  if o.resume then self:load_resume(o.resume) end
  return o
end

-- --resume REPORT: the rows it lists as done are carried into this run's outcomes (and
-- report) and are not sent again; the last entry of a row counts.
function Pack:load_resume(path)
  local entries, err = report.read(path)
  if not entries then self:die("--resume " .. tostring(err.message or err)) end
  local last, order = {}, {}
  for _, e in ipairs(entries) do
    if e.row ~= nil then
      if not last[e.row] then order[#order + 1] = e.row end
      last[e.row] = e
    end
  end
  self.done = {}
  for _, row in ipairs(order) do
    local e = last[row]
    if report.DONE[e.outcome] then
      e.carried = true
      self.done[row] = e
      self.outcomes[#self.outcomes + 1] = e
    end
  end
end

--- settings(optional) -> ocip.connect options; exits 2 on a settings error unless
-- optional (dry runs), which returns nil, err instead.
function Pack:settings(optional)
  local s, err = profile.settings(self.o.flags)
  if not s and not optional then self:die(err) end
  self.conn_settings = s
  return s, err
end

--- target() -> "tcp 127.0.0.1:2208 as admin at most 5 commands/s" (for dry runs)
function Pack:target()
  local s = self.conn_settings
  if not s then return "(no connection settings)" end
  return profile.target(s) .. (s.rate and (" at most " .. s.rate .. " commands/s") or "")
end

--- connect() -> client; exits 3 (2 for bad settings) with the error printed once;
-- SIGINT/SIGTERM while connecting exit 130 (nothing was sent).
function Pack:connect()
  local s = self.conn_settings or self:settings()
  if s.log == nil then s.log = profile.cli_log() end -- the login error is printed once, below
  local c, err
  do
    local guard <close> = stop.watch(function(sig) self.interrupted = sig self:finish() end)
    c, err = ocip.connect(s)
  end
  if not c then
    if type(err) == "table" and err.kind == "usage" then self:die(err, M.EXIT.usage) end
    local who = type(err) == "table" and err.kind == "auth" and ("log in as " .. tostring(s.username))
      or "connect"
    self:die(("could not %s (%s): %s; nothing was sent"):format(who, profile.target(s), tostring(err)),
      M.EXIT.connect)
  end
  self.client, self.connected = c, true
  return c
end

--- auto_concurrency(settings) -> commands in flight that keep every session busy: each
-- session takes up to `batch` commands per document (default 4 sessions x 15), and twice
-- that many in flight lets the next documents fill while answers are on their way.
function M.auto_concurrency(settings)
  settings = settings or {}
  return 2 * (settings.sessions or 4) * (settings.batch or 15) * (settings.pipeline or 1)
end

--- take(items) -> the first --limit items (all without --limit)
function Pack:take(items)
  local n = self.o.limit
  if not n or #items <= n then return items end
  local out = {}
  for i = 1, n do out[i] = items[i] end
  return out
end

--- read_csv(path) -> header, rows (ocip.csv.records; "," ";" or tab); exits 2 when unreadable
function Pack:read_csv(path)
  local text, err = csv.read_file(path)
  if not text then self:die(err) end
  local header, rows, sep = csv.records(text)
  if not header then self:die(path .. ": " .. tostring(rows.message or rows)) end
  if sep ~= "," then
    io.stderr:write(("%s: %s: read as %s-separated\n"):format(self.name, path, sep == "\t" and "tab" or sep))
  end
  return header, rows
end

-- One outcome (a report entry): kept for the summary and streamed to the report.
function Pack:record(e)
  self.outcomes[#self.outcomes + 1] = e
  if self.stream then
    local ok, err = pcall(self.stream.add, self.stream, e)
    if not ok then
      io.stderr:write(self.name, ": --report: ", tostring(err), "\n")
      self.stream = nil
    end
  end
end

--- ok(row, key, message): done (a dry run: "valid", not sent)
function Pack:ok(row, key, message)
  if self.o.dry_run then
    self:record(report.entry(row, key, "valid", { message = message or "dry run: not sent" }))
  else
    self:record(report.entry(row, key, "ok", message and { message = message }))
  end
end
function Pack:skip(row, key, err) self:record(report.entry(row, key, "skipped", err)) end
function Pack:fail(row, key, err) self:record(report.entry(row, key, "failed", err)) end

--- prepare(items, opts) -> the items to send: a later item with the same
-- opts.unique(item) key as an earlier one is skipped ("duplicate"); with --resume, items
-- on rows the report lists as done are left out (their outcome carried over), and a row
-- whose key differs from the report's is a usage error (another input file).
function Pack:prepare(items, opts)
  opts = opts or {}
  local out, first = {}, {}
  for _, it in ipairs(items) do
    local k = opts.unique and opts.unique(it)
    if k ~= nil and k ~= "" and first[k] then
      self:skip(it.row, it.key, ocip.Error.new("validation", ("duplicate row: %s is also on row %s")
        :format(tostring(it.key), tostring(first[k]))))
    else
      if k ~= nil and k ~= "" then first[k] = it.row end
      out[#out + 1] = it
    end
  end
  self.prepared = true
  if not self.done then return out end
  local todo = {}
  for _, it in ipairs(out) do
    local prev = self.done[it.row]
    if prev then
      if (prev.key or "") ~= tostring(it.key or "") then
        self:die(("--resume %s: row %s is %s there but %s here: not a report of this input")
          :format(self.o.resume, tostring(it.row), tostring(prev.key), tostring(it.key)))
      end
    else
      todo[#todo + 1] = it
    end
  end
  return todo
end

-- The report stream opens when the first command is about to be sent (or at finish):
-- rows carried over by --resume go first, so a report that is also the --resume file
-- never loses them.
function Pack:open_report()
  if self.stream or not self.o.report then return end
  local carried = {}
  for _, e in ipairs(self.outcomes) do carried[#carried + 1] = e end
  local format = output.FORMATS[self.o.format] and self.o.format or "csv"
  local r, err = report.start(self.o.report, format, carried, self.o.raw_csv)
  if not r then self:die("--report: " .. tostring(err.message or err), M.EXIT.usage) end
  self.stream = r
end

-- First signal while sending: no new commands; those in flight get M.GRACE seconds, then
-- the client is closed (their callers see "closed"). A second signal closes at once.
function Pack:on_signal(sig, count)
  local run = self.running
  if count == 1 then
    self.interrupted = sig
    io.stderr:write(("\n%s: %s: stopping: no new commands, waiting up to %g s for %d in flight"
      .. " (%s again to stop now)\n"):format(self.name, sig, M.GRACE, run.in_flight, sig))
    run.grace = ocip.spawn(function()
      ocip.sleep(M.GRACE)
      run.client:close()
    end)
  else
    run.client:close()
  end
end

local function classify(self, r, err, codes)
  if r ~= nil then return "ok" end
  local kind = type(err) == "table" and err.kind
  if self.interrupted and kind ~= "server" then return "interrupted" end
  if kind == "server" and not err.followup then -- a follow-up's code is not the row's
    local named = codes[math.tointeger(tonumber(err.code)) or err.code]
    if named then return named end
  end
  return "failed"
end

--- run(c, items, fn, opts) -> results, errors (ocip.gather's, aligned with items)
-- opts.codes: server error code -> outcome ("exists", "absent"): not failures.
-- opts.label: the progress label; opts.record = "failures": only failures are recorded.
-- On SIGINT/SIGTERM: the items not started are recorded "interrupted" (not sent), the
-- client closed, and finish() exits 130.
function Pack:run(c, items, fn, opts)
  opts = opts or {}
  if not self.prepared and self.done then items = self:prepare(items) end
  local codes = opts.codes or {}
  self:open_report()
  local run = { client = c, in_flight = 0 }
  self.running = run
  local bar = progress.new{ total = #items, label = opts.label or self.name }
  local recorded = {}
  -- Reading and validating every row left garbage: collect it now, while nothing is in
  -- flight, rather than in a collector cycle that would stall the sessions (measured:
  -- a 20-30 ms stall of all four sessions early in a 10,000-row bulk run).
  collectgarbage()
  local t0 = ocip.now()
  local results, errors
  do
    local guard <close> = stop.watch(function(sig, count) self:on_signal(sig, count) end)
    results, errors = ocip.gather(items, function(it, i)
      if self.interrupted then return nil end
      run.in_flight = run.in_flight + 1
      local ok, r, err = pcall(fn, it, c)
      run.in_flight = run.in_flight - 1
      if not ok then r, err = nil, r end
      if r == nil and err == nil then err = "no result" end
      local outcome = classify(self, r, err, codes)
      recorded[i] = true
      if opts.record ~= "failures" or not FINE[outcome] then
        self:record(report.entry(it.row, it.key, outcome, r == nil and err or nil))
      end
      bar:step(FINE[outcome] or false)
      return r, err
    end, { limit = self.o.concurrency or M.auto_concurrency(self.conn_settings) })
  end
  if run.grace then run.grace:cancel() end
  self.running = nil
  bar:finish()
  -- the sending phase, for the summary (its rate is what --sessions/--concurrency tune)
  local sent = 0
  for _ in pairs(recorded) do sent = sent + 1 end
  self.sent_rows = (self.sent_rows or 0) + sent
  self.sending_time = (self.sending_time or 0) + (ocip.now() - t0)
  if self.interrupted then
    for i, it in ipairs(items) do
      if not recorded[i] then
        self:record(report.entry(it.row, it.key, "interrupted",
          { kind = "interrupted", message = "not sent: stopped by " .. self.interrupted }))
      end
    end
    c:close()
    self:finish(opts)
  end
  return results, errors
end

--- output(columns) -> writer for the pack's data (--out FILE or stdout, --format,
-- --raw-csv); left unfinished (FILE never appears) when the pack stops on an error or
-- a signal.
function Pack:output(columns)
  local out, err = output.open{ path = self.o.out, format = self.o.format, columns = columns,
    raw = self.o.raw_csv }
  if not out then self:die(err.message or err, err.kind == "usage" and M.EXIT.usage or M.EXIT.failed) end
  self.outputs[#self.outputs + 1] = out
  return out
end

--- counts() -> outcome -> count (every outcome of ORDER present), carried -> count
function Pack:counts()
  local n = { carried = 0 }
  for _, k in ipairs(ORDER) do n[k] = 0 end
  for _, e in ipairs(report.sorted(self.outcomes)) do
    n[e.outcome] = (n[e.outcome] or 0) + 1
    if e.carried then n.carried = n.carried + 1 end
  end
  return n
end

--- exit_code() -> the status finish() exits with
function Pack:exit_code()
  if self.interrupted then return M.EXIT.interrupted end
  for _, e in ipairs(self.outcomes) do
    if not FINE[e.outcome] then return M.EXIT.failed end
  end
  return M.EXIT.ok
end

--- finish(opts): report file, problems and a summary on stderr; exits (pack.EXIT).
-- opts.what: what a row is ("rows", "groups"); opts.summary: the pack's own summary text
-- (instead of the counts); opts.go_on: after an interruption, how to finish the work
-- (default, for packs with --resume: the same command with --resume REPORT). At most 20 problem lines go to stderr; the report has all.
function Pack:finish(opts)
  if type(opts) ~= "table" then opts = { what = opts } end
  local status = self:exit_code()
  if self.o.report and (self.connected or self.o.dry_run) then
    self:open_report()
    local ok, err = self.stream:compact(self.outcomes)
    if not ok then
      io.stderr:write(self.name, ": --report: ", tostring(err), "\n")
      if status == 0 then status = M.EXIT.failed end
    end
  end
  local shown = 0
  for _, e in ipairs(report.sorted(self.outcomes)) do
    if e.outcome == "failed" or e.outcome == "skipped" then
      shown = shown + 1
      if shown <= 20 then
        io.stderr:write(("%s: row %s (%s) %s: %s%s: %s\n"):format(self.name, tostring(e.row),
          tostring(e.key), e.outcome, tostring(e.error_kind), e.error_code and (" [" .. e.error_code .. "]") or "",
          tostring(e.message)))
      end
    end
  end
  if shown > 20 then
    io.stderr:write(("%s: ... %d more%s\n"):format(self.name, shown - 20,
      self.o.report and (" in " .. self.o.report) or " (use --report FILE)"))
  end
  local text = opts.summary
  local n = self:counts()
  if not text then
    local total = 0
    for _, k in ipairs(ORDER) do total = total + n[k] end
    local what = opts.what or "rows"
    if total == 1 then what = what:gsub("s$", "") end -- "1 row", "1 user"
    local parts = {}
    for _, k in ipairs(ORDER) do
      local always = ALWAYS[k] and not (k == "ok" and self.o.dry_run) or (k == "valid" and self.o.dry_run)
      if n[k] > 0 or always then parts[#parts + 1] = n[k] .. " " .. k end
    end
    text = ("%d %s: %s"):format(total, what, table.concat(parts, ", "))
  end
  local t = self.sending_time
  io.stderr:write(("%s: %s%s%s in %.2f s%s%s%s\n"):format(self.name,
    self.interrupted and ("interrupted by " .. self.interrupted .. ": ") or "",
    self.o.dry_run and "dry run: " or "", text, ocip.now() - self.started,
    n.carried > 0 and (" (" .. n.carried .. " done before, from --resume)") or "",
    self.o.report and (" (report: " .. self.o.report .. ")") or "",
    (self.sent_rows or 0) > 0 and ("; sent %d rows in %.3f s (%.0f/s)"):format(self.sent_rows, t,
      self.sent_rows / math.max(t, 1e-6)) or ""))
  if self.interrupted then -- a partial file would pass for a complete one
    for _, out in ipairs(self.outputs) do out:abandon() end
  end
  if self.interrupted and opts.go_on then
    io.stderr:write(("%s: to go on: %s\n"):format(self.name, opts.go_on))
  elseif self.interrupted and self.o.report and self.spec.resume then -- only packs that take --resume
    io.stderr:write(("%s: to go on: the same command with --resume %s\n"):format(self.name, self.o.report))
  end
  io.stderr:flush()
  os.exit(status)
end

return M
