-- ocip.pretty: readable text for responses, OCITables and errors (CLI and REPL).
--   pretty.response(r) -> string   fields in schema order, nested records indented,
--                                  tables as aligned columns under their headings
--   pretty.table(rows, headings) -> string   (headings default to rows.headings)
--   pretty.value(v) -> string      one scalar as shown in a cell
--   pretty.heading_keys(headings) -> array of record keys, the decoder's naming rule
local NIL = require("ocip.sentinel").NIL

local M = {}

local function width(s)
  return utf8.len(s) or #s -- Latin-1 leftovers: count bytes
end

local function pad(s, n)
  return s .. string.rep(" ", n - width(s))
end

function M.value(v)
  if v == nil then return "" end
  if v == NIL then return "(nil)" end
  if type(v) == "table" then
    if v._nil then return "(nil)" end
    local parts = {}
    for _, x in ipairs(v) do parts[#parts + 1] = M.value(x) end
    return table.concat(parts, ", ")
  end
  return tostring(v)
end

-- Same rule as the decoder: lowercase, runs of non-alphanumerics -> "_", trimmed,
-- repeats get _2, _3..., an empty heading is col_N.
function M.heading_keys(headings)
  local keys, seen = {}, {}
  for i, h in ipairs(headings or {}) do
    local k = tostring(h):lower():gsub("[^%w]+", "_"):gsub("^_+", ""):gsub("_+$", "")
    if k == "" then k = "col_" .. i end
    local base, n = k, 1
    while seen[k] do
      n = n + 1
      k = base .. "_" .. n
    end
    seen[k] = true
    keys[i] = k
  end
  return keys
end

-- Columns for rows without headings: every key seen, in first-seen order of sorted keys.
local function keys_of(rows)
  local seen, keys = {}, {}
  for _, row in ipairs(rows) do
    local ks = {}
    for k in pairs(row) do if type(k) == "string" and not seen[k] then ks[#ks + 1] = k end end
    table.sort(ks)
    for _, k in ipairs(ks) do seen[k] = true; keys[#keys + 1] = k end
  end
  return keys
end

function M.table(rows, headings, indent)
  indent = indent or ""
  headings = headings or rows.headings
  local keys
  if headings then keys = M.heading_keys(headings) else keys = keys_of(rows); headings = keys end
  if #keys == 0 then return indent .. "(" .. #rows .. " rows)" end
  local cells, widths = {}, {}
  for c, h in ipairs(headings) do widths[c] = width(tostring(h)) end
  for r, row in ipairs(rows) do
    cells[r] = {}
    for c, k in ipairs(keys) do
      local s = M.value(row[k]):gsub("[\r\n\t]", " ")
      cells[r][c] = s
      if width(s) > widths[c] then widths[c] = width(s) end
    end
  end
  local out = {}
  local function line(vals)
    local parts = {}
    for c, v in ipairs(vals) do parts[c] = c == #vals and v or pad(v, widths[c]) end
    out[#out + 1] = (indent .. table.concat(parts, "  ")):gsub("%s+$", "")
  end
  local hs, rule = {}, {}
  for c, h in ipairs(headings) do hs[c] = tostring(h); rule[c] = string.rep("-", widths[c]) end
  line(hs)
  line(rule)
  for _, row in ipairs(cells) do line(row) end
  out[#out + 1] = indent .. "(" .. #rows .. (#rows == 1 and " row)" or " rows)")
  return table.concat(out, "\n")
end

-- Field order of a record: the catalog's schema order when its type is known, then
-- the remaining keys sorted. Keys starting with "_" are metadata and not shown.
local function ordered_keys(rec, type_name)
  local keys, seen = {}, {}
  local ok, catalog = pcall(require, "ocip.catalog")
  local d = ok and type_name and catalog.describe(type_name)
  if d and d.fields then
    for _, f in ipairs(d.fields) do
      if rec[f.name] ~= nil and not seen[f.name] then keys[#keys + 1] = f.name; seen[f.name] = true end
    end
  end
  local rest = {}
  for k in pairs(rec) do
    if type(k) == "string" and not seen[k] and k:sub(1, 1) ~= "_" and k ~= "headings"
      and not (k == "warnings" and rec._type == "SuccessResponse") then
      rest[#rest + 1] = k
    end
  end
  table.sort(rest)
  table.move(rest, 1, #rest, #keys + 1, keys)
  return keys
end

local function is_table(v) return type(v) == "table" and v.headings ~= nil end
local function is_record(v) return type(v) == "table" and v ~= NIL and not v._nil and #v == 0 and next(v) ~= nil end

local function record(rec, type_name, indent, out)
  local keys = ordered_keys(rec, type_name)
  local w = 0
  for _, k in ipairs(keys) do if width(k) > w then w = width(k) end end
  for _, k in ipairs(keys) do
    local v = rec[k]
    if is_table(v) then
      out[#out + 1] = indent .. k .. ":"
      out[#out + 1] = M.table(v, v.headings, indent .. "  ")
    elseif is_record(v) then
      out[#out + 1] = indent .. k .. ":" .. (v._type and ("  (" .. v._type .. ")") or "")
      record(v, v._type, indent .. "  ", out)
    elseif type(v) == "table" and v ~= NIL and type(v[1]) == "table" then
      for i, item in ipairs(v) do
        out[#out + 1] = indent .. k .. "[" .. i .. "]:" .. (item._type and ("  (" .. item._type .. ")") or "")
        record(item, item._type, indent .. "  ", out)
      end
    else
      out[#out + 1] = (indent .. pad(k, w) .. "  " .. M.value(v)):gsub("%s+$", "")
    end
  end
end

function M.response(r)
  if type(r) ~= "table" then return tostring(r) end
  local out = {}
  if r._type then out[1] = r._type end
  record(r, r._type, r._type and "  " or "", out)
  for _, w in ipairs(r.warnings or {}) do out[#out + 1] = "  warning: " .. tostring(w) end
  return table.concat(out, "\n")
end

return M
