-- Helpers shared by the stateful handlers: errors from state rules, copying
-- stored fields into a response of another (versioned) type, search criteria,
-- size limits and OCITable rows.
local core = require "ocip.core"
local schema = require "ocip.sim.schema"
local generic = require "ocip.sim.generic"
local respond = require "ocip.sim.respond"

local M = {}
local NIL = require("ocip.sentinel").NIL

M.SUCCESS = respond.SUCCESS

function M.err(code, msg) return respond.error(code, msg) end

-- Keys of stored objects that are bookkeeping, never response fields.
local INTERNAL = { kind = true, sp = true, group = true, activated = true, services = true,
  service_packs = true, settings = true, agent_skill = true, level = true }

local function is_scalar(v)
  local t = type(v)
  return t == "string" or t == "number" or t == "boolean"
end

local overlay

-- Value of element e taken from a stored value v (nil when it does not fit).
local function convert(e, v)
  if e.simple then
    if not is_scalar(v) then return nil end
    -- a value another version's enum allows but this one does not: left out (the
    -- generic fill supplies a valid one when the element is required)
    local t = schema.type(e.type)
    if t and t.enum and not t.enum_set then
      t.enum_set = {}
      for _, x in ipairs(t.enum) do t.enum_set[x] = true end
    end
    if t and t.enum_set and not t.enum_set[tostring(v)] then return nil end
    return v
  end
  if e.table or type(v) ~= "table" then return nil end
  local tname = e.type
  if e.abstract then
    local sub = v._type
    if not sub or not core.catalog_derives(sub, tname) then return nil end
    local o = overlay(sub, v, true)
    o._type = sub
    return o
  end
  return overlay(tname, v, true)
end

