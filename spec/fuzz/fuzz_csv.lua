-- Checks for build/fuzz/fuzz_csv (see fuzz_csv.c): returns the function called with
-- each input. A raise is a finding.
local csv = require "ocip.csv"
local Error = require "ocip.error"

local function check(cond, fmt, ...)
  if not cond then error(fmt:format(...), 2) end
end

local function check_error(err, what)
  check(Error.is(err), "%s: error is not an ocip.Error: %s", what, tostring(err))
  check(err.kind == "usage", "%s: error kind %s, not usage", what, tostring(err.kind))
end

local function same(a, b)
  if #a ~= #b then return false end
  for i = 1, #a do
    if #a[i] ~= #b[i] then return false end
    for j = 1, #a[i] do if a[i][j] ~= b[i][j] then return false end end
  end
  return true
end

local function parse(text)
  local recs, lines = csv.parse(text)
  if not recs then
    check_error(lines, "parse")
    check(math.type(lines.line) == "integer" and lines.line >= 1, "parse error without a line")
    return nil
  end
  check(type(recs) == "table" and type(lines) == "table", "parse returned no lines")
  local last = 0
  for i, rec in ipairs(recs) do
    check(#rec >= 1, "record %d has no field", i)
    for j, f in ipairs(rec) do check(type(f) == "string", "record %d field %d: %s", i, j, type(f)) end
    check(math.type(lines[i]) == "integer" and lines[i] > last, "record %d starts on line %s", i, tostring(lines[i]))
    last = lines[i]
  end
  check(#recs == 0 or #recs == #lines, "%d records, %d lines", #recs, #lines)
  return recs
end

local function records(text)
  local header, rows = csv.records(text)
  if header == nil then
    check_error(rows, "records")
    return
  end
  local seen = {}
  for i, name in ipairs(header) do
    check(name ~= "" and name == name:lower() and not name:find("^%s") and not name:find("%s$"),
      "header %d is not trimmed and lowercased: %q", i, name)
    check(not seen[name], "header %q twice", name)
    seen[name] = true
  end
  local last = 0
  for i, row in ipairs(rows) do
    check(row._row == i, "row %d numbered %s", i, tostring(row._row))
    check(math.type(row._line) == "integer" and row._line > last, "row %d on line %s", i, tostring(row._line))
    last = row._line
    for k, v in pairs(row) do
      if k ~= "_row" and k ~= "_line" and k ~= "_error" then
        check(seen[k], "row %d: key %q is not a header name", i, tostring(k))
        check(type(v) == "string" and v ~= "", "row %d: %s is not a non-empty string", i, k)
      end
    end
  end
end

return function(text)
  local recs = parse(text)
  if recs then
    -- what the writer makes of the records reads back the same
    local out = {}
    for i, rec in ipairs(recs) do out[i] = csv.line(rec) end
    local written = table.concat(out)
    local again = parse(written)
    check(again ~= nil, "the writer's output does not parse: %q", written)
    check(same(recs, again), "records change when written and read back: %q -> %q", text, written)
  end
  records(text)
end
