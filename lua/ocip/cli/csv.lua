-- ocip.cli.csv: RFC 4180 CSV for the script packs.
--   csv.field(v) -> v quoted when it holds a comma, quote, CR or LF (quotes doubled)
--   csv.line(values, n) -> one record terminated by CRLF (n columns; nil -> empty)
--   csv.writer(file) -> w with w:row(values), w.rows (count written)
local NIL = require("ocip.sentinel").NIL

local M = {}

function M.field(v)
  if v == nil or v == NIL then return "" end
  if type(v) == "table" then
    local parts = {}
    for i, x in ipairs(v) do parts[i] = tostring(x) end
    v = table.concat(parts, ";")
  end
  local s = tostring(v)
  if s:find('[,"\r\n]') or s:match("^%s") or s:match("%s$") then
    return '"' .. s:gsub('"', '""') .. '"'
  end
  return s
end

function M.line(values, n)
  local out = {}
  for i = 1, n or #values do out[i] = M.field(values[i]) end
  return table.concat(out, ",") .. "\r\n"
end

function M.writer(file)
  local w = { rows = 0 }
  function w.row(_, values, n)
    assert(file:write(M.line(values, n)))
    w.rows = w.rows + 1
  end
  return w
end

return M
