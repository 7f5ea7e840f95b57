-- ocip bulk REQUEST FILE: any request of the catalog, one per row of a CSV file (or one
-- per object of a JSON array / NDJSON file), on the pack plumbing (ocip.pack): every row
-- validated before anything is sent, then --dry-run, --report, --resume, --concurrency,
-- --rate, progress, signals and exit codes as the packs have them.
local ocip = require "ocip"
local pack = require "ocip.pack"
local input = require "ocip.bulk.input"
local catalog = require "ocip.catalog"

local USAGE = [[
usage: ocip bulk REQUEST FILE [--set FIELD=VALUE ...] [--input csv|json|ndjson] [flags]
  REQUEST    any request of the release (ocip describe REQUEST lists its fields)
  FILE       CSV with a header row of field names ("," ";" or tab separated; "-" = stdin),
             a JSON array of objects, or NDJSON (one object per line)
  CSV columns: snake_case or XML field names, any case; nested fields with dots
             (address.city, service_instance_profile.name); lists as alias[0], alias[1],
             or one cell split on ";" (alias = sip:a@x;sip:b@x); records in lists as
             agent[0].user_id; an abstract field's type as department._type
  cells:     empty = field absent; @nil = xsi:nil; true/false for booleans
  --set FIELD=VALUE   the same value on every row (same path syntax; repeatable)
  --input F  the file's format (default: from the extension, else from the content)
  --yes      needed to send a *Delete* request (unless --dry-run)
  --strict   send nothing when any row has a problem (default: send the valid rows)
  --ignore-unknown-columns   warn about CSV columns the request has no field for and
             leave them out (e.g. a users_export file as input to UserDeleteRequest)
Every row is validated before anything is sent and every problem is listed on stderr
with its row number; invalid and duplicate rows are skipped (outcome "skipped", exit 1).
A problem with the file itself (unknown column, bad header) sends nothing (exit 2).
outcomes: exists (an Add found the object there: 4010) and absent (a Delete found it
gone: 4008/4009/4505) are not failures]]

local EXISTS = { [4010] = "exists" }
local ABSENT = { [4008] = "absent", [4009] = "absent", [4505] = "absent" }

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

-- File-level problems on stderr (row problems are reported by the pack as skipped rows)
local function report_problems(items, problems)
  for _, msg in ipairs(problems) do io.stderr:write("bulk: ", msg, "\n") end
  local bad = 0
  for _, it in ipairs(items) do if it.problems then bad = bad + 1 end end
  return bad
end

return function(args)
  local p = pack.new{
    name = "bulk",
    args = { min = 2, max = 2, name = "REQUEST and FILE" },
    options = { ["--set"] = { "set", "s", list = true }, ["--input"] = { "input", "s" },
      ["--strict"] = { "strict", true }, ["--ignore-unknown-columns"] = { "ignore_unknown", true },
      ["--yes"] = { "yes", true }, ["-y"] = { "yes", true } },
    resume = true,
    usage = USAGE,
  }
  local o = p:parse(args)
  local request, path = o.args[1], o.args[2]
  if not catalog.is_request(request) then
    local hint = require("ocip.suggest").phrase(catalog.suggest(request, 3))
    p:die("unknown request " .. request .. hint)
  end

  local items, problems = input.load(request, read(path, p), { format = input_format(o, path, p), set = o.set, ignore_unknown = o.ignore_unknown })
  items = p:take(items)
  local bad = report_problems(items, problems)
  if #problems > 0 then
    p:die(("%s: %d problem(s) with the file itself (listed above); nothing sent"):format(path, #problems))
  end
  if bad > 0 and o.strict then
    io.stderr:write(("bulk: %d of %d row(s) have problems (listed above); --strict: nothing sent\n")
      :format(bad, #items))
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
  todo = p:prepare(todo)

  if o.dry_run then
    p:settings(true)
    io.stdout:write(("dry run: would connect to %s and send %d %s:\n"):format(p:target(), #todo, request))
    for _, it in ipairs(todo) do
      io.stdout:write(("  row %d: %s\n"):format(it.row, it.key))
      p:ok(it.row, it.key)
    end
    p:finish("rows")
  end

  local deleting = request:find("Delete", 1, true) ~= nil
  if deleting and not o.yes then
    p:die(("refusing to send %d %s without --yes (try --dry-run first)"):format(#todo, request))
  end
  local codes = request:find("Add", 1, true) and EXISTS or deleting and ABSENT or {}
  local c = p:connect()
  p:run(c, todo, function(it) return c:command(it.req) end, { codes = codes, label = request })
  c:close()
  p:finish("rows")
end
