-- ocip.bulk.input: a bulk file (CSV, JSON array or NDJSON) -> one request's field table
-- per row, every row validated before anything is sent.
--   input.load(request, text, opts) -> items, problems
--     opts: format = "csv" | "json" | "ndjson" | nil (guessed from the text),
--           set = { "path=value", ... } (fixed values for every row), separator (CSV; else
--           sniffed from the header: ",", ";" or tab), ignore_unknown (CSV columns the
--           request has no field for are left out, with a warning on stderr),
--           name (the prefix of those warnings, default "bulk"), and for recipes
--           (ocip.bulk.recipe):
--           columns = { [lowercased name] = { path = "field.path" (an alias), value =
--             fn(cell) -> value | nil, message (converts a cell; each item of a ;-list),
--             clear = "field.path"
--             (where @nil goes), virtual = true (no field: the cell goes to item.extra) } },
--           prepare = fn(fields, extra) -> nil | problem | { problems } (after --set,
--             before validation: defaults, virtual columns),
--           key = fn(fields, extra, row) -> the row's key,
--           columns_only = true (only those columns: others are unknown, or ignored with
--             ignore_unknown).
--     items: array in file order of { row = n (1 = first data row), line = l (CSV),
--            key = text naming the row in reports, fields = table, extra = { virtual
--            column -> cell }, req = validated request
--            (nil when the row has problems), problems = { "message", ... } | nil,
--            duplicate_of = n | nil }
--     problems: file-level problems (bad header, unknown column, bad --set, unreadable
--            file): nothing may be sent while there are any.
-- CSV cells: empty -> the field is absent; `@nil` -> ocip.NIL (xsi:nil); a list of plain
-- values without an index in its column name -> the cell split on ";"; boolean fields
-- take true/false (any case) or 1/0; other values are strings (the validator converts
-- integers). A cell written
-- neutralised by ocip's CSV writer ('=1+2) reads back as written by the server.
local csv = require "ocip.csv"
local catalog = require "ocip.catalog"
local paths = require "ocip.bulk.paths"
local NIL = require("ocip.sentinel").NIL

local M = {}

local function guess_format(text)
  local first = text:match("^\239\187\191?%s*(.)") or text:match("^%s*(.)")
  if first == "[" then return "json" end
  if first == "{" then
    -- one object per line, or one pretty-printed object spanning lines (then: json)
    local line = text:match("^%s*([^\n]*)")
    local ok = pcall(require("cjson").decode, line)
    return ok and "ndjson" or "json"
  end
  return "csv"
end

-- The key that names a row in reports: the last of the request's leading required
-- plain fields that identify something: *_id, name, *_name (user_id, device_name,
-- service_user_id), but not a person's names (last_name, first_name...).
local key_cache = {}
local function identifies(name)
  if name:match("_id$") or name == "name" then return true end
  return name:match("_name$") ~= nil and not name:match("first_name$") and not name:match("last_name$")
