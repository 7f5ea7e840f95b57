-- ocip send [connection flags] [--json | --csv] [--dry-run] CMD key=value ...
-- One request from the command line: values are strings (the validator converts
-- int fields; "true"/"false" become booleans for boolean fields), `a.b=v` nests,
-- `a.1=v` indexes a list, a repeated key makes a list, `key=@nil` sends xsi:nil.
-- Exit status: 0 response, 1 the command failed (validation, server, lost connection...),
-- 2 usage, 3 could not connect or log in (nothing sent).
local catalog = require "ocip.catalog"
local profile = require "ocip.profile"
local pretty = require "ocip.pretty"
local NIL = require("ocip.sentinel").NIL

local USAGE = [[
usage: ocip send [--json | --csv] [--dry-run] [connection flags] CMD key=value ...
  key=value      a field (snake_case or XML name); a.b=v nests; repeat a key for a list
  key=@nil       sends the field as xsi:nil
  --json         print the response as JSON
  --csv          print the response as CSV: its OCITable, or one row of its fields
                 (nested as a.b, lists of records as a[0].b); a cell starting with
                 = + - @ tab or CR gets a ' in front (spreadsheet-safe; --raw-csv: not)
  --dry-run      print the encoded XML document, do not connect
exit:  0 done, 1 the command failed (validation, server error, lost connection),
       2 usage, 3 could not connect or log in (nothing sent)
]] .. profile.HELP

local M = {}

