-- ocip.csv: RFC 4180 CSV for the script packs (writer and reader).
-- Writer:
--   csv.field(v, opts) -> v quoted when it holds a comma, quote, CR, LF or edge spaces (quotes
--     doubled); nil/ocip.NIL -> empty; an array -> its items joined by ";"
--   csv.line(values, n, opts) -> one record terminated by CRLF (n columns; nil -> empty)
--   csv.writer(file, opts) -> w with w:row(values, n), w.rows (count written)
--   Spreadsheet safety (OWASP "CSV injection"): a cell that starts with =, +, -, @, tab
--   or CR (what a spreadsheet would run as a formula) is written behind a single quote
--   ('=cmd -> '=cmd, +1-3125550101 -> '+1-3125550101); so is a cell that already starts
--   with quotes followed by one of those ('=x -> ''=x), which makes the reader's undo exact.
--   opts.raw = true writes cells as they are.
-- Reader (lenient on line ends: CRLF, LF or CR; strict on quotes):
--   csv.parse(text, opts) -> array of records (arrays of strings) or nil, err
--     opts.sep: the field separator (default ","); opts.raw: keep the writer's
--     neutralising quotes (see csv.records). A UTF-8 BOM at the start is dropped; the
--     final line end is optional; quoted fields may hold commas, doubled quotes and line
--     breaks (kept as written). Errors (kind "usage", with `line`): unterminated quote,
--     text after a closing quote, a quote inside an unquoted field.
--   csv.sniff(text) -> "," ";" or "\t": the separator of the header line (the most
--     frequent outside quotes; "," on a tie), so that Excel's ;-separated files read.
--   csv.records(text, opts) -> header, rows, sep | nil, err
--     The first record is the header (names trimmed and lowercased). Each row is a
--     table keyed by header name (empty fields absent) with `_row` (data row number,
--     1 = the record after the header) and `_line` (line where it starts). Blank lines
--     are skipped (even in a one-column file). A row whose field count differs from the header's gets `_error`.
--     The separator is sniffed (opts.sep forces one). Like parse, a cell of one or more
--     quotes followed by =, +, -, @, tab or CR loses its first quote (the writer's
--     neutralising quote: what the writer wrote reads back unchanged); opts.raw = true
--     keeps cells as read.
--   csv.unquote(s) -> s without the writer's neutralising quote (see above)
--   csv.read_file(path) -> text | nil, err   ("-" reads stdin)
local NIL = require("ocip.sentinel").NIL
local Error = require "ocip.error"

local M = {}

-- Cells a spreadsheet would take for a formula: =, +, -, @, tab, CR first, after any quotes.
local TRIGGER = "^'*[=+%-@\t\r]"

--- trim(s) -> s without leading and trailing whitespace, in linear time (the pattern
-- "^%s*(.-)%s*$" is quadratic on long runs of inner spaces)
function M.trim(s)
  local a = s:find("%S")
  if not a then return "" end
  local b = #s
  while s:find("^%s", b) do b = b - 1 end
  return s:sub(a, b)
end

function M.field(v, opts)
  if v == nil or v == NIL then return "" end
  if type(v) == "table" then
    local parts = {}
    for i, x in ipairs(v) do parts[i] = tostring(x) end
    v = table.concat(parts, ";")
  end
  local s = tostring(v)
  if not (opts and opts.raw) and s:find(TRIGGER) then s = "'" .. s end
  -- quoted too: a leading byte-order mark (a reader drops one at the start of a file)
  if s:find('[,"\r\n]') or s:match("^%s") or s:match("%s$") or s:sub(1, 3) == "\239\187\191" then
    return '"' .. s:gsub('"', '""') .. '"'
  end
  return s
end

function M.line(values, n, opts)
  local out = {}
  for i = 1, n or #values do out[i] = M.field(values[i], opts) end
  return table.concat(out, ",") .. "\r\n"
end

--- unquote(s): the reader's undo of the writer's neutralising quote
function M.unquote(s)
  if s:find("^'+[=+%-@\t\r]") then return s:sub(2) end
  return s
end

function M.writer(file, opts)
  local w = { rows = 0 }
  function w.row(_, values, n)
    assert(file:write(M.line(values, n, opts)))
    w.rows = w.rows + 1
  end
  return w
end

local function parse_error(line, msg)
  return nil, Error.new("usage", ("CSV line %d: %s"):format(line, msg), { line = line })
end

-- Count of line breaks in s (CRLF counts once), to keep `line` right across quoted fields.
local function breaks(s)
  local n = 0
  for _ in s:gsub("\r\n", "\n"):gmatch("[\r\n]") do n = n + 1 end
  return n
end

--- parse(text) -> records | nil, err. Each record gets `line` (where it starts) in lines[i].
function M.parse(text, opts)
  local sep, raw = opts and opts.sep or ",", opts and opts.raw
  local stop = "[" .. sep .. "\r\n]"
  local records, lines = {}, {}
  local i, n, line = 1, #text, 1
  if text:sub(1, 3) == "\239\187\191" then i = 4 end
  if i > n then return records, lines end
  local fields, start = {}, line
  while true do
    local value
    if text:sub(i, i) == '"' then
      local parts, j = {}, i + 1
      while true do
        local k = text:find('"', j, true)
        if not k then return parse_error(line, "unterminated quoted field") end
        parts[#parts + 1] = text:sub(j, k - 1)
        if text:sub(k + 1, k + 1) == '"' then
          parts[#parts + 1] = '"'
          j = k + 2
        else
          i = k + 1
          break
        end
      end
      value = table.concat(parts)
      line = line + breaks(value)
      local after = text:sub(i, i)
      if after ~= "" and after ~= sep and after ~= "\r" and after ~= "\n" then
        return parse_error(line, "unexpected text after a closing quote")
      end
    else
      local k = text:find(stop, i) or n + 1
      value = text:sub(i, k - 1)
      if value:find('"', 1, true) then
        return parse_error(line, "quote inside an unquoted field (quote the whole field)")
      end
      i = k
    end
    fields[#fields + 1] = raw and value or M.unquote(value)
    local ch = text:sub(i, i)
    if ch == sep then
      i = i + 1
    else -- end of record: line break or end of text
      records[#records + 1], lines[#records + 1] = fields, start
      if ch == "" then break end
      i = i + ((ch == "\r" and text:sub(i + 1, i + 1) == "\n") and 2 or 1)
      line = line + 1
      if i > n then break end
      fields, start = {}, line
    end
  end
  return records, lines
end

local function blank(rec) return #rec == 1 and rec[1] == "" end

--- sniff(text) -> the separator of the first non-blank line: ",", ";" or "\t"
function M.sniff(text)
  if text:sub(1, 3) == "\239\187\191" then text = text:sub(4, 4096) end
  local line = text:match("^[\r\n]*([^\r\n]*)") or ""
  line = line:gsub('"[^"]*"', "") -- separators inside quotes do not count
  local best, most = ",", select(2, line:gsub(",", ""))
  for _, c in ipairs { ";", "\t" } do
    local k = select(2, line:gsub(c, ""))
    if k > most then best, most = c, k end
  end
  return best
end

--- records(text, opts) -> header, rows, sep | nil, err
function M.records(text, opts)
  opts = opts or {}
  local sep = opts.sep or M.sniff(text)
  local recs, lines = M.parse(text, { sep = sep, raw = opts.raw })
  if not recs then return nil, lines end
  local first = 1
  while recs[first] and blank(recs[first]) do first = first + 1 end
  local head = recs[first]
  if not head then return nil, Error.new("usage", "CSV has no header row") end
  local header, seen = {}, {}
  for i, name in ipairs(head) do
    name = M.trim(name):lower()
    if name == "" then return nil, Error.new("usage", ("CSV header: column %d has no name"):format(i)) end
    if seen[name] then return nil, Error.new("usage", "CSV header: column " .. name .. " appears twice") end
    seen[name] = true
    header[i] = name
  end
  local rows = {}
  for r = first + 1, #recs do
    local rec = recs[r]
    if not blank(rec) then
      local row = { _row = #rows + 1, _line = lines[r] }
      for i, name in ipairs(header) do
        if rec[i] ~= nil and rec[i] ~= "" then row[name] = rec[i] end
      end
      if #rec ~= #header then
        row._error = ("%d fields, the header has %d"):format(#rec, #header)
      end
      rows[#rows + 1] = row
    end
  end
  return header, rows, sep
end

--- read_file(path) -> text | nil, err
function M.read_file(path)
  if path == "-" then return io.stdin:read("a") or "" end
  local f, err = io.open(path, "rb")
  if not f then return nil, Error.new("usage", tostring(err)) end
  local text = f:read("a")
  f:close()
  return text
end

return M
