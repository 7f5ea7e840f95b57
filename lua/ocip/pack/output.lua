-- ocip.pack.output: rows of named columns written as CSV, JSON or NDJSON, to stdout or to
-- a file that appears only when complete.
--   local out = output.open{ path = FILE, format = "csv", columns = { ... }, raw = false }
--     -> out | nil, err   (no path: stdout; FILE: written to FILE.part, renamed by close)
--   out:row(values)       values[i] for columns[i]; nil -> empty cell / key left out
--   out:flush()           what is written so far reaches the file (kill -9 keeps it)
--   out:close()           completes the document; FILE.part becomes FILE -> true | nil, err
--   out:abandon()         removes FILE.part (nothing appears at FILE)
-- Formats: csv (RFC 4180, CRLF, header row; cells that a spreadsheet would take for a
-- formula are neutralised unless raw, see ocip.csv), json (one array of objects, one object
-- per line), ndjson (one object per line). Objects keep the column order; absent values
-- are left out; ocip.NIL is null; a list is an array in JSON, ";"-joined in CSV.
local csv = require "ocip.csv"
local NIL = require("ocip.sentinel").NIL
local Error = require "ocip.error"

local M = {}

M.FORMATS = { csv = true, json = true, ndjson = true }
M.FORMAT_NAMES = "csv, json, ndjson"

local json_string = require("ocip.jsontext").string

--- json_value(v) -> JSON text of a string, number, boolean, list or ocip.NIL
function M.json_value(v)
  if v == nil or v == NIL then return "null" end
  local t = type(v)
  if t == "string" then return json_string(v) end
  if t == "number" then return require("ocip.jsontext").number(v) end
  if t == "boolean" then return tostring(v) end
  if t == "table" then
    local parts = {}
    for i, x in ipairs(v) do parts[i] = M.json_value(x) end
    return "[" .. table.concat(parts, ",") .. "]"
  end
  return json_string(tostring(v))
end

--- json_object(columns, values) -> {"col":value,...} in column order, nil values left out
function M.json_object(columns, values)
  local parts = {}
  for i, name in ipairs(columns) do
    local v = values[i]
    if v ~= nil then parts[#parts + 1] = json_string(name) .. ":" .. M.json_value(v) end
  end
  return "{" .. table.concat(parts, ",") .. "}"
end

local Out = {}
Out.__index = Out

function M.open(o)
  local format = o.format or "csv"
  if not M.FORMATS[format] then
    return nil, Error.new("usage", ("unknown format %s (choose %s)"):format(tostring(format), M.FORMAT_NAMES))
  end
  local file, tmp = io.stdout, nil
  if o.path then
    tmp = o.path .. ".part"
    local f, err = io.open(tmp, "wb")
    if not f then return nil, Error.new("usage", tostring(err)) end
    file = f
  end
  local out = setmetatable({ file = file, tmp = tmp, path = o.path, format = format,
    columns = o.columns, n = #o.columns, rows = 0, opts = { raw = o.raw } }, Out)
  if format == "csv" then
    out:write(csv.line(o.columns, out.n, { raw = true })) -- our own names: never formulas
  elseif format == "json" then
    out:write("[")
  end
  return out
end

function Out:write(s)
  local ok, err = self.file:write(s)
  if not ok then error(Error.new("limit", "cannot write " .. (self.tmp or "stdout") .. ": " .. tostring(err)), 0) end
end

function Out:row(values)
  local f = self.format
  if f == "csv" then self:write(csv.line(values, self.n, self.opts))
  elseif f == "ndjson" then self:write(M.json_object(self.columns, values) .. "\n")
  else self:write((self.rows == 0 and "\n" or ",\n") .. M.json_object(self.columns, values)) end
  self.rows = self.rows + 1
end

function Out:flush() self.file:flush() end

function Out:close()
  if self.closed then return true end
  self.closed = true
  if self.format == "json" then self:write("\n]\n") end
  if not self.tmp then
    self.file:flush()
    return true
  end
  self.file:close()
  local ok, err = os.rename(self.tmp, self.path)
  if not ok then return nil, Error.new("limit", tostring(err)) end
  return true
end

function Out:abandon()
  if self.closed then return end
  self.closed = true
  if self.tmp then
    self.file:close()
    os.remove(self.tmp)
  else
    self.file:flush()
  end
end

return M
