-- ocip.bulk.paths: column names of a bulk file ("service_instance_profile.name",
-- "alias[0]", "serviceProviderId") resolved against a request's fields in the catalog,
-- and values set at such a path in a request's field table.
-- A path is segments joined by ".", each `name` or `name[i]` (i from 0). Names match a
-- field's snake_case or XML name, case-insensitively (spreadsheets change case).
-- Below an abstract-typed field (`department._type`, `department.name`) the concrete type
-- depends on the row: names are kept as written and the validator checks them per row.
local catalog = require "ocip.catalog"
local Error = require "ocip.error"

local M = {}

-- fields of a complex type by lowercased snake and XML name, memoised
local index_cache = {}
local function field_index(type_name)
  local idx = index_cache[type_name]
  if idx then return idx end
  local d = catalog.describe(type_name)
  idx = { list = {} }
  for _, f in ipairs(d and d.fields or {}) do
    idx[f.name:lower()] = f
    idx[f.xml_name:lower()] = f
    idx.list[#idx.list + 1] = f.name
  end
  index_cache[type_name] = idx
  return idx
end

local function is_complex(f)
  local t = catalog.type(f.type)
  return t ~= nil and t.kind == "complex"
end

-- A did-you-mean for an unknown segment (ocip.suggest's rule)
local function suggestion(idx, seg)
  local sg = require "ocip.suggest"
  return sg.phrase(sg.close(seg, idx.list, 3))
end

--- paths.parse(text) -> array of segments { name=, index= (0-based) | nil } or nil, message
function M.parse(text)
  local segs = {}
  for part in (text .. "."):gmatch("([^.]*)%.") do
    local name, idx = part:match("^([%w_]+)%[(%d+)%]$")
    if not name then name = part:match("^[%w_]+$") end
    if not name then return nil, "bad column name '" .. text .. "'" end
    segs[#segs + 1] = { name = name, index = idx and math.tointeger(tonumber(idx)) }
  end
  return segs
end

--- paths.resolve(request, text) -> path or nil, message
-- path = { text=, segs = { { key= (the snake name, or the name as written below an
-- abstract field), index=, list=, field= } ... }, split = true when the last field is a
-- list of simple values given without an index (one cell, items split on ";") }
function M.resolve(request, text)
  local segs, why = M.parse(text)
  if not segs then return nil, why end
  local type_name, free = request, false
  local out = { text = text, segs = {} }
  for i, seg in ipairs(segs) do
    local key, f = seg.name, nil
    if not free then
      local idx = field_index(type_name)
      f = idx[seg.name:lower()]
      if not f then
        if seg.name == "_type" and i == #segs then
          return nil, "'" .. text .. "': _type goes only below an abstract-typed field"
        end
        local where = i == 1 and request or table.concat(M.keys(out), ".")
        return nil, ("unknown column '%s': %s has no field %s%s"):format(text, where, seg.name,
          suggestion(idx, seg.name))
      end
      key = f.name
      if seg.index and not f.list then
        return nil, ("column '%s': %s is not a list"):format(text, f.name)
      end
      if i < #segs then
        if not is_complex(f) then
          return nil, ("column '%s': %s is a plain value, it has no fields"):format(text, f.name)
        end
        if f.list and not seg.index then
          return nil, ("column '%s': %s is a list of records: give its index, %s[0].%s"):format(
            text, f.name, f.name, segs[i + 1].name)
        end
        if f.abstract then free = true else type_name = f.type end
      elseif f.list and not seg.index then
        if is_complex(f) then
          return nil, ("column '%s': %s is a list of records: one column per field, %s[0].FIELD"):format(
            text, f.name, f.name)
        end
        out.split = true
      end
    end
    out.segs[i] = { key = key, index = seg.index, list = f and f.list, field = f }
  end
  return out
end

--- paths.keys(path) -> the keys of its segments so far (for messages)
function M.keys(path)
  local k = {}
  for i, s in ipairs(path.segs) do k[i] = s.key .. (s.index and ("[" .. s.index .. "]") or "") end
  return k
end

--- paths.set(fields, path, value) -> true or nil, message: stores value at path in the
-- field table (creating records and lists on the way). Lists are Lua arrays (index+1).
function M.set(fields, path, value)
  local node = fields
  local n = #path.segs
  for i, s in ipairs(path.segs) do
    local last = i == n
    if s.index then
      local list = node[s.key]
      if list == nil then list = {}; node[s.key] = list end
      if type(list) ~= "table" then return nil, path.text .. ": set twice" end
      if last then
        if list[s.index + 1] ~= nil then return nil, path.text .. ": set twice" end
        list[s.index + 1] = value
      else
        local rec = list[s.index + 1]
        if rec == nil then rec = {}; list[s.index + 1] = rec end
        node = rec
      end
    elseif last then
      if node[s.key] ~= nil then return nil, path.text .. ": set twice" end
      node[s.key] = value
    else
      local rec = node[s.key]
      if rec == nil then rec = {}; node[s.key] = rec end
      if type(rec) ~= "table" then return nil, path.text .. ": set twice" end
      node = rec
    end
  end
  return true
end

--- paths.compact(fields) -> fields with holes in lists closed (alias[0], alias[2] given,
-- alias[1] empty in this row -> two aliases), recursively; or nil, message
function M.compact(t)
  if type(t) ~= "table" or getmetatable(t) then return t end
  local max, n = 0, 0
  for k in pairs(t) do
    if math.type(k) == "integer" then n = n + 1; if k > max then max = k end end
  end
  if n > 0 and max ~= n then
    local keys = {}
    for k in pairs(t) do if math.type(k) == "integer" then keys[#keys + 1] = k end end
    table.sort(keys)
    local packed = {}
    for i, k in ipairs(keys) do packed[i] = t[k]; t[k] = nil end
    for i, v in ipairs(packed) do t[i] = v end
  end
  for k, v in pairs(t) do t[k] = M.compact(v) end
  return t
end

M.Error = Error
return M
