-- ocip.repl.show: the text the prompt prints for one value, in the output mode chosen
-- with :table (default), :json or :csv.
--   show.value(v, mode, opts) -> string
--     "table": responses and OCITables through ocip.pretty (opts: hide_empty, width),
--       plain tables as a short Lua constructor, errors as their message
--     "json": indented JSON; records keep schema order (_type first), OCITables are
--       arrays of objects in heading order, ocip.NIL is null
--     "csv": an OCITable (or an array of records) as a header line and one line per
--       row; a record as a header line and one row, nested records flattened
--       ("address.city"), each of its tables as a block of its own after a blank line
--   Values that have no JSON or CSV form (functions, errors...) show as in "table".
local Error = require "ocip.error"
local pretty = require "ocip.pretty"
local NIL = require("ocip.sentinel").NIL

local M = {}

local function is_response(v) return type(v) == "table" and type(rawget(v, "_type")) == "string" end
local function is_octable(v) return type(v) == "table" and type(rawget(v, "headings")) == "table" end
local function plain(v) return type(v) == "table" and getmetatable(v) == nil and v ~= NIL end
local function is_array(v)
  if not plain(v) or is_octable(v) then return false end
  local n = #v
  if n == 0 then return false end
  for k in pairs(v) do
    if not (math.type(k) == "integer" and k >= 1 and k <= n) then return false end
  end
  return true
end
local function is_records(v) -- an array whose items are all records
  if not is_array(v) then return false end
  for _, x in ipairs(v) do if not plain(x) or is_array(x) then return false end end
  return true
end

local function ident(k) return type(k) == "string" and k:match("^[%a_][%w_]*$") end

---------------------------------------------------------------------------
-- table mode

