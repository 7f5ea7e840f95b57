-- ocip.pack.flat: a response as rows of named columns (for CSV / JSON lines output).
--   flat.rows(r) -> columns, rows, left_out
--     A response with an OCITable: that table (columns = its heading keys, as the decoder
--     names them); other fields and further tables are listed in left_out.
--     Otherwise one row of the fields in schema order: nested records as a.b, lists of
--     records as a[0].b (0-based, like ocip bulk's columns), lists of values as one list
--     (written ";"-joined in CSV). A SuccessResponse gives no columns.
local NIL = require("ocip.sentinel").NIL
local pretty = require "ocip.pretty"

local M = {}

local function describe(type_name)
  local ok, catalog = pcall(require, "ocip.catalog")
  return ok and type_name and catalog.describe(type_name) or nil
end

local function is_table(v) return type(v) == "table" and v.headings ~= nil end
local function is_record(v) return type(v) == "table" and v ~= NIL and not v._nil and #v == 0 and next(v) ~= nil end

-- keys of a record: schema order first (with each field's type), then the rest sorted
local function fields(rec, type_name)
  local list, seen = {}, {}
  local d = describe(rec._type or type_name)
  for _, f in ipairs(d and d.fields or {}) do
    if rec[f.name] ~= nil then list[#list + 1] = { f.name, f.type }; seen[f.name] = true end
  end
  local rest = {}
  for k in pairs(rec) do
    if type(k) == "string" and not seen[k] and k:sub(1, 1) ~= "_" and k ~= "headings" and k ~= "warnings" then
      rest[#rest + 1] = k
    end
  end
  table.sort(rest)
  for _, k in ipairs(rest) do list[#list + 1] = { k } end
  return list
end

local function flatten(rec, type_name, prefix, cols, vals, left_out)
  for _, f in ipairs(fields(rec, type_name)) do
    local name, v = prefix .. f[1], rec[f[1]]
    if is_table(v) then
      left_out[#left_out + 1] = name
    elseif is_record(v) then
      flatten(v, f[2], name .. ".", cols, vals, left_out)
    elseif type(v) == "table" and v ~= NIL and type(v[1]) == "table" and v[1] ~= NIL then
      for i, item in ipairs(v) do flatten(item, f[2], ("%s[%d]."):format(name, i - 1), cols, vals, left_out) end
    else
      cols[#cols + 1], vals[#cols + 1] = name, v
    end
  end
end

function M.rows(r)
  local left_out = {}
  local list = fields(r, r._type)
  for _, f in ipairs(list) do
    local t = r[f[1]]
    if is_table(t) then
      for _, g in ipairs(list) do if g[1] ~= f[1] then left_out[#left_out + 1] = g[1] end end
      local cols = pretty.heading_keys(t.headings)
      local rows = {}
      for i, row in ipairs(t) do
        local vals = {}
        for c, k in ipairs(cols) do vals[c] = row[k] end
        rows[i] = vals
      end
      return cols, rows, left_out
    end
  end
  local cols, vals = {}, {}
  flatten(r, r._type, "", cols, vals, left_out)
  return cols, #cols > 0 and { vals } or {}, left_out
end

return M
