-- ocip.config.shape: how a value read from the server becomes a value in a configuration
-- file, and how a file value becomes the fields of an Add or a Modify request. Driven by
-- the catalog alone (ocip.catalog.describe), so every entity kind uses the same rules:
--   * the file keeps the fields of a Get response that the Add or the Modify request can
--     set (read-only data such as user counts, status or display names falls out);
--   * a Modify request takes a field under the same name, or as a replacement list
--     (alias[] -> sip_alias_list.sip_alias[], agent_user_id[] -> agent_user_id_list.user_id[]),
--     or inside a wrapper element (access_device_endpoint -> endpoint.access_device_endpoint);
--   * a record that names the group's own service provider or group (a GroupDepartmentKey)
--     leaves those ids out of the file; they are filled in from the target group when a
--     request is built, so a file applies to another group unchanged.
local catalog = require "ocip.catalog"
local NIL = require("ocip.sentinel").NIL

local M = {}

local field_maps = {}

--- fields(type_name) -> { [snake] = catalog field description } (nil for a simple or unknown type)
function M.fields(tname)
  local m = field_maps[tname]
  if m == nil then
    local d = tname and catalog.describe(tname)
    if d and d.kind ~= "simple" and d.fields then
      m = {}
      for _, f in ipairs(d.fields) do m[f.name] = f end
    else
      m = false
    end
    field_maps[tname] = m
  end
  return m or nil
end

local function is_complex(f)
  return f and M.fields(f.type) ~= nil
end

-- The one list field of a Replacement*List type (ReplacementUserIdList.user_id), or nil.
local function replacement_inner(f)
  local m = is_complex(f) and M.fields(f.type)
  if not m then return nil end
  local only
  for _, x in pairs(m) do
    if only or not x.list then return nil end
    only = x
  end
  return only
end

--- accepts(type_name, key) -> how a record of that type takes the file field `key`:
---   "same", field                        the field itself
---   "list", field, inner                 field = { [inner.name] = the list }
---   "wrap", field, inner                 field = { [inner.name] = the value }
--- or nil when it cannot take it.
function M.accepts(tname, key)
  local m = M.fields(tname)
  if not m then return nil end
  if m[key] then return "same", m[key] end
  local g = m[key .. "_list"]
  local inner = g and replacement_inner(g)
  if inner then return "list", g, inner end
  for name, f in pairs(m) do
    inner = replacement_inner(f)
    if inner and name:match("_list$") and (inner.name == key or inner.name:sub(-#key - 1) == "_" .. key) then
      return "list", f, inner
    end
  end
  for _, f in pairs(m) do
    if f.type:find(".", 1, true) then -- an inline type: a wrapper such as UserModifyRequest22.endpoint
      local sub = M.fields(f.type)
      if sub and sub[key] then return "wrap", f, sub[key] end
    end
  end
  return nil
end

local function is_array(v)
  return type(v) == "table" and (v[1] ~= nil or next(v) == nil)
end

-- The types a nested value of field f may take: its own, or the concrete `_type` it names.
local function sub_types(f, v)
  if not f then return {} end
  if type(v) == "table" and v._type and f.abstract then return { v._type } end
  if is_complex(f) then return { f.type } end
  return {}
end

-- A record's sub-types for key k among the candidate types ts.
local function child_types(ts, k, v)
  local out, any = {}, false
  for _, t in ipairs(ts) do
    local how, f, inner = M.accepts(t, k)
    if how then
      any = true
      local target = how == "same" and f or inner
      -- a list's items are records of one type (project switches to an item's own _type)
      local sample = type(v) == "table" and v[1] or v
      for _, s in ipairs(sub_types(target, sample)) do out[#out + 1] = s end
    end
  end
  return any and out or nil
end

--- project(value, types, strip) -> the value as a file keeps it: only the record fields that
--- one of the candidate types (array of type names) accepts, recursively; empty records and
--- lists become nil; ocip.NIL becomes nil. strip = { service_provider_id =, group_id = }:
--- a record naming that service provider (and group) loses those ids.
function M.project(v, types, strip)
  if v == NIL or v == nil then return nil end
  if type(v) ~= "table" then return v end
  if is_array(v) then
    local out = {}
    for _, x in ipairs(v) do
      local p = M.project(x, types, strip)
      if p ~= nil then out[#out + 1] = p end
    end
    return out[1] ~= nil and out or nil
  end
  local ts = types
  if v._type and catalog.describe(v._type) then ts = { v._type } end
  local out, n = {}, 0
  for k, x in pairs(v) do
    if type(k) == "string" and k:sub(1, 1) ~= "_" then
      local sub = child_types(ts, k, x)
      if sub then
        local p = M.project(x, sub, strip)
        if p ~= nil then out[k] = p n = n + 1 end
      end
    end
  end
  if n == 0 then return nil end
  if v._type then out._type = v._type end
  if strip and out.service_provider_id == strip.service_provider_id then
    local m = M.fields(v._type or ts[1]) or {}
    if out.group_id == nil and not m.group_id then
      out.service_provider_id = nil
    elseif out.group_id == strip.group_id then
      out.service_provider_id, out.group_id = nil, nil
    end
  end
  return out
end

-- Fills the ids a record of type t requires but the file left out (the target group's).
local function fill_ids(out, tname, target)
  local m = M.fields(tname)
  if not (m and target) then return end
  if m.service_provider_id and m.service_provider_id.required and out.service_provider_id == nil then
    out.service_provider_id = target.service_provider_id
  end
  if m.group_id and m.group_id.required and out.group_id == nil then
    out.group_id = target.group_id
  end
end

local convert

-- A file value for field f (a list or one value) in request form.
local function convert_field(f, v, target, path, bad)
  if v == NIL then return NIL end
  if is_array(v) and type(v) == "table" then
    local out = {}
    for i, x in ipairs(v) do out[i] = convert_field(f, x, target, path .. "[" .. i .. "]", bad) end
    return out
  end
  if type(v) ~= "table" then return v end
  local t = (v._type and f.abstract) and v._type or f.type
  return convert(v, t, target, path, bad)
end

--- convert(record, type_name, target, path, bad) -> the record's fields in the form the
--- request type takes them (rules of accepts), with the target group's ids filled in where
--- the type requires them; a field the type cannot take is added to the array `bad`
--- (as its path) and left out.
function convert(v, tname, target, path, bad)
  local out = {}
  if v._type then out._type = v._type end
  for k, x in pairs(v) do
    if type(k) == "string" and k:sub(1, 1) ~= "_" then
      local how, f, inner = M.accepts(tname, k)
      local p = path and (path .. "." .. k) or k
      if how == "same" then
        out[k] = convert_field(f, x, target, p, bad)
      elseif how == "list" then
        out[f.name] = (x == NIL or (is_array(x) and x[1] == nil)) and NIL
          or { [inner.name] = convert_field(inner, x, target, p, bad) }
      elseif how == "wrap" then
        if x == NIL then out[f.name] = NIL
        else
          out[f.name] = type(out[f.name]) == "table" and out[f.name] or {}
          out[f.name][inner.name] = convert_field(inner, x, target, p, bad)
        end
      else
        bad[#bad + 1] = p
      end
    end
  end
  fill_ids(out, tname, target)
  return out
end
M.convert = convert

--- clearable(type_name, key) -> true when a Modify of that type can clear the file field
--- `key` (its element, replacement list or wrapper is nillable).
function M.clearable(tname, key)
  local how, f = M.accepts(tname, key)
  return how ~= nil and f.nillable == true
end

return M
