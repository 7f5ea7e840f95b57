-- ocip.pretty: readable text for responses, OCITables and errors (CLI and REPL).
--   pretty.response(r, opts) -> string   fields in schema order, nested records
--                                  indented, tables as aligned columns under their headings
--   pretty.table(rows, headings, indent, opts) -> string   (headings default to
--                                  rows.headings)
--   opts (both optional): hide_empty = true leaves out the columns empty in every row;
--   width = N fits tables into N columns (cells cut with "…", then columns left out
--   from the right); either adds a note to the "(N rows)" line.
--   pretty.fit(widths, sep, room, min) -> array of column widths within room, and the
--                                  number of columns that fit
--   pretty.value(v) -> string      one scalar as shown in a cell
--   pretty.heading_keys(headings) -> array of record keys, the decoder's naming rule
--   pretty.keys(record, type_name) -> its shown keys: schema order, then the rest sorted
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

-- Shortens s to n characters, the last one "…".
local function cut(s, n)
  if width(s) <= n then return s end
  if n <= 0 then return "" end
  local stop = utf8.len(s) and utf8.offset(s, n) or n
  return s:sub(1, stop - 1) .. "…"
end

-- Column widths that fit `room` (separators included): the widest columns are cut to a
-- common cap, never below `min` (nor below their own width); columns that still do not
-- fit are left out from the right. Returns the widths and how many columns fit.
function M.fit(widths, sep, room, min)
  local n = #widths
  local function total(cap, k)
    local t = sep * math.max(k - 1, 0)
    for c = 1, k do t = t + math.min(widths[c], cap) end
    return t
  end
  local widest = 0
  for c = 1, n do widest = math.max(widest, widths[c]) end
  if total(widest, n) <= room then return widths, n end
  local k = n
  while k > 1 and total(min, k) > room do k = k - 1 end
  local lo, hi = min, widest -- largest cap that fits: total() grows with cap
  while lo < hi do
    local mid = (lo + hi + 1) // 2
    if total(mid, k) <= room then lo = mid else hi = mid - 1 end
  end
  local out = {}
  for c = 1, k do out[c] = math.min(widths[c], lo) end
  return out, k
end

-- Cut columns keep at least this many characters: past that, columns on the right go.
local MIN_COLUMN = 16

function M.table(rows, headings, indent, opts)
  indent = indent or ""
  opts = opts or {}
  headings = headings or rows.headings
  local keys
  if headings then keys = M.heading_keys(headings) else keys = keys_of(rows); headings = keys end
  if #keys == 0 then return indent .. "(" .. #rows .. " rows)" end
  local cols = {} -- the shown columns: indexes into keys/headings
  local notes = {}
  local empty = {}
  for c, k in ipairs(keys) do
    local used = not opts.hide_empty or #rows == 0
    for _, row in ipairs(rows) do
      if used then break end
      if M.value(row[k]) ~= "" then used = true end
    end
    if used then cols[#cols + 1] = c else empty[#empty + 1] = tostring(headings[c]) end
  end
  if #cols == 0 then -- every column empty: show them anyway
    for c = 1, #keys do cols[c] = c end
    empty = {}
  end
  local cells, widths = {}, {}
  for i, c in ipairs(cols) do widths[i] = width(tostring(headings[c])) end
  for r, row in ipairs(rows) do
    cells[r] = {}
    for i, c in ipairs(cols) do
      local s = M.value(row[keys[c]]):gsub("[\r\n\t]", " ")
      cells[r][i] = s
      if width(s) > widths[i] then widths[i] = width(s) end
    end
  end
  local shown = #cols
  local full = widths
  if opts.width then
    widths, shown = M.fit(widths, 2, opts.width - width(indent), MIN_COLUMN)
    local cut_any = shown < #cols
    for i = 1, shown do if widths[i] < full[i] then cut_any = true end end
    if shown < #cols then
      local left = {}
      for i = shown + 1, #cols do left[#left + 1] = tostring(headings[cols[i]]) end
      notes[#notes + 1] = ("%d more column%s not shown: %s"):format(#left, #left == 1 and "" or "s",
        table.concat(left, ", "))
    end
    if cut_any then notes[#notes + 1] = ("cut to %d columns: :csv or :json show all"):format(opts.width) end
  end
  if #empty > 0 then
    notes[#notes + 1] = ("%d empty column%s not shown: %s"):format(#empty, #empty == 1 and "" or "s",
      table.concat(empty, ", "))
  end
  local out = {}
  local function line(vals)
    local parts = {}
    for i = 1, shown do
      local v = cut(vals[i], widths[i])
      parts[i] = i == shown and v or pad(v, widths[i])
    end
    out[#out + 1] = (indent .. table.concat(parts, "  ")):gsub("%s+$", "")
  end
  local hs, rule = {}, {}
  for i, c in ipairs(cols) do hs[i] = tostring(headings[c]); rule[i] = string.rep("-", widths[i] or 0) end
  line(hs)
  line(rule)
  for _, row in ipairs(cells) do line(row) end
  local count = "(" .. #rows .. (#rows == 1 and " row" or " rows")
  for _, n in ipairs(notes) do count = count .. "; " .. n end
  out[#out + 1] = indent .. count .. ")"
  return table.concat(out, "\n")
end

-- Field order of a record: the catalog's schema order when its type is known, then
-- the remaining keys sorted. Keys starting with "_" are metadata and not shown.
function M.keys(rec, type_name)
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

local function record(rec, type_name, indent, out, opts)
  local keys = M.keys(rec, type_name)
  local w = 0
  for _, k in ipairs(keys) do if width(k) > w then w = width(k) end end
  for _, k in ipairs(keys) do
    local v = rec[k]
    if is_table(v) then
      out[#out + 1] = indent .. k .. ":"
      out[#out + 1] = M.table(v, v.headings, indent .. "  ", opts)
    elseif is_record(v) then
      out[#out + 1] = indent .. k .. ":" .. (v._type and ("  (" .. v._type .. ")") or "")
      record(v, v._type, indent .. "  ", out, opts)
    elseif type(v) == "table" and v ~= NIL and type(v[1]) == "table" then
      for i, item in ipairs(v) do
        out[#out + 1] = indent .. k .. "[" .. i .. "]:" .. (item._type and ("  (" .. item._type .. ")") or "")
        record(item, item._type, indent .. "  ", out, opts)
      end
    else
      out[#out + 1] = (indent .. pad(k, w) .. "  " .. M.value(v)):gsub("%s+$", "")
    end
  end
end

function M.response(r, opts)
  if type(r) ~= "table" then return tostring(r) end
  local out = {}
  if r._type then out[1] = r._type end
  record(r, r._type, r._type and "  " or "", out, opts)
  for _, w in ipairs(r.warnings or {}) do out[#out + 1] = "  warning: " .. tostring(w) end
  return table.concat(out, "\n")
end

return M
