-- ocip.config.diff: the plan that makes a live group match a configuration file.
--   diff.plan(desired, live, target) -> plan
--     desired: a file's state (ocip.config.file); live: ocip.config.read's state of target
--     plan = { target =, changes = { change, ... }, problems = { "text", ... },
--              counts = { add =, modify =, delete = } }
--     change = { action = "add"|"modify"|"delete", kind =, id =, label = "user alice@x",
--                fields = { { path =, old =, new = }, ... },  -- what a reader is shown
--                requests = { request objects, sent in this order }, phase = n }
-- Every request is built (and so validated against the catalog) here: a plan with
-- problems is refused as a whole before anything is sent.
-- Rules: an entity in the file but not live is added; live but not in the file, deleted;
-- in both, each field that differs is modified. A field the file leaves out is cleared when
-- the Modify request can clear it, else left alone. A section the file leaves out is not
-- managed. The group itself is added when missing, never deleted.
-- Phases (ocip.config.apply runs them in order): adds and modifies by kind.phase
-- (departments after their parent), then deletes in the reverse order.
local catalog = require "ocip.catalog"
local kinds = require "ocip.config.kinds"
local shape = require "ocip.config.shape"
local NIL = require("ocip.sentinel").NIL

local M = {}

local function is_array(t) return type(t) == "table" and (t[1] ~= nil or next(t) == nil) end

local function equal(a, b)
  if a == b then return true end
  if type(a) ~= "table" or type(b) ~= "table" then return false end
  for k, v in pairs(a) do if not equal(v, b[k]) then return false end end
  for k in pairs(b) do if a[k] == nil then return false end end
  return true
end
M.equal = equal

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys)
  return keys
end

local function copy(t)
  local out = {}
  for k, v in pairs(t) do out[k] = v end
  return out
end

--- flatten(value, prefix, out) -> out: path -> scalar (or a list of scalars) for display
function M.flatten(v, prefix, out)
  out = out or {}
  if type(v) ~= "table" then out[prefix] = v return out end
  if is_array(v) then
    if type(v[1]) == "table" then
      for i, x in ipairs(v) do M.flatten(x, prefix .. "[" .. i .. "]", out) end
    else
      out[prefix] = v
    end
    return out
  end
  for k, x in pairs(v) do
    M.flatten(x, prefix == "" and k or (prefix .. "." .. k), out)
  end
  return out
end

