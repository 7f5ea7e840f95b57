-- ocip.bulk.recipe: an entity pack as data — a request, friendly columns, defaults,
-- follow-up requests and outcome codes — run on the bulk engine (ocip.bulk.input: every
-- row validated before anything is sent) and the pack plumbing (ocip.pack: --dry-run,
-- --report, --resume, --concurrency, --rate, progress, signals, exit codes).
-- `ocip bulk REQUEST FILE` is the recipe without friendly columns.
--   require("ocip.bulk.recipe").run({
--     name = "hunt_groups_add", request = "GroupHuntGroupAddInstanceRequest20",
--     summary = "one line for --help",
--     also = "then X for ..."       -- (--help) the follow-up requests, in words
--     columns = {                     -- friendly columns, in --help order
--       { "service_provider_id", required = true },            -- a field by its own name
--       { "name", path = "service_instance_profile.name", required = true, doc = "..." },
--       { "agents", path = "agent_user_id", doc = "user ids, ;-separated" },  -- an alias
--       { "phone_number", path = "...", value = recipe.national },  -- a cell conversion
--       { "department", virtual = true, doc = "..." },   -- no field: for prepare/after
--     },
--     defaults = { { "policy", "Regular" },                -- when the row leaves it empty
--                  { "service_instance_profile.calling_line_id_last_name",
--                    from = "service_instance_profile.name" } },
--     prepare = fn(fields, extra) -> nil | problem(s)   -- before defaults and validation
--                                  -- (or a list of such functions, run in order)
--     key = "field.path" | fn(fields, extra) -> key      -- default: the request's id field
--     unique = fn(item) -> text | false                  -- default: the key, any case
--     after = fn(fields, extra) -> { { request, fields }, ... }  -- follow-ups, sent in
--                                  -- order once the main request succeeded, validated first
--     send = fn(c, item) -> result | nil, err            -- instead of sending item.req
--     codes = { [4010] = "exists" }, delete = true (needs --yes),
--     only = true                   -- the columns above only, not every field of the request
--     ignore_unknown = true         -- columns that are no field are left out (deletes: an
--                                  -- add file works as input), with a note on stderr
--     ignored = { "column", ... }   -- accepted and left out (read-only export columns)
--     notes = "more --help text", example = "scripts/examples/NAME.csv",
--   }, arg)
-- Any other field of the request is a column too (dotted paths, [i], ;-lists, @nil),
-- as in `ocip bulk`.
local ocip = require "ocip"
local pack = require "ocip.pack"
local input = require "ocip.bulk.input"
local paths = require "ocip.bulk.paths"
local catalog = require "ocip.catalog"
local NIL = require("ocip.sentinel").NIL
local csv = require "ocip.csv"

local M = {}
M.NIL = NIL

M.EXISTS = { [4010] = "exists" }
-- a Delete that finds nothing: user, administrator, service instance (4008), pickup
-- group, department (4009), access device (4505)
M.ABSENT = { [4008] = "absent", [4009] = "absent", [4505] = "absent" }

--- national(cell) -> the national number of "+1-2025550001" (users_export's display
-- form) or the cell as it is: requests take the national number (the group's country
-- code applies)
function M.national(cell)
  return cell:match("^%+%d+%-(%d+)$") or cell
end

--- mac(cell) -> a MAC address without separators: "00:1a:2B-3c.4d:5e" -> "001A2B3C4D5E"
function M.mac(cell)
  return (cell:gsub("[:%-%.%s]", ""):upper())
end