--- fields(pairs) -> table built from "k=v" words, or nil, message
function M.fields(words)
  local root, repeated = {}, {}
  for _, w in ipairs(words) do
    local key, value = w:match("^([^=]+)=(.*)$")
    if not key then return nil, "expected key=value, got '" .. w .. "'" end
    if value == "@nil" then value = NIL end
    local node, path = root, {}
    for seg in key:gmatch("[^.]+") do path[#path + 1] = math.tointeger(tonumber(seg)) or seg end
    if #path == 0 then return nil, "empty key in '" .. w .. "'" end
    for i = 1, #path - 1 do
      local seg = path[i]
      local nxt = node[seg]
      if nxt == nil then nxt = {}; node[seg] = nxt end
      if type(nxt) ~= "table" or nxt == NIL or repeated[nxt] then
        return nil, "'" .. key .. "' mixes a value and nested fields"
      end
      node = nxt
    end
    local last = path[#path]
    local old = node[last]
    if old == nil then node[last] = value
    elseif repeated[old] then old[#old + 1] = value
    elseif type(old) == "table" and old ~= NIL then
      return nil, "'" .. key .. "' mixes a value and nested fields"
    else
      local list = { old, value }
      repeated[list] = true
      node[last] = list
    end
  end
  return root
end

local BOOL = { ["true"] = true, ["1"] = true, ["false"] = false, ["0"] = false }

-- Converts "true"/"false" for boolean fields, guided by the catalog (the validator
-- takes only real booleans); unknown fields are left for the validator to name.
local function coerce(tbl, type_name)
  local d = type_name and catalog.describe(type_name)
  if not d or not d.fields then return end
  local by = {}
  for _, f in ipairs(d.fields) do by[f.name] = f; by[f.xml_name] = f end
  for k, v in pairs(tbl) do
    local f = by[k]
    if f then
      local items = (type(v) == "table" and v ~= NIL and #v > 0) and v or { v }
      for i, item in ipairs(items) do
        if f.prim == "boolean" and type(item) == "string" and BOOL[item:lower()] ~= nil then
          items[i] = BOOL[item:lower()]
        elseif type(item) == "table" and item ~= NIL then
          coerce(item, item._type or f.type)
        end
      end
      if items ~= v then tbl[k] = items[1] end
    end
  end
end

local function parse(args)
  local flags, rest = profile.take_flags(args)
  if not flags then return nil, rest end
  local o = { flags = flags, words = {} }
  for _, a in ipairs(rest) do
    if a == "--json" then o.json = true
    elseif a == "--csv" then o.csv = true
    elseif a == "--raw-csv" then o.csv, o.raw_csv = true, true
    elseif a == "--dry-run" or a == "-n" then o.dry_run = true
    elseif a == "-h" or a == "--help" then o.help = true
    elseif a:sub(1, 1) == "-" and not o.name then return nil, "unknown option " .. a
    elseif not o.name then o.name = a
    else o.words[#o.words + 1] = a end
  end
  return o
end

-- JSON: ocip.NIL -> null, OCITables -> arrays of records, errors -> their fields.
local function plain(v)
  local cjson = require "cjson"
  if v == NIL then return cjson.null end
  if type(v) ~= "table" then return v end
  local out = {}
  if v.headings ~= nil or #v > 0 then
    for i, x in ipairs(v) do out[i] = plain(x) end
    return out
  end
  for k, x in pairs(v) do
    if type(k) == "string" and not (k == "_echo" and x == "") then out[k] = plain(x) end
  end
  return out
end

local function error_fields(err)
  local t = {}
  for _, k in ipairs { "kind", "message", "command", "code", "summary", "summary_english",
    "detail", "severity", "field", "sent", "problems" } do t[k] = err[k] end
  t.text = tostring(err)
  return t
end

local function fail(o, err, prefix)
  if o.json then
    io.stdout:write(require("cjson").encode({ error = error_fields(err) }), "\n")
  end
  io.stderr:write("ocip send: ", prefix or "", tostring(err), "\n")
  return 1
end

function M.main(args)
  local o, why = parse(args)
  if not o then
    io.stderr:write("ocip send: ", tostring(why), "\n", USAGE, "\n")
    return 2
  end
  if o.help then print(USAGE) return 0 end
  if o.json and o.csv then io.stderr:write("ocip send: --json or --csv, not both\n") return 2 end
  if not o.name then io.stderr:write(USAGE, "\n") return 2 end
  if not catalog.is_request(o.name) then
    local close = catalog.suggest(o.name, 6)
    io.stderr:write("ocip send: unknown request '", o.name, "'\n")
    if #close > 0 then io.stderr:write("did you mean: ", table.concat(close, ", "), "\n") end
    return 2
  end
  local fields, ferr = M.fields(o.words)
  if not fields then
    io.stderr:write("ocip send: ", ferr, "\n")
    return 2
  end
  coerce(fields, o.name)
  local req, err = catalog.build(o.name, fields)
  if not req then return fail(o, err) end
  if o.dry_run then
    local doc, eerr = require("ocip.xml").encode({ req }, "dry-run")
    if not doc then return fail(o, eerr) end
    io.stdout:write(doc, doc:sub(-1) == "\n" and "" or "\n")
    return 0
  end
  local settings, serr = profile.settings(o.flags)
  if not settings then
    io.stderr:write("ocip send: ", tostring(serr.message or serr), "\n")
    return 2
  end
  local ocip = require "ocip"
  settings.sessions = settings.sessions or 1
  -- The client logs a refused login at "error" level; send reports that same error
  -- itself, once, so that line is left out (every other warning or error still shows).
  settings.log = profile.cli_log()
  local status = 0
  ocip.run(function()
    local c, cerr = ocip.connect(settings)
    if not c then
      -- The command never left: report it as the failed (unsent) command, once.
      local e = require("ocip.outcome").copy(cerr, { name = o.name }, false)
      local prefix = e.kind == "auth" and settings.username
        and ("login as " .. tostring(settings.username) .. " failed: ") or nil
      fail(o, e, prefix)
      status = e.kind == "usage" and 2 or 3 -- 3: could not connect or log in, nothing sent
      return
    end
    local r, rerr = c:command(req)
    c:close()
    if not r then status = fail(o, rerr) return end
    for _, w in ipairs(r.warnings or {}) do io.stderr:write("ocip send: ", tostring(w), "\n") end
    if o.json then
      io.stdout:write(require("cjson").encode(plain(r)), "\n")
    elseif o.csv then
      local cols, rows, left_out = require("ocip.pack.flat").rows(r)
      if #left_out > 0 then
        io.stderr:write("ocip send: --csv: left out ", table.concat(left_out, ", "), " (see --json)\n")
      end
      if #cols > 0 then
        local csv = require "ocip.csv"
        local w = csv.writer(io.stdout, { raw = o.raw_csv })
        w:row(cols, #cols)
        for _, row in ipairs(rows) do w:row(row, #cols) end
      end
    else
      io.stdout:write(pretty.response(r), "\n")
    end
  end)
  return status
end

return M