-- Display lines for one record field that changed (old or new may be nil).
local function field_lines(key, old, new, lines)
  local a = old ~= nil and M.flatten(old, key) or {}
  local b = new ~= nil and M.flatten(new, key) or {}
  local paths = {}
  for p in pairs(a) do paths[p] = true end
  for p in pairs(b) do paths[p] = true end
  local found, types = {}, {}
  for _, p in ipairs(sorted_keys(paths)) do
    if not equal(a[p], b[p]) then
      local line = { path = p, old = a[p], new = b[p] }
      if p:match("%._type$") then types[#types + 1] = line else found[#found + 1] = line end
    end
  end
  -- a record's type is worth a line only when nothing else about it changed
  for _, l in ipairs(found[1] and {} or types) do lines[#lines + 1] = l end
  for _, l in ipairs(found) do lines[#lines + 1] = l end
end

-- A set field sorted (a hand-written file may list it in any order).
local function normal(kind, rec)
  local ex = kind.extras
  if not ex then return rec end
  local out = rec
  for f, how in pairs(ex.fields) do
    if how == "set" and type(rec[f]) == "table" then
      if out == rec then out = copy(rec) end
      local list = copy(rec[f])
      table.sort(list)
      out[f] = list
    end
  end
  return out
end

local Builder = {}
Builder.__index = Builder

function Builder:problem(label, msg)
  self.problems[#self.problems + 1] = label .. ": " .. msg
end

-- Builds one request into list, or records its problems.
function Builder:build(list, label, name, fields)
  local req, err = catalog.build(name, fields)
  if req then list[#list + 1] = req return end
  if type(err) == "table" and type(err.problems) == "table" and err.problems[1] then
    for _, p in ipairs(err.problems) do self:problem(label, tostring(p.field) .. ": " .. tostring(p.message)) end
  else
    self:problem(label, tostring(err))
  end
end

function Builder:bad(label, paths, name)
  for _, p in ipairs(paths) do
    self:problem(label, ("%s: not a field %s can set"):format(p, name or "the requests")) end
end

local function with_ids(fields, kind, target, id, name)
  for k, v in pairs(kinds.ids(kind, target, id, name)) do fields[k] = v end
  return fields
end

local function split_extras(kind, rec)
  local ex = kind.extras
  if not (ex and ex.write) then return rec, nil end
  local main, extra = {}, {}
  for k, v in pairs(rec) do
    if ex.fields[k] then extra[k] = v else main[k] = v end
  end
  return main, extra
end

local function add_extra_requests(self, list, label, kind, target, id, old, new)
  for _, r in ipairs(kind.extras.write(target, id, old, new)) do
    self:build(list, label, r[1], r[2])
  end
end

function Builder:add_requests(kind, id, rec, label)
  local target, reqs = self.target, {}
  if kind.plain then
    self:build(reqs, label, kind.add, with_ids({}, kind, target, id, kind.add))
    return reqs
  end
  local main, extra = split_extras(kind, rec)
  local for_add, for_mod = {}, {}
  for k, v in pairs(main) do
    if shape.accepts(kind.add, k) then for_add[k] = v
    else for_mod[(kind.modify_names or {})[k] or k] = v end
  end
  local bad = {}
  local fields = with_ids(shape.convert(for_add, kind.add, target, nil, bad), kind, target, id, kind.add)
  if kind.add_fields then kind.add_fields(fields) end
  self:build(reqs, label, kind.add, fields)
  if next(for_mod) ~= nil then
    if kind.modify then
      local mbad = {}
      local mf = with_ids(shape.convert(for_mod, kind.modify, target, nil, mbad), kind, target, id, kind.modify)
      self:build(reqs, label, kind.modify, mf)
      self:bad(label, mbad, kind.add .. " or " .. kind.modify)
    else
      self:bad(label, sorted_keys(for_mod), kind.add)
    end
  end
  self:bad(label, bad, kind.add)
  if extra and next(extra) ~= nil then add_extra_requests(self, reqs, label, kind, target, id, {}, extra) end
  return reqs
end

-- A changed record field as a Modify sends it: the whole new record, plus nil for the
-- sub-fields it lost that the Modify can clear.
local function with_cleared(modify, name, old, new)
  if not (type(old) == "table" and type(new) == "table" and not is_array(old) and not is_array(new)) then
    return new
  end
  local how, f, inner = shape.accepts(modify, name)
  local target = how == "same" and f or inner
  if not target then return new end
  local tname = new._type or target.type
  local out = copy(new)
  for k in pairs(old) do
    if new[k] == nil and type(k) == "string" and k:sub(1, 1) ~= "_" and shape.clearable(tname, k) then
      out[k] = NIL
    end
  end
  return out
end

function Builder:modify_requests(kind, id, old, new, keys, label)
  local target, reqs = self.target, {}
  local ex = kind.extras
  local src, extra_changed = {}, false
  for _, k in ipairs(keys) do
    if ex and ex.write and ex.fields[k] then
      extra_changed = true
    else
      local name = (kind.modify_names or {})[k] or k
      local v = new[k]
      if v == nil then v = NIL else v = with_cleared(kind.modify, name, old[k], v) end
      src[name] = v
    end
  end
  if next(src) ~= nil then
    local bad = {}
    local fields = shape.convert(src, kind.modify, target, nil, bad)
    if kind.modify_fix then kind.modify_fix(fields, old, new) end
    self:build(reqs, label, kind.modify, with_ids(fields, kind, target, id, kind.modify))
    self:bad(label, bad, kind.modify)
  end
  if extra_changed then
    local _, old_x = split_extras(kind, old)
    local _, new_x = split_extras(kind, new)
    add_extra_requests(self, reqs, label, kind, target, id, old_x, new_x)
  end
  return reqs
end

-- Keys whose values differ and that a Modify can act on (a field the file leaves out
-- counts only when it can be cleared).
local function changed_keys(kind, old, new)
  local keys = {}
  local all = {}
  for k in pairs(old) do all[k] = true end
  for k in pairs(new) do all[k] = true end
  for _, k in ipairs(sorted_keys(all)) do
    if not equal(old[k], new[k]) then
      local ok = new[k] ~= nil
      if not ok then
        local ex = kind.extras
        ok = (ex and ex.fields[k] ~= nil)
          or (kind.modify and shape.clearable(kind.modify, (kind.modify_names or {})[k] or k))
      end
      if ok then keys[#keys + 1] = k end
    end
  end
  return keys
end

-- Department depth (a parent in the same group first): 0 for a top department.
local function depth(records, name)
  local d, seen = 0, {}
  local rec = records[name]
  while rec and type(rec.parent_department_key) == "table" do
    local p = rec.parent_department_key
    if p.service_provider_id ~= nil or p.group_id ~= nil then break end -- another group's
    if seen[p.name] or d >= 8 then break end
    seen[p.name] = true
    d = d + 1
    rec = records[p.name]
  end
  return d
end

local DELETE_BASE = 200

local function phase_of(kind, action, records, id)
  local p = kind.phase
  if kind.section == "departments" then p = p + depth(records, id) end
  if action == "delete" then return DELETE_BASE - p end
  return p
end

function Builder:change(action, kind, id, label, fields, requests, records)
  local ch = { action = action, kind = kind, id = id, label = label, fields = fields,
    requests = requests, phase = phase_of(kind, action, records or {}, id) }
  self.changes[#self.changes + 1] = ch
  self.counts[action] = self.counts[action] + 1
  return ch
end

local function add_lines(rec)
  local lines = {}
  for _, k in ipairs(sorted_keys(rec)) do field_lines(k, nil, rec[k], lines) end
  return lines
end

function Builder:group(desired, live)
  local kind, target = kinds.GROUP, self.target
  local label = "group " .. target.service_provider_id .. "/" .. target.group_id
  if live.missing then
    if not desired.profile then
      self:problem(label, "the group does not exist and the file has no profile to create it from")
      return
    end
    self:change("add", kind, nil, label, add_lines(desired.profile),
      self:add_requests(kind, nil, desired.profile, label))
    return
  end
  if not desired.profile then return end
  local old, new = live.profile or {}, desired.profile
  local keys = changed_keys(kind, old, new)
  if keys[1] == nil then return end
  local lines = {}
  for _, k in ipairs(keys) do field_lines(k, old[k], new[k], lines) end
  self:change("modify", kind, nil, label, lines, self:modify_requests(kind, nil, old, new, keys, label))
end

function Builder:section(kind, want, have)
  local ids = {}
  for id in pairs(want) do ids[id] = true end
  for id in pairs(have) do ids[id] = true end
  for _, id in ipairs(sorted_keys(ids)) do
    local label = kind.label .. " " .. id
    local new, old = want[id], have[id]
    if new and not old then
      new = normal(kind, new)
      self:change("add", kind, id, label, add_lines(new), self:add_requests(kind, id, new, label), want)
    elseif old and not new then
      self:change("delete", kind, id, label, {},
        (function()
          local reqs = {}
          self:build(reqs, label, kind.delete, kinds.ids(kind, self.target, id, kind.delete))
          return reqs
        end)(), have)
    else
      new, old = normal(kind, new), normal(kind, old)
      local keys = changed_keys(kind, old, new)
      if keys[1] ~= nil then
        local lines = {}
        for _, k in ipairs(keys) do field_lines(k, old[k], new[k], lines) end
        self:change("modify", kind, id, label, lines, self:modify_requests(kind, id, old, new, keys, label), want)
      end
    end
  end
end

function M.plan(desired, live, target)
  local b = setmetatable({ target = target, changes = {}, problems = {},
    counts = { add = 0, modify = 0, delete = 0 } }, Builder)
  b:group(desired, live)
  for _, kind in ipairs(kinds.LIST) do
    local want = desired[kind.section]
    if want ~= nil then b:section(kind, want, live[kind.section] or {}) end
  end
  return { target = target, changes = b.changes, problems = b.problems, counts = b.counts }
end

return M