-- A plain table as a short Lua constructor (depth and length bounded).
local function literal(v, depth, seen)
  if type(v) == "string" then return (("%q"):format(v):gsub("\\\n", "\\n")) end
  if type(v) ~= "table" or getmetatable(v) ~= nil then return tostring(v) end
  if seen[v] or depth > 3 then return "{...}" end
  seen[v] = true
  local parts, n = {}, #v
  for i = 1, n do parts[#parts + 1] = literal(v[i], depth + 1, seen) end
  local keys = {}
  for k in pairs(v) do
    if not (math.type(k) == "integer" and k >= 1 and k <= n) then keys[#keys + 1] = k end
  end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  for _, k in ipairs(keys) do
    local key = ident(k) and k or ("[" .. literal(k, depth + 1, seen) .. "]")
    parts[#parts + 1] = key .. " = " .. literal(v[k], depth + 1, seen)
  end
  seen[v] = nil
  if #parts > 50 then
    local more = #parts - 50
    parts = table.move(parts, 1, 50, 1, {})
    parts[#parts + 1] = ("... (%d more)"):format(more)
  end
  return "{" .. table.concat(parts, ", ") .. "}"
end

local function as_text(v, opts)
  if Error.is(v) then return tostring(v) end -- already reads "ocip.<kind> error ..."
  if is_octable(v) then return pretty.table(v, v.headings, nil, opts) end
  if is_response(v) then return pretty.response(v, opts) end
  if plain(v) then return literal(v, 0, {}) end
  return tostring(v)
end

---------------------------------------------------------------------------
-- json mode

local json_string = require("ocip.jsontext").string

-- The keys of a record in the order they print: _type first, then pretty's order.
local function record_keys(v)
  local keys = pretty.keys(v, rawget(v, "_type"))
  if type(rawget(v, "_type")) == "string" then table.insert(keys, 1, "_type") end
  return keys
end

local json
local function json_items(items, indent, open, close)
  if #items == 0 then return open .. close end
  local inner = indent .. "  "
  return open .. "\n" .. inner .. table.concat(items, ",\n" .. inner) .. "\n" .. indent .. close
end

function json(v, indent, seen)
  local t = type(v)
  if v == nil or v == NIL then return "null" end
  if t == "boolean" then return tostring(v) end
  if t == "number" then return require("ocip.jsontext").number(v) end
  if t ~= "table" or (getmetatable(v) ~= nil and not is_octable(v)) then return json_string(tostring(v)) end
  if seen[v] then return json_string("(cycle)") end
  seen[v] = true
  local items = {}
  local out
  if is_octable(v) then
    local keys = pretty.heading_keys(v.headings)
    for i, row in ipairs(v) do
      local fields = {}
      for _, k in ipairs(keys) do
        if row[k] ~= nil then fields[#fields + 1] = json_string(k) .. ": " .. json(row[k], indent .. "    ", seen) end
      end
      items[i] = json_items(fields, indent .. "  ", "{", "}")
    end
    out = json_items(items, indent, "[", "]")
  elseif is_array(v) or next(v) == nil then
    for i, x in ipairs(v) do items[i] = json(x, indent .. "  ", seen) end
    out = json_items(items, indent, "[", "]")
  else
    local keys = record_keys(v)
    local shown = {}
    for _, k in ipairs(keys) do shown[k] = true end
    local rest = {} -- keys pretty does not show but that are data: numbers, other metadata
    for k in pairs(v) do
      if not shown[k] and k ~= "headings" and not (k == "_echo" and v[k] == "") then rest[#rest + 1] = k end
    end
    table.sort(rest, function(a, b) return tostring(a) < tostring(b) end)
    table.move(rest, 1, #rest, #keys + 1, keys)
    for _, k in ipairs(keys) do
      items[#items + 1] = json_string(tostring(k)) .. ": " .. json(v[k], indent .. "  ", seen)
    end
    out = json_items(items, indent, "{", "}")
  end
  seen[v] = nil
  return out
end

---------------------------------------------------------------------------
-- csv mode

-- The CSV text of header + rows through the project's writer (ocip.csv), with the
-- terminal's line ends.
local function csv_text(header, rows)
  local csv = require "ocip.csv"
  local parts = {}
  local sink = { write = function(self, ...)
    for i = 1, select("#", ...) do parts[#parts + 1] = select(i, ...) end
    return self
  end }
  local w = csv.writer(sink)
  w:row(header, #header)
  for _, r in ipairs(rows) do w:row(r, #header) end
  return (table.concat(parts):gsub("\r\n", "\n"):gsub("\n$", ""))
end

local function cell(v)
  if v == nil or v == NIL then return v end
  if type(v) == "table" then
    local parts = {}
    for i, x in ipairs(v) do parts[i] = pretty.value(x) end
    return parts
  end
  return pretty.value(v)
end

local function octable_csv(t)
  local keys = pretty.heading_keys(t.headings)
  local rows = {}
  for i, row in ipairs(t) do
    local r = {}
    for c, k in ipairs(keys) do r[c] = cell(row[k]) end
    rows[i] = r
  end
  local header = {}
  for c, h in ipairs(t.headings) do header[c] = tostring(h) end
  return csv_text(header, rows)
end

-- Flattens a record's fields (not its tables) into names and values; tables go to `tables`.
local function flatten(rec, prefix, names, values, tables, depth)
  for _, k in ipairs(pretty.keys(rec, rawget(rec, "_type"))) do
    local v, name = rec[k], prefix .. k
    if is_octable(v) then
      tables[#tables + 1] = { name = name, t = v }
    elseif plain(v) and not is_array(v) and next(v) ~= nil and depth < 8 then
      flatten(v, name .. ".", names, values, tables, depth + 1)
    elseif is_records(v) and depth < 8 then
      for i, item in ipairs(v) do flatten(item, name .. "[" .. i .. "].", names, values, tables, depth + 1) end
    else
      names[#names + 1] = name
      values[#values + 1] = cell(v)
    end
  end
end

local function record_csv(rec)
  local names, values, tables = {}, {}, {}
  flatten(rec, "", names, values, tables, 0)
  local blocks = {}
  if #names > 0 then blocks[1] = csv_text(names, { values }) end
  for _, t in ipairs(tables) do
    -- with more than one block, each table is named by a line of its own
    local text = octable_csv(t.t)
    if #names > 0 or #tables > 1 then text = t.name .. ":\n" .. text end
    blocks[#blocks + 1] = text
  end
  return table.concat(blocks, "\n\n")
end

local function records_csv(list)
  local names, seen, rows = {}, {}, {}
  for i, rec in ipairs(list) do
    local n, vals = {}, {}
    flatten(rec, "", n, vals, {}, 0)
    local row = {}
    for j, name in ipairs(n) do
      if not seen[name] then
        seen[name] = #names + 1
        names[#names + 1] = name
      end
      row[seen[name]] = vals[j]
    end
    rows[i] = row
  end
  return csv_text(names, rows)
end

---------------------------------------------------------------------------

function M.value(v, mode, opts)
  if mode == "json" and not Error.is(v) and (type(v) ~= "table" or plain(v) or is_octable(v)) then
    return json(v, "", {})
  end
  if mode == "csv" then
    if is_octable(v) then return octable_csv(v) end
    if is_records(v) then return records_csv(v) end
    if plain(v) and not is_array(v) and next(v) ~= nil then return record_csv(v) end
  end
  return as_text(v, opts)
end

return M
