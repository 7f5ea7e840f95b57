-- Applying a Modify request to a stored object (docs/SIMULATOR.md, "What is
-- modelled"): the rules that make what a Modify set come back from a Get.
local M = {}
local NIL = require("ocip.sentinel").NIL

--- merge.merge(obj, req, skip) applies a Modify request to a stored object: present
--- fields replace, nil-marked fields (ocip.NIL) are cleared, nested records merge
--- field by field (a Modify profile carries only what changes), replacement lists
--- (`agent_user_id_list = { user_id = {...} }`, `sip_alias_list`) replace the list
--- the Add request carried (`agent_user_id`, `alias`), and lists of records keyed
--- by `key` (auto attendant menu keys) merge by key (a nil entry removes the key).

-- Modify's "<x>_list" wrapper -> the Add request's field, where the name differs.
local LIST_TARGET = { sip_alias = "alias" }

local function is_array(v) return type(v) == "table" and v[1] ~= nil end

local function is_record(v)
  return type(v) == "table" and v ~= NIL and v[1] == nil and next(v) ~= nil
end

-- A replacement list: { <one key> = array } under a name ending "_list".
local function replacement(k, v)
  if type(k) ~= "string" or not k:find("_list$") or not is_record(v) then return nil end
  local only, arr
  for ik, iv in pairs(v) do
    if type(ik) == "string" and ik:sub(1, 1) ~= "_" then
      if only then return nil end
      only, arr = ik, iv
    end
  end
  if not only or not is_array(arr) then return nil end
  local base = k:match("^(.*)_list$")
  return LIST_TARGET[base] or base, arr
end

local function list_target(k)
  local base = type(k) == "string" and k:match("^(.*)_list$")
  return base and (LIST_TARGET[base] or base)
end

local function copy(v)
  if type(v) ~= "table" or v == NIL then return v end
  local o = {}
  for k, x in pairs(v) do o[k] = copy(x) end
  return o
end

local merge

local function merge_keyed(old, new)
  local out, at = {}, {}
  for _, item in ipairs(old) do
    out[#out + 1] = item
    at[item.key] = #out
  end
  for _, item in ipairs(new) do
    local i = at[item.key]
    if item.entry == NIL then
      if i then out[i] = false end
    elseif i and out[i] then
      merge(out[i], item)
    else
      out[#out + 1] = copy(item)
      at[item.key] = #out
    end
  end
  local res = {}
  for _, item in ipairs(out) do if item then res[#res + 1] = item end end
  table.sort(res, function(a, b) return tostring(a.key) < tostring(b.key) end)
  return res
end

function merge(obj, req, skip)
  for k, v in pairs(req) do
    if type(k) == "string" and k:sub(1, 1) ~= "_" and not (skip and skip[k]) then
      local target, arr = replacement(k, v)
      if v == NIL then
        obj[k] = nil
        local t = list_target(k)
        if t then obj[t] = nil end
      elseif target then
        obj[target] = copy(arr)
      elseif is_record(v) and is_record(obj[k]) and (v._type == nil or v._type == obj[k]._type) then
        merge(obj[k], v)
      elseif is_array(v) and type(v[1]) == "table" and v[1].key ~= nil and is_array(obj[k]) then
        obj[k] = merge_keyed(obj[k], v)
      elseif is_record(v) then
        -- a new nested record may carry Modify-only wrappers: normalise them too
        local fresh = { _type = v._type }
        merge(fresh, v)
        obj[k] = fresh
      else
        obj[k] = copy(v)
      end
    end
  end
end

M.merge, M.copy = merge, copy
return M
