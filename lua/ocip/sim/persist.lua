-- The --state FILE format: the simulator's state as a Lua data chunk
-- (`return { format = 1, ... }`), loaded in an empty environment (no code runs
-- with any access) and written back deterministically: map keys sorted, lists
-- in insertion order, one value per line, so two saves of the same state are
-- byte-identical and diffs stay readable. docs/SIMULATOR.md describes the layout.
local M = {}

M.FORMAT = 1

-- Object keys that point back up the tree (rebuilt on load), never written.
local BACKREFS = { sp = true, group = true }

local function is_list(t)
  local n = #t
  if n == 0 then return false end
  local count = 0
  for _ in pairs(t) do count = count + 1 end
  return count == n
end

local function key_less(a, b)
  local ta, tb = type(a), type(b)
  if ta ~= tb then return ta < tb end
  return a < b
end

local function scalar(v)
  local t = type(v)
  if t == "string" then return (string.format("%q", v):gsub("\\\n", "\\n")) end
  if t == "boolean" then return tostring(v) end
  if t == "number" then
    if math.type(v) == "integer" then return string.format("%d", v) end
    if v ~= v or v == math.huge or v == -math.huge then return nil end
    local s = string.format("%.17g", v)
    if tonumber(s) ~= v then return nil end
    if not s:find("[%.eE]") then s = s .. ".0" end
    return s
  end
  return nil -- functions, userdata (sentinels): not state
end

local IDENT = "^[%a_][%w_]*$"
local KEYWORDS = {}
for w in ("and break do else elseif end false for function goto if in local nil not or "
  .. "repeat return then true until while"):gmatch("%a+") do KEYWORDS[w] = true end

local function write_value(out, v, indent)
  if type(v) ~= "table" then
    out[#out + 1] = scalar(v)
    return
  end
  if next(v) == nil then out[#out + 1] = "{}" return end
  local inner = indent .. "  "
  out[#out + 1] = "{\n"
  if is_list(v) then
    for _, item in ipairs(v) do
      if type(item) == "table" or scalar(item) then
        out[#out + 1] = inner
        write_value(out, item, inner)
        out[#out + 1] = ",\n"
      end
    end
  else
    local keys = {}
    for k, item in pairs(v) do
      local kt = type(k)
      if (kt == "string" or kt == "number") and not BACKREFS[k]
        and (type(item) == "table" or scalar(item)) then
        keys[#keys + 1] = k
      end
    end
    table.sort(keys, key_less)
    for _, k in ipairs(keys) do
      out[#out + 1] = inner
      if type(k) == "string" and k:find(IDENT) and not KEYWORDS[k] then
        out[#out + 1] = k
      else
        out[#out + 1] = "[" .. scalar(k) .. "]"
      end
      out[#out + 1] = " = "
      write_value(out, v[k], inner)
      out[#out + 1] = ",\n"
    end
  end
  out[#out + 1] = indent .. "}"
end

--- persist.encode(data) -> Lua source text of the plain table `data`
function M.encode(data)
  local out = { "-- ocip sim state (docs/SIMULATOR.md)\nreturn " }
  write_value(out, data, "")
  out[#out + 1] = "\n"
  return table.concat(out)
end

local function copy(o)
  local c = {}
  for k, v in pairs(o) do
    if not BACKREFS[k] then c[k] = v end
  end
  return c
end

local function list_of(m)
  local out = {}
  for i, o in ipairs(m.list) do out[i] = copy(o) end
  return out
end

local function sorted_free_dns(map)
  local out = {}
  for dn, owner in pairs(map) do
    if owner == true then out[#out + 1] = dn end
  end
  table.sort(out)
  return out
end

--- persist.snapshot(state) -> plain table of the whole state
function M.snapshot(st)
  local data = { format = M.FORMAT, next_dn = st.next_dn, resellers = {}, system_admins =
    list_of(st.system_admins), service_providers = {}, settings = st.settings }
  for _, r in ipairs(st.resellers.list) do
    data.resellers[#data.resellers + 1] = { id = r.id, name = r.name,
      external_id = r.external_id, admins = list_of(r.admins) }
  end
  for _, sp in ipairs(st.sps.list) do
    local s = { id = sp.id, name = sp.name, enterprise = sp.enterprise, domain = sp.domain,
      reseller_id = sp.reseller_id, fields = sp.fields, settings = sp.settings,
      service_packs = sp.service_packs,
      dns = sorted_free_dns(sp.dns),
      admins = list_of(sp.admins), groups = {} }
    for _, g in ipairs(sp.groups.list) do
      s.groups[#s.groups + 1] = { id = g.id, name = g.name, domain = g.domain,
        user_limit = g.user_limit, fields = g.fields, settings = g.settings,
        dns = sorted_free_dns(g.dns),
        users = list_of(g.users), devices = list_of(g.devices), services = list_of(g.services),
        pickups = list_of(g.pickups), departments = list_of(g.departments),
        admins = list_of(g.admins) }
    end
    data.service_providers[#data.service_providers + 1] = s
  end
  return data
end

--- persist.read(path) -> data table, or nil + message (nil, nil when the file is absent)
function M.read(path)
  local f = io.open(path, "rb")
  if not f then return nil, nil end
  local text = f:read("a")
  f:close()
  local chunk, err = load(text, "@" .. path, "t", {})
  if not chunk then return nil, err end
  local ok, data = pcall(chunk)
  if not ok then return nil, tostring(data) end
  if type(data) ~= "table" then return nil, "the file does not return a table" end
  return data
end

--- persist.write(path, data) -> true, or nil + message. Writes path .. ".tmp"
--- and renames it over path, so a reader never sees half a file.
function M.write(path, data)
  local tmp = path .. ".tmp"
  local f, err = io.open(tmp, "wb")
  if not f then return nil, err end
  local ok, werr = f:write(M.encode(data))
  local closed, cerr = f:close()
  if not ok or not closed then
    os.remove(tmp)
    return nil, tostring(werr or cerr)
  end
  local renamed, rerr = os.rename(tmp, path)
  if not renamed then
    os.remove(tmp)
    return nil, rerr
  end
  return true
end

return M