--- overlay(type, src, fill_required) -> response-shaped table with every element
--- of `type` that `src` (snake- or xml-keyed; snake wins) has a fitting value for.
--- Walks src's keys (a stored object has a dozen) rather than the type's elements.
function overlay(tname, src, complete)
  local plan = schema.plan(tname)
  local o = {}
  if plan then
    local by_snake, by_name = plan.by_snake, plan.by_name
    for k, v in pairs(src) do
      local e = by_snake[k]
      if not e then
        e = by_name[k]
        if e and src[e.snake] ~= nil then e = nil end -- the snake key is taken instead
      end
      if e and not INTERNAL[e.snake] then
        if e.list and type(v) == "table" and (v[1] ~= nil or next(v) == nil) then
          local arr = {}
          for _, item in ipairs(v) do arr[#arr + 1] = convert(e, item) end
          if #arr > 0 then o[e.name] = arr end
        else
          o[e.name] = convert(e, v)
        end
      end
    end
  end
  if complete then return generic.fill(tname, o) end
  return o
end
M.overlay = overlay

--- M.response(name_of_request, obj, extra) -> the request's response type, filled
--- from obj's stored fields, extra (xml names) on top, required rest generated.
function M.response(req_name, obj, extra)
  local rname = schema.response_of(req_name)
  local o = overlay(rname, obj, false)
  if extra then
    local plan = schema.plan(rname)
    -- (only the elements this version of the response has)
    for k, v in pairs(extra) do
      if plan and plan.by_name[k] then o[k] = v end
    end
  end
  return generic.fill(rname, o)
end

--- M.store(req, skip) -> copy of the request fields (snake names) minus skip keys
function M.store(req, skip)
  local o = {}
  for k, v in pairs(req) do
    if type(k) == "string" and k:sub(1, 1) ~= "_" and not (skip and skip[k]) and v ~= NIL then
      o[k] = v
    end
  end
  return o
end

-- Modify requests merge into stored objects (ocip.sim.merge).
local merge_mod = require "ocip.sim.merge"
M.merge, M.copy, M.NIL = merge_mod.merge, merge_mod.copy, NIL

-- Search criteria -------------------------------------------------------------

local function items(v)
  if v == nil then return nil end
  if type(v) == "table" and v[1] ~= nil then return v end
  return { v }
end

local function text_match(c, s)
  if s == nil then s = "" end
  s = tostring(s)
  local value = c.value or ""
  if c.is_case_insensitive == nil or c.is_case_insensitive then
    s, value = s:lower(), value:lower()
  end
  local mode = c.mode or "Starts With"
  if mode == "Equal To" then return s == value end
  if mode == "Contains" then return s:find(value, 1, true) ~= nil end
  return s:sub(1, #value) == value
end

--- M.filter(req, fields) -> predicate(obj); fields maps a criteria key
--- (snake, e.g. "search_criteria_user_last_name") to function(obj) -> value.
--- Keys starting "search_criteria_exact_" compare their single value exactly.
function M.filter(req, fields)
  local checks = {}
  for key, getter in pairs(fields) do
    local list = items(req[key])
    if list then
      for _, c in ipairs(list) do
        if key:find("^search_criteria_exact_") then
          local want
          for k, v in pairs(c) do
            if k:sub(1, 1) ~= "_" then want = v end
          end
          checks[#checks + 1] = function(o)
            local have = getter(o)
            if type(want) == "table" then
              return type(have) == "table" and have.name == want.name
            end
            return have == want
          end
        else
          checks[#checks + 1] = function(o) return text_match(c, getter(o)) end
        end
      end
    end
  end
  -- criteria the simulator does not model are ignored (every row passes them)
  return function(o)
    for i = 1, #checks do if not checks[i](o) then return false end end
    return true
  end
end

--- M.columns(response_name, element) -> the catalog's column headings for that
--- OCITable element (schemas/columns.lua); errors when there is no hint. Cached by
--- schema.plan, so this is two table lookups.
local sim_columns = require "ocip.sim.columns"
function M.columns(rname, elem)
  local plan = schema.plan(rname)
  local e = plan and plan.by_name[elem]
  local cols = e and (e.columns or sim_columns[rname .. "." .. elem])
  if not cols then error(rname .. "." .. elem .. ": no column hint in the catalog", 2) end
  return cols
end

--- M.table(response_name, element, objs, row_fn, keep, limit) -> OCITable value,
--- headed by the element's column hint, honouring the request's search criteria
--- predicate `keep` and response_size_limit.
function M.table(rname, elem, iter, row_fn, keep, limit)
  local rows = {}
  for o in iter do
    if not keep or keep(o) then
      rows[#rows + 1] = row_fn(o)
      if limit and #rows >= limit then break end
    end
  end
  return { headings = M.columns(rname, elem), rows = rows }
end

--- M.each(list) -> iterator over the array's values
function M.each(list)
  local i = 0
  return function()
    i = i + 1
    return list[i]
  end
end

--- M.result(ok, code, msg) -> SUCCESS when ok, else the error response (for state
--- calls that return the object or nil, code, msg).
function M.result(ok, code, msg)
  if not ok then return M.err(code, msg) end
  return M.SUCCESS
end

--- M.within(owner, fn) -> handler that resolves owner(ctx, req) (nil, code, msg when
--- missing, answered as an error) and then returns fn(ctx, req, name, obj).
function M.within(owner, fn)
  return function(ctx, req, name)
    local o, code, msg = owner(ctx, req)
    if not o then return M.err(code, msg) end
    return fn(ctx, req, name, o)
  end
end

--- M.group(ctx, req) -> the request's group, or nil, code, msg
function M.group(ctx, req) return ctx.state:group(req.service_provider_id, req.group_id) end

--- M.in_group(fn) -> handler running fn(ctx, req, name, group) for the request's group.
function M.in_group(fn) return M.within(M.group, fn) end

--- M.admin_list(owner, elem, row_fn) -> handler answering the OCITable `elem` of
--- the admins of owner(ctx, req), one row_fn(admin) per row.
function M.admin_list(owner, elem, row_fn)
  return M.within(owner, function(_, _, name, o)
    local rname = name:gsub("Request", "Response")
    return { _type = rname, [elem] = M.table(rname, elem, M.each(o.admins.list), row_fn) }
  end)
end

function M.yn(b) return b and "true" or "false" end

--- M.rows(rname, elem, iter, cells, keep, limit) -> OCITable value whose rows come
--- from cells(obj) -> { [heading] = value }: the row follows the headings, whatever
--- their order and number in this version of the response.
function M.rows(rname, elem, iter, cells, keep, limit)
  local heads = M.columns(rname, elem)
  return M.table(rname, elem, iter, function(o)
    local c = cells(o)
    local row = {}
    for i, h in ipairs(heads) do row[i] = c[h] end
    return row
  end, keep, limit)
end

--- M.dept_name(obj) -> the name of the department an object is in, or nil
function M.dept_name(o)
  local d = o.department
  if type(d) ~= "table" then d = type(o.service_instance_profile) == "table"
    and o.service_instance_profile.department end
  return type(d) == "table" and d.name or nil
end

--- M.user_cells(u, extra) -> the usual user columns of an OCITable, by heading
function M.user_cells(u, extra)
  local dn = M.dn(u)
  local d = type(u.department) == "table" and u.department or nil
  local c = {
    ["User Id"] = u.user_id, ["Last Name"] = u.last_name, ["First Name"] = u.first_name,
    ["Hiragana Last Name"] = u.hiragana_last_name,
    ["Hiragana First Name"] = u.hiragana_first_name, ["Phone Number"] = dn,
    ["Extension"] = u.extension, ["Department"] = d and d.name, ["Email Address"] = u.email_address,
    ["Phone Number Activated"] = dn and "true" or "false",
    ["Is Phone Number Activated"] = dn and "true" or "false",
    ["Country Code"] = dn and "1" or nil, ["Department Name"] = d and d.name,
    ["Department Type"] = d and (d._type == "EnterpriseDepartmentKey" and "Enterprise" or "Group"),
    ["Group Id"] = u.group and u.group.id, ["Group Name"] = u.group and u.group.name,
    ["Service Provider Id"] = u.sp and u.sp.id, ["In Trunk Group"] = "false",
    ["User External Id"] = u.user_external_id, ["Reseller Id"] = u.sp and u.sp.reseller_id,
  }
  if extra then for k, v in pairs(extra) do c[k] = v end end
  return c
end

function M.dn(o)
  local p = o.phone_number
  if not p then return nil end
  return "+1-" .. p
end

return M