end
local function key_fields(request)
  local k = key_cache[request]
  if k then return k end
  k = {}
  local d = catalog.describe(request)
  for _, f in ipairs(d and d.fields or {}) do
    if not (f.required and f.prim and not f.list and identifies(f.name)) then break end
    k[#k + 1] = f.name
  end
  key_cache[request] = k
  return k
end

local function row_key(request, fields, row)
  local names = key_fields(request)
  local v = names[#names] and fields[names[#names]]
  if type(v) == "string" or math.type(v) then return tostring(v) end
  return "row " .. row
end

-- xs:boolean lexical forms, any case (spreadsheets write TRUE/FALSE)
local BOOLEAN = { ["true"] = true, ["1"] = true, ["false"] = false, ["0"] = false }

-- value of a cell for a path: @nil -> NIL; a column's own conversion; ;-split lists;
-- booleans (other cells stay strings: the validator converts numbers)
local function cell_value(path, cell)
  if cell == "@nil" then return NIL end
  local last = path.segs[#path.segs]
  if not path.value and last.field and last.field.prim == "boolean" and not path.split then
    local b = BOOLEAN[csv.trim(cell):lower()]
    if b ~= nil then return b end
    return cell -- the validator names the problem
  end
  if path.split then
    local items = {}
    for item in (cell .. ";"):gmatch("([^;]*);") do
      item = csv.trim(item)
      if item ~= "" then
        local v, why = item, nil
        if path.value then v, why = path.value(item) end
        if v == nil then return nil, why end
        items[#items + 1] = v
      end
    end
    return items
  end
  if path.value then return path.value(cell) end
  return cell
end

-- A column name -> its target: { path = resolved path } (a field, an alias of one, with
-- the alias's conversion), or { virtual = name } (the recipe's own column), or nil, why.
local function column(request, name, columns, only)
  local spec = columns and columns[name:lower()]
  if spec and spec.virtual then return { virtual = name:lower() } end
  if only and not spec then return nil, ("unknown column '%s': not a column of this pack"):format(name) end
  local path, why = paths.resolve(request, spec and spec.path or name)
  if not path then
    if spec then why = ("column '%s' (%s): %s"):format(name, spec.path, why) end
    return nil, why
  end
  if spec then
    path.value = spec.value
    if spec.clear then path.clear = assert(paths.resolve(request, spec.clear)) end
  end
  return { path = path }
end

-- stores a cell at a column's path (@nil at its `clear` path when it has one)
local function store(fields, path, cell)
  local v, why = cell_value(path, cell)
  if v == nil then return nil, ("%s: %s"):format(path.text, why or "no value") end
  if v == NIL and path.clear then return paths.set(fields, path.clear, NIL) end
  return paths.set(fields, path, v)
end

-- --set items: { col = column target, value = } resolved, or problems
local function parse_sets(request, sets, columns, only, problems)
  local out = {}
  for _, item in ipairs(sets or {}) do
    local k, v = item:match("^([^=]+)=(.*)$")
    if not k then
      problems[#problems + 1] = "--set " .. item .. ": expected field=value"
    else
      local col, why = column(request, k, columns, only)
      if not col then problems[#problems + 1] = "--set " .. why
      else out[#out + 1] = { col = col, value = v } end
    end
  end
  return out
end

-- JSON values -> field values: null -> NIL, integral numbers -> integers, booleans kept
local function from_json(v, cjson)
  if v == cjson.null then return NIL end
  if type(v) == "number" then return math.tointeger(v) or v end
  if type(v) == "table" then
    local t = {}
    for k, x in pairs(v) do t[k] = from_json(x, cjson) end
    return t
  end
  return v
end

local function csv_rows(request, text, opts, problems)
  -- "," or ";" (Excel in much of Europe) or tab: sniffed from the header line
  local sep = opts.separator or csv.sniff(text)
  local records, lines = csv.parse(text, { sep = sep })
  if not records then
    problems[#problems + 1] = tostring(lines and lines.message or lines)
    return {}
  end
  local header = records[1]
  if not header then
    problems[#problems + 1] = "the file is empty (a header row naming the fields is needed)"
    return {}
  end
  local cols, seen, ignored = {}, {}, {}
  for i, name in ipairs(header) do
    name = csv.trim(name)
    if name == "" then
      problems[#problems + 1] = ("column %d has no name"):format(i)
    else
      local col, why = column(request, name, opts.columns, opts.columns_only)
      local path = col and col.path
      if not col and opts.ignore_unknown and why:find("unknown column") then
        ignored[#ignored + 1] = name
      elseif not col then problems[#problems + 1] = why
      elseif col.virtual then
        if seen[col.virtual] then
          problems[#problems + 1] = ("columns %d and %d are both %s"):format(seen[col.virtual], i, col.virtual)
        end
        seen[col.virtual] = i
        cols[i] = col
      else
        local norm = table.concat(paths.keys(path), ".")
        if seen[norm] then
          problems[#problems + 1] = ("columns %d and %d both give %s"):format(seen[norm], i, norm)
        end
        seen[norm] = i
        cols[i] = col
      end
    end
  end
  if #ignored > 0 then
    io.stderr:write(("%s: column%s %s: no field of %s: ignored\n"):format(opts.name or "bulk",
      #ignored > 1 and "s" or "", table.concat(ignored, ", "), request))
  end
  local rows = {}
  for r = 2, #records do
    local rec = records[r]
    local blank = #rec <= 1 and (rec[1] or "") == ""
    if not blank then
      local item = { row = #rows + 1, line = lines[r], fields = {}, extra = {}, problems = nil }
      if #rec ~= #header then
        item.problems = { ("has %d fields, the header %d"):format(#rec, #header) }
      end
      for i = 1, #header do
        local col, cell = cols[i], rec[i]
        if col and cell and cell ~= "" then
          local ok, why = true, nil
          if col.virtual then item.extra[col.virtual] = cell
          else ok, why = store(item.fields, col.path, cell) end
          if not ok then item.problems = item.problems or {}; table.insert(item.problems, why) end
        end
      end
      rows[#rows + 1] = item
    end
  end
  return rows
end

local function json_rows(text, format, problems)
  local cjson = require "cjson"
  local rows = {}
  if format == "ndjson" then
    local n = 0
    for line in (text .. "\n"):gmatch("([^\n]*)\n") do
      n = n + 1
      if line:match("%S") then
        local ok, v = pcall(cjson.decode, line)
        local item = { row = #rows + 1, line = n }
        if not ok or type(v) ~= "table" then
          item.fields = {}
          item.problems = { "line " .. n .. ": not a JSON object" .. (ok and "" or (": " .. tostring(v))) }
        else
          item.fields = from_json(v, cjson)
        end
        rows[#rows + 1] = item
      end
    end
    return rows
  end
  local ok, v = pcall(cjson.decode, text)
  if not ok or type(v) ~= "table" then
    problems[#problems + 1] = "not a JSON array of objects" .. (ok and "" or (": " .. tostring(v)))
    return rows
  end
  for i, obj in ipairs(v) do
    local item = { row = i }
    if type(obj) ~= "table" then
      item.fields, item.problems = {}, { "not a JSON object" }
    else
      item.fields = from_json(obj, cjson)
    end
    rows[i] = item
  end
  return rows
end

-- JSON objects: top-level keys that are a recipe's columns go to their path (aliases,
-- with the column's conversion of strings) or to item.extra (virtual columns).
local function json_columns(request, rows, opts)
  local columns, only = opts.columns, opts.columns_only
  for _, item in ipairs(rows) do
    item.extra = item.extra or {}
    local keys, others = {}, {}
    for k in pairs(item.fields) do
      if type(k) == "string" and columns[k:lower()] then keys[#keys + 1] = k
      elseif only and type(k) == "string" then others[#others + 1] = k end -- not the pack's
    end
    table.sort(keys)
    table.sort(others)
    for _, k in ipairs(others) do
      item.fields[k] = nil
      if not opts.ignore_unknown then
        item.problems = item.problems or {}
        table.insert(item.problems, ("unknown column '%s': not a column of this pack"):format(k))
      end
    end
    for _, k in ipairs(keys) do
      local v = item.fields[k]
      item.fields[k] = nil
      local col, why = column(request, k, columns)
      local ok = col ~= nil
      if col and col.virtual then item.extra[col.virtual] = v
      elseif col and type(v) == "string" then ok, why = store(item.fields, col.path, v)
      elseif col and v == NIL and col.path.clear then ok, why = paths.set(item.fields, col.path.clear, NIL)
      elseif col then ok, why = paths.set(item.fields, col.path, v) end
      if not ok then item.problems = item.problems or {}; table.insert(item.problems, why) end
    end
  end
end

-- JSON objects with keys the request has no field for: those keys left out (one warning
-- per key), for `ignore_unknown`.
local function drop_unknown(request, rows, name)
  local warned = {}
  for _, item in ipairs(rows) do
    for k in pairs(item.fields) do
      if type(k) == "string" and not paths.resolve(request, k) then
        item.fields[k] = nil
        if not warned[k] then
          warned[k] = true
          io.stderr:write(name or "bulk", ": unknown field '", k, "': ", request, " has no such field: ignored\n")
        end
      end
    end
  end
end

-- A stable text of a field table, to find duplicate rows (leaves length-prefixed: no
-- quoting to do; keys sorted as strings: no comparator function, this runs per row).
local function canonical(v)
  if v == NIL then return "@nil" end
  if type(v) ~= "table" then
    local s = tostring(v)
    return #s .. ":" .. s
  end
  local keys, orig, n = {}, {}, 0
  for k in pairs(v) do
    n = n + 1
    local s = type(k) == "string" and k or ("#" .. tostring(k))
    keys[n], orig[s] = s, k
  end
  table.sort(keys)
  local parts = {}
  for i = 1, n do parts[i] = keys[i] .. "=" .. canonical(v[orig[keys[i]]]) end
  return "{" .. table.concat(parts, ",") .. "}"
end

--- input.load(request, text, opts) -> items, problems (see the top of this file)
function M.load(request, text, opts)
  opts = opts or {}
  local problems = {}
  if not catalog.is_request(request) then
    problems[1] = "unknown request " .. tostring(request)
    return {}, problems
  end
  local sets = parse_sets(request, opts.set, opts.columns, opts.columns_only, problems)
  local format = opts.format or guess_format(text)
  local rows
  if format == "csv" then rows = csv_rows(request, text, opts, problems)
  elseif format == "json" or format == "ndjson" then rows = json_rows(text, format, problems)
  else problems[#problems + 1] = "unknown format " .. tostring(format) .. " (csv, json, ndjson)"; rows = {} end
  if #problems > 0 then return rows, problems end

  if opts.columns and format ~= "csv" then json_columns(request, rows, opts) end
  if opts.ignore_unknown and format ~= "csv" then drop_unknown(request, rows, opts.name) end
  local first_seen = {}
  for _, item in ipairs(rows) do
    item.extra = item.extra or {}
    for _, s in ipairs(sets) do
      local ok, why = true, nil
      if s.col.virtual then
        if item.extra[s.col.virtual] ~= nil then ok, why = nil, s.col.virtual .. ": set twice" end
        item.extra[s.col.virtual] = s.value
      else
        ok, why = store(item.fields, s.col.path, s.value)
      end
      if not ok then
        item.problems = item.problems or {}
        table.insert(item.problems, why .. " (a column and --set both give it)")
      end
    end
    if opts.prepare and not item.problems then
      local more = opts.prepare(item.fields, item.extra)
      if type(more) == "string" then more = { more } end
      if more and #more > 0 then item.problems = more end
    end
    paths.compact(item.fields)
    item.key = opts.key and opts.key(item.fields, item.extra, item.row) or row_key(request, item.fields, item.row)
    if not item.problems then
      local req, err = catalog.build(request, item.fields)
      if req then
        item.req = req
        local c = canonical({ item.fields, item.extra })
        local first = first_seen[c]
        if first then
          item.duplicate_of = first
          item.req = nil
          item.problems = { ("duplicate of row %d"):format(first) }
        else
          first_seen[c] = item.row
        end
      else
        local list = {}
        if type(err) == "table" and err.problems then
          for i, p in ipairs(err.problems) do
            list[i] = type(p) == "table" and ((p.field and (p.field .. ": ") or "") .. tostring(p.message)) or tostring(p)
          end
        else
          list[1] = tostring(err and err.message or err)
        end
        item.problems = list
        item.error = err
      end
    end
  end
  return rows, problems
end

return M
