-- ocip.pack: shared plumbing for the script packs in scripts/.
--   local p = pack.new{ name = "users_add", usage = "usage: ...", args = { min = 1, max = 1 },
--                       options = { ["--yes"] = { "yes", true }, ["--out"] = { "out", "s" } } }
--   local o = p:parse(arg)     -- exits 2 (usage) on a bad flag; --help prints and exits 0
--   local settings = p:settings(optional)  -- ocip.connect options (profile < OCIP_* < flags)
--   local c = p:connect()      -- exits 1 when the connection fails
--   p:skip(row, key, err)      -- an input row not sent (validation), reported "skipped"
--   p:run(c, items, fn)        -- items {row=, key=, ...}; fn(item) -> result | nil, err,
--                                 run through ocip.gather with a progress bar on stderr
--   p:finish()                 -- report CSV (--report), summary on stderr, exit 0/1
-- Common flags: --dry-run (-n), --limit N, --report FILE, --concurrency N, --help, plus the
-- connection flags of ocip.profile (--rate N among them: a ceiling in commands/s).
-- Option specs: { key, kind, list = true? }, kind "s" string, "i" positive integer,
-- true/false switch. Report columns: row, key, outcome (ok|failed|skipped), error_kind,
-- error_code, message — one row per input row, in input order.
local ocip = require "ocip"
local profile = require "ocip.profile"
local csv = require "ocip.csv"
local progress = require "ocip.progress"

local M = {}
local Pack = {}
Pack.__index = Pack

M.REPORT_COLUMNS = { "row", "key", "outcome", "error_kind", "error_code", "message" }
M.DEFAULT_CONCURRENCY = 16

M.COMMON_HELP = [[
common: --dry-run (-n)    validate and print what would be done; connect to nothing
        --limit N         at most N input items (users_export: responseSizeLimit)
        --report FILE     one CSV row per input row: row,key,outcome,error_kind,error_code,message
        --concurrency N   commands in flight at once (default ]] .. M.DEFAULT_CONCURRENCY .. [[)
        --rate N          at most N commands per second
        progress on stderr: a bar on a terminal, else a line every 10 s (OCIP_PROGRESS=bar|lines|off)
exit:   0 every row ok, 1 some row failed or was skipped, 2 usage error]]

local COMMON = {
  ["--dry-run"] = { "dry_run", true }, ["-n"] = { "dry_run", true },
  ["--limit"] = { "limit", "i" }, ["--report"] = { "report", "s" },
  ["--concurrency"] = { "concurrency", "i" },
}

function M.new(spec)
  local p = setmetatable({ name = spec.name, spec = spec, outcomes = {}, started = ocip.now() }, Pack)
  p.help = (spec.usage or ("usage: ocip run scripts/" .. spec.name .. ".lua [flags]")) .. "\n"
    .. M.COMMON_HELP .. "\n" .. profile.HELP
  return p
end

--- die(msg, code): message on stderr, exit (default 2: usage)
function Pack:die(msg, code)
  if type(msg) == "table" and msg.message and (code or 2) == 2 then msg = msg.message end
  io.stderr:write(self.name, ": ", tostring(msg), "\n")
  os.exit(code or 2)
end

function Pack:parse(argv)
  local flags, rest = profile.take_flags(argv or {})
  if not flags then self:die(rest) end
  local o = { flags = flags, args = {}, concurrency = M.DEFAULT_CONCURRENCY }
  local options = self.spec.options or {}
  for _, s in pairs(options) do if s.list then o[s[1]] = {} end end
  local i = 1
  while i <= #rest do
    local a = rest[i]
    local name, inline = a:match("^(%-%-[%w-]+)=(.*)$")
    name = name or a
    local s = options[name] or COMMON[name]
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
  local want = self.spec.args or { min = 0, max = 0 }
  if #o.args < (want.min or 0) then
    self:die("missing " .. (want.name or "argument") .. "\n" .. self.help)
  elseif want.max and #o.args > want.max then
    self:die("unexpected argument " .. o.args[want.max + 1] .. "\n" .. self.help)
  end
  self.o = o
  return o
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

function Pack:connect()
  local s = self.conn_settings or self:settings()
  local c, err = ocip.connect(s)
  if not c then self:die(err, 1) end
  return c
end

--- take(items) -> the first --limit items (all without --limit)
function Pack:take(items)
  local n = self.o.limit
  if not n or #items <= n then return items end
  local out = {}
  for i = 1, n do out[i] = items[i] end
  return out