--- list(cell) -> the ;-separated items of a cell, trimmed, empty ones left out
function M.list(cell)
  local items = {}
  if type(cell) == "table" then
    for _, v in ipairs(cell) do items[#items + 1] = tostring(v) end
    return items
  end
  for item in (tostring(cell) .. ";"):gmatch("([^;]*);") do
    item = csv.trim(item)
    if item ~= "" then items[#items + 1] = item end
  end
  return items
end

--- get(fields, text) -> the value at a dotted path of plain names (no [i]), or nil
function M.get(fields, text)
  local node = fields
  for name in text:gmatch("[^.]+") do
    if type(node) ~= "table" or node == NIL then return nil end
    node = node[name]
  end
  return node
end

--- put(fields, text, value): stores value at a dotted path of plain names, creating records
function M.put(fields, text, value)
  local node, last = fields, nil
  for name in text:gmatch("[^.]+") do
    if last then
      if type(node[last]) ~= "table" then node[last] = {} end
      node = node[last]
    end
    last = name
  end
  node[last] = value
end

--- group_department(fields, name) -> a GroupDepartmentKey for the row's group
function M.group_department(sp, group, name)
  if name == "@nil" then return NIL end
  return { _type = "GroupDepartmentKey", service_provider_id = sp, group_id = group, name = name }
end

--- columns(list, ...) -> one list of columns (the lists joined, in order)
function M.columns(...)
  local out = {}
  for _, list in ipairs{ ... } do
    for _, c in ipairs(list) do out[#out + 1] = c end
  end
  return out
end

--- group columns: the service provider and group every group-level request names
M.GROUP = {
  { "service_provider_id", required = true, doc = "the service provider (or enterprise)" },
  { "group_id", required = true, doc = "the group" },
}

--- profile(base, add) -> the columns of a service instance's profile (hunt groups, call
-- centers, auto attendants) at `base` (service_instance_profile): name, calling line id,
-- phone number, extension, department (prepare with recipe.department), password, ...
function M.profile(base, add)
  local function at(f) return base .. "." .. f end
  return {
    { "name", path = at "name", required = add, doc = "its name (" .. at "name" .. ")" },
    { "calling_line_id_last_name", path = at "calling_line_id_last_name",
      doc = add and "default: name" or nil },
    { "calling_line_id_first_name", path = at "calling_line_id_first_name",
      doc = add and "default: name" or nil },
    { "phone_number", path = at "phone_number", value = M.national,
      doc = "national number, or +1-2025550101 (the display form)" .. (add and "" or "; @nil: none") },
    { "extension", path = at "extension", doc = add and "" or "@nil: none" },
    { "department", virtual = true, doc = "a department of the group, by name" },
    { "password", path = at "password" },
    { "language", path = at "language" },
    { "time_zone", path = at "time_zone" },
    add and { "aliases", path = at "alias", doc = "SIP aliases, ;-separated (up to 3)" }
      or { "aliases", path = at "sip_alias_list.sip_alias", clear = at "sip_alias_list",
        doc = "SIP aliases, ;-separated (replace the list; @nil: none)" },
  }
end

--- department(dest, sp_field, group_field) -> a prepare function: the virtual column
-- `department` (a name) becomes a GroupDepartmentKey at the dotted path dest, for the
-- row's service_provider_id and group_id (fields of the request, or virtual columns)
function M.department(dest)
  return function(fields, extra)
    local name = extra.department
    if name == nil then return end
    if name == "@nil" or name == NIL then M.put(fields, dest, NIL) return end
    local sp = fields.service_provider_id or extra.service_provider_id
    local g = fields.group_id or extra.group_id
    if not sp or not g then
      return "department: needs the columns service_provider_id and group_id (the department's group)"
    end
    M.put(fields, dest, M.group_department(sp, g, name))
  end
end

--- group_key(name_field) -> key function "SP/GROUP/NAME" for objects named within a group
function M.group_key(name_field)
  return function(fields)
    local v = M.get(fields, name_field)
    if v == nil then return nil end
    return ("%s/%s/%s"):format(tostring(fields.service_provider_id), tostring(fields.group_id), tostring(v))
  end
end

-- friendly column spec -> the input engine's { [lower name] = {path, value, clear, virtual} }
local function engine_columns(spec)
  local out = {}
  for _, c in ipairs(spec.columns or {}) do
    out[c[1]:lower()] = { path = c.path or c[1], value = c.value, clear = c.clear, virtual = c.virtual }
  end
  for _, name in ipairs(spec.ignored or {}) do out[name:lower()] = { virtual = true } end
  return out
end

-- Required columns whose field the schema does not require (user_numbers_assign's
-- phone_number): each row must give them. Columns the schema requires are the
-- validator's (it lists all of a row's problems at once).
local function row_required(spec)
  local list = {}
  for _, c in ipairs(spec.columns or {}) do
    if c.required and not c.virtual then
      local path = paths.resolve(spec.request, c.path or c[1])
      local schema = path ~= nil
      for _, seg in ipairs(path and path.segs or {}) do schema = schema and seg.field and seg.field.required end
      if path and not schema then list[#list + 1] = c end
    end
  end
  return list
end

local function apply_defaults(spec, fields, extra)
  for _, d in ipairs(spec.defaults or {}) do
    if M.get(fields, d[1]) == nil then
      local v
      if d.from then v = M.get(fields, d.from)
      elseif type(d[2]) == "function" then v = d[2](fields, extra)
      else v = d[2] end
      if v ~= nil then M.put(fields, d[1], v) end
    end
  end
end

local function default_text(d)
  if d.from then return d[1] .. " = " .. d.from end
  if type(d[2]) == "function" then return d[1] .. " = " .. (d.doc or "computed") end
  return d[1] .. " = " .. tostring(d[2])
end

--- help(spec) -> the usage text of a recipe pack (the pack plumbing adds the common flags)
function M.help(spec)
  local lines = {
    ("usage: ocip run %s FILE [--set FIELD=VALUE ...] [flags]%s"):format(spec.name,
      spec.delete and " (--yes | --dry-run)" or ""),
    "  " .. spec.summary,
    "  FILE       CSV with a header row (\",\" \";\" or tab separated; \"-\" = stdin), a JSON",
    "             array of objects or NDJSON (one object per line)",
    ("  sends      %s per row%s"):format(spec.request, spec.also and ("; " .. spec.also) or ""),
  }
  if spec.columns and #spec.columns > 0 then
    lines[#lines + 1] = "columns (* required):"
    local width = 0
    for _, c in ipairs(spec.columns) do width = math.max(width, #c[1] + (c.required and 2 or 0)) end
    for _, c in ipairs(spec.columns) do
      local name = c[1] .. (c.required and " *" or "")
      local doc = c.doc or (c.path and c.path ~= c[1] and ("= " .. c.path)) or ""
      lines[#lines + 1] = ("  %-" .. width .. "s  %s"):format(name, doc)
    end
  end
  lines[#lines + 1] = ("  and any other field of %s by name or dotted path\n  (ocip describe %s);"):format(
    spec.request, spec.request)
  lines[#lines + 1] = "  cells: empty = absent, @nil = clear (xsi:nil), true/false, lists ;-separated"
  if spec.ignored then
    lines[#lines + 1] = "  ignored columns (read-only, e.g. in a users_export file):\n    "
      .. pack.wrap(spec.ignored, ", ", "    ")
  end
  if spec.defaults and #spec.defaults > 0 then
    local d = {}
    for i, x in ipairs(spec.defaults) do d[i] = default_text(x) end
    lines[#lines + 1] = "defaults (when a row leaves them empty):\n  " .. pack.wrap(d, ", ", "  ")
  end
  if spec.notes then lines[#lines + 1] = spec.notes end
  lines[#lines + 1] = [[
  --set FIELD=VALUE  the same value on every row (a column name or field path; repeatable)
  --input F   the file's format: csv, json or ndjson (default: from the extension or content)
  --strict    send nothing when any row has a problem (default: send the valid rows)
  --ignore-unknown-columns  warn about columns that are no field and leave them out]]
  if spec.delete then
    lines[#lines + 1] = "  --yes       really send the deletes (required unless --dry-run)"
  end
  local outs = {}
  local codes = {}
  for code in pairs(spec.codes or {}) do codes[#codes + 1] = code end
  table.sort(codes)
  for _, code in ipairs(codes) do outs[#outs + 1] = spec.codes[code] .. " (error " .. code .. ")" end
  lines[#lines + 1] = "Every row is validated before anything is sent; invalid and duplicate rows are"
    .. "\nskipped (outcome skipped), every problem listed with its row number."
  if #outs > 0 then
    lines[#lines + 1] = "outcomes that are not failures: " .. table.concat(outs, ", ")
  end
  if spec.example then
    lines[#lines + 1] = ("example: ocip run %s %s --dry-run"):format(spec.name, spec.example)
  end
  return table.concat(lines, "\n")
end

local function read(path, p)
  local f, err
  if path == "-" then f = io.stdin else f, err = io.open(path, "rb") end
  if not f then p:die(tostring(err)) end
  local text = f:read("a")
  if f ~= io.stdin then f:close() end
  return text or ""
end

local function input_format(o, path, p)
  local f = o.input
  if f then
    if f ~= "csv" and f ~= "json" and f ~= "ndjson" then p:die("--input: " .. f .. " is not csv, json or ndjson") end
    return f
  end
  local ext = path:match("%.(%w+)$")
  ext = ext and ext:lower()
  if ext == "csv" or ext == "json" or ext == "ndjson" then return ext end
  if ext == "jsonl" then return "ndjson" end
  return nil -- sniffed from the content
end

-- Required friendly columns missing from a CSV header (and from --set and defaults):
-- a usage error before anything is read further.
local function check_required(spec, p, path, o, text, format)
  if format and format ~= "csv" then return end
  if not format and not text:match("^\239?\187?\191?%s*[^%[{%s]") then return end
  local csv = require "ocip.csv"
  local header = csv.parse(text:match("^[^\r\n]*") or "", { sep = csv.sniff(text) })
  header = header and header[1] or {}
  local have = {}
  local cols = engine_columns(spec)
  for _, name in ipairs(header) do
    name = csv.trim(name):lower()
    have[name] = true
    local c = cols[name]
    if c and c.path then have[c.path:lower()] = true end
    local r = paths.resolve(spec.request, name)
    if r then have[table.concat(paths.keys(r), ".")] = true end
  end
  for _, s in ipairs(o.set or {}) do
    local k = s:match("^([^=]+)=") or ""
    have[k:lower()] = true
    local c = cols[k:lower()]
    if c and c.path then have[c.path:lower()] = true end
  end
  local defaulted = {}
  for _, d in ipairs(spec.defaults or {}) do defaulted[d[1]] = true end
  local missing = {}
  for _, c in ipairs(spec.columns or {}) do
    if c.required and not have[c[1]:lower()] and not (c.path and (have[c.path:lower()] or defaulted[c.path]))
      and not defaulted[c[1]] then
      missing[#missing + 1] = c[1]
    end
  end
  if #missing > 0 then
    p:die(("%s: missing column%s %s (or --set %s=VALUE)"):format(path, #missing > 1 and "s" or "",
      table.concat(missing, ", "), missing[1]))
  end
end

-- follow-up requests of a row, built and validated now: problems make the row skipped
local function build_after(spec, it)
  if not spec.after then return end
  local list = spec.after(it.fields, it.extra) or {}
  local reqs, problems = {}, {}
  for _, a in ipairs(list) do
    local req, err = catalog.build(a[1], a[2])
    if req then reqs[#reqs + 1] = req
    else
      for _, pr in ipairs(type(err) == "table" and err.problems or { { message = tostring(err) } }) do
        problems[#problems + 1] = (pr.field and (pr.field .. ": ") or "") .. tostring(pr.message)
      end
    end
  end
  if #problems > 0 then
    it.req, it.problems = nil, problems
  else
    it.after = reqs
  end
end

-- sends a row: its request, then its follow-ups (a follow-up's failure is the row's,
-- marked `followup` so the main request's outcome codes do not apply to it)
local function send(spec, c, it)
  if spec.send then return spec.send(c, it) end
  local r, err = c:command(it.req)
  if not r then return nil, err end
  for _, req in ipairs(it.after or {}) do
    local r2, err2 = c:command(req)
    if not r2 then
      local e = ocip.Error.new(type(err2) == "table" and err2.kind or "server",
        ("%s done, but %s failed: %s"):format(it.req._type, req._type,
          type(err2) == "table" and (err2.summary_english or err2.summary or err2.message) or tostring(err2)),
        { code = type(err2) == "table" and err2.code or nil, followup = true })
      return nil, e
    end
  end
  return r
end

local function default_unique(it)
  return type(it.key) == "string" and it.key:lower() or nil
end

--- run(spec, argv): parses the flags, reads and validates the file, sends; exits
function M.run(spec, argv)
  local bulk = spec.request == nil -- `ocip bulk REQUEST FILE`
  local options = { ["--set"] = { "set", "s", list = true }, ["--input"] = { "input", "s" },
    ["--strict"] = { "strict", true }, ["--ignore-unknown-columns"] = { "ignore_unknown", true } }
  if bulk or spec.delete then options["--yes"] = { "yes", true }; options["-y"] = { "yes", true } end
  local p = pack.new{
    name = spec.name,
    args = bulk and { min = 2, max = 2, name = "REQUEST and FILE" } or { min = 1, max = 1, name = "FILE" },
    options = options, resume = true, concurrency = "auto",
    usage = spec.usage or M.help(spec),
  }
  local o = p:parse(argv or {})
  local path = o.args[#o.args]
  if bulk then
    local request = o.args[1]
    if not catalog.is_request(request) then
      local hint = require("ocip.suggest").phrase(catalog.suggest(request, 3))
      p:die("unknown request " .. request .. hint)
    end
    local s = {}
    for k, v in pairs(spec) do s[k] = v end
    s.request = request
    s.delete = request:find("Delete", 1, true) ~= nil
    s.codes = request:find("Add", 1, true) and M.EXISTS or s.delete and M.ABSENT or {}
    spec = s
  end
  local request = spec.request

  local must = row_required(spec)
  local text = read(path, p)
  local format = input_format(o, path, p)
  check_required(spec, p, path, o, text, format)
  local items, problems = input.load(request, text, {
    format = format, set = o.set, ignore_unknown = o.ignore_unknown or spec.ignore_unknown, name = spec.name,
    columns = engine_columns(spec), columns_only = spec.only,
    prepare = function(fields, extra)
      local missing = {}
      for _, c in ipairs(must) do
        if M.get(fields, c.path or c[1]) == nil then
          missing[#missing + 1] = ("%s: required column empty"):format(c[1])
        end
      end
      if #missing > 0 then return missing end
      local steps = type(spec.prepare) == "table" and spec.prepare or { spec.prepare }
      for _, step in ipairs(steps) do
        local more = step(fields, extra)
        if more then return more end
      end
      apply_defaults(spec, fields, extra)
    end,
    key = spec.key and (type(spec.key) == "function" and spec.key or function(fields)
      local v = M.get(fields, spec.key)
      return v ~= nil and v ~= NIL and tostring(v) or nil
    end) or nil,
  })
  items = p:take(items)
  for _, msg in ipairs(problems) do io.stderr:write(spec.name, ": ", msg, "\n") end
  if #problems > 0 then
    p:die(("%s: %d problem(s) with the file itself (listed above); nothing sent"):format(path, #problems))
  end
  local bad = 0
  for _, it in ipairs(items) do
    if it.key == nil then it.key = "row " .. it.row end
    if it.req then build_after(spec, it) end
    if it.problems then bad = bad + 1 end
  end
  if bad > 0 and o.strict then
    io.stderr:write(("%s: %d of %d row(s) have problems (listed below); --strict: nothing sent\n")
      :format(spec.name, bad, #items))
  end
  local todo = {}
  for _, it in ipairs(items) do
    if it.problems then
      p:skip(it.row, it.key, it.error or ocip.Error.new("validation", table.concat(it.problems, "; ")))
    elseif not (bad > 0 and o.strict) then
      todo[#todo + 1] = it
    end
  end
  if bad > 0 and o.strict then p:finish("rows") end
  local unique = spec.unique
  if unique == nil then unique = default_unique end
  todo = p:prepare(todo, { unique = unique or nil })

  if o.dry_run then
    p:settings(true)
    io.stdout:write(("dry run: would connect to %s and send %d %s:\n"):format(p:target(), #todo, request))
    for _, it in ipairs(todo) do
      local more = {}
      for _, a in ipairs(it.after or {}) do more[#more + 1] = a._type end
      io.stdout:write(("  row %d: %s%s\n"):format(it.row, it.key,
        #more > 0 and (" (then " .. table.concat(more, ", ") .. ")") or ""))
      p:ok(it.row, it.key)
    end
    p:finish("rows")
  end

  if spec.delete and not o.yes then
    p:die(("refusing to send %d %s without --yes (try --dry-run first)"):format(#todo, request))
  end
  local c = p:connect()
  p:run(c, todo, function(it) return send(spec, c, it) end, { codes = spec.codes or {}, label = spec.name == "bulk" and request or spec.name })
  c:close()
  p:finish("rows")
end

return M