end

--- read_csv(path) -> header, rows (ocip.csv.records); exits 2 when unreadable
function Pack:read_csv(path)
  local text, err = csv.read_file(path)
  if not text then self:die(err) end
  local header, rows = csv.records(text)
  if not header then self:die(path .. ": " .. tostring(rows.message or rows)) end
  return header, rows
end

local function add(self, row, key, outcome, err, result)
  self.outcomes[#self.outcomes + 1] = { row = row, key = key, outcome = outcome, err = err,
    result = result }
end

function Pack:ok(row, key, message) add(self, row, key, "ok", message and { message = message }) end
function Pack:skip(row, key, err) add(self, row, key, "skipped", err) end
function Pack:fail(row, key, err) add(self, row, key, "failed", err) end

--- run(c, items, fn) -> results, errors (ocip.gather's), outcomes recorded per item
function Pack:run(c, items, fn)
  local bar = progress.new{ total = #items, label = self.name }
  local results, errors = ocip.gather(items, function(item)
    local r, err = fn(item, c)
    bar:step(r ~= nil)
    return r, err
  end, { limit = self.o.concurrency })
  bar:finish()
  for i, item in ipairs(items) do
    if results[i] ~= nil then add(self, item.row, item.key, "ok", nil, results[i])
    else add(self, item.row, item.key, "failed", errors[i] or "no result") end
  end
  return results, errors
end

local function err_fields(e)
  if e == nil then return nil, nil, nil end
  if type(e) ~= "table" then return "error", nil, tostring(e) end
  local msg = e.summary_english or e.summary or e.message
  if e.detail and e.detail ~= "" then msg = tostring(msg) .. " (" .. tostring(e.detail) .. ")" end
  return e.kind, e.code, msg
end

local function sorted(outcomes)
  local list = {}
  for i, x in ipairs(outcomes) do list[i] = x end
  table.sort(list, function(a, b)
    if a.row ~= b.row then return (a.row or 0) < (b.row or 0) end
    return tostring(a.key) < tostring(b.key)
  end)
  return list
end

--- counts() -> { ok=, failed=, skipped= }
function Pack:counts()
  local n = { ok = 0, failed = 0, skipped = 0 }
  for _, x in ipairs(self.outcomes) do n[x.outcome] = n[x.outcome] + 1 end
  return n
end

--- write_report(path): the report CSV, written to path.part then renamed
function Pack:write_report(path)
  local tmp = path .. ".part"
  local f, err = io.open(tmp, "wb")
  if not f then self:die(err, 1) end
  local w = csv.writer(f)
  w:row(M.REPORT_COLUMNS, 6)
  for _, x in ipairs(sorted(self.outcomes)) do
    local kind, code, msg = err_fields(x.err)
    w:row({ x.row, x.key, x.outcome, kind, code, msg }, 6)
  end
  f:close()
  local ok, rerr = os.rename(tmp, path)
  if not ok then self:die(rerr, 1) end
end

--- finish(what): report file, problems and a summary on stderr; exits 0 (all ok) or 1.
-- At most 20 problem lines go to stderr; the report file holds all of them.
function Pack:finish(what)
  if self.o.report then self:write_report(self.o.report) end
  local shown = 0
  for _, x in ipairs(sorted(self.outcomes)) do
    if x.outcome ~= "ok" then
      shown = shown + 1
      if shown <= 20 then
        local kind, code, msg = err_fields(x.err)
        io.stderr:write(("%s: row %s (%s) %s: %s%s: %s\n"):format(self.name, tostring(x.row),
          tostring(x.key), x.outcome, tostring(kind), code and (" [" .. code .. "]") or "", tostring(msg)))
      end
    end
  end
  if shown > 20 then
    io.stderr:write(("%s: ... %d more%s\n"):format(self.name, shown - 20,
      self.o.report and (" in " .. self.o.report) or " (use --report FILE)"))
  end
  local n = self:counts()
  what = what or "rows"
  if #self.outcomes == 1 then what = what:gsub("s$", "") end -- "1 row", "1 user"
  io.stderr:write(("%s: %s%d %s: %d ok, %d failed, %d skipped in %.2f s%s\n"):format(self.name,
    self.o.dry_run and "dry run: " or "", #self.outcomes, what, n.ok, n.failed, n.skipped,
    ocip.now() - self.started, self.o.report and (", report " .. self.o.report) or ""))
  os.exit((n.failed + n.skipped) > 0 and 1 or 0)
end

return M
