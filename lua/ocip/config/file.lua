-- ocip.config.file: configuration files, as Lua data or JSON, written for diffs and reviews:
-- keys sorted (the sections in dependency order), one field per line, entities keyed by id,
-- nothing volatile (no timestamps, no server-made ids, no passwords).
--   file.encode(state, "lua"|"json") -> text
--   file.decode(text, name, format) -> state | nil, err   format nil: JSON when the text
--       starts with "{", else Lua. A Lua file is data only: it is loaded as text (never
--       bytecode) with an empty environment, with string methods out of reach and an
--       instruction budget, and must return a table of strings, numbers, booleans and tables.
--   file.read(path) / file.write(path, text): whole files (write: PATH.part renamed over PATH)
-- The state's `numbers` section is a set ({ [dn] = {} }); files hold it as a sorted array.
-- A section the file leaves out is not managed (plan and apply leave that kind alone).
local kinds = require "ocip.config.kinds"
local Error = require "ocip.error"

local M = {}

M.FORMAT = 1
M.SECTIONS = { "profile" }
for _, k in ipairs(kinds.LIST) do M.SECTIONS[#M.SECTIONS + 1] = k.section end
local TOP = { "format", "group" }
for _, s in ipairs(M.SECTIONS) do TOP[#TOP + 1] = s end
local KNOWN = {}
for _, s in ipairs(TOP) do KNOWN[s] = true end

local function is_array(t) return t[1] ~= nil or next(t) == nil end

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b)
    if type(a) == type(b) then return a < b end
    return type(a) == "number"
  end)
  return keys
end

-- Lua ----------------------------------------------------------------------------------

local LUA_ESC = { ['"'] = '\\"', ["\\"] = "\\\\", ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t" }

--- lua_string(s) -> a Lua string literal (UTF-8 kept as it is; control characters escaped)
function M.lua_string(s)
  return '"' .. s:gsub('[%c"\\]', function(ch) return LUA_ESC[ch] or ("\\%03d"):format(ch:byte()) end) .. '"'
end

local KEYWORDS = {}
for w in ([[and break do else elseif end false for function goto if in local nil not or
  repeat return then true until while]]):gmatch("%a+") do KEYWORDS[w] = true end

local function lua_key(k)
  if type(k) == "string" and k:match("^[%a_][%w_]*$") and not KEYWORDS[k] then return k end
  if type(k) == "string" then return "[" .. M.lua_string(k) .. "]" end
  return "[" .. tostring(k) .. "]"
end

local function scalar(v, str)
  local t = type(v)
  if t == "string" then return str(v) end
  if math.type(v) == "integer" then return ("%d"):format(v) end
  if t == "number" then
    if v ~= v or v == math.huge or v == -math.huge then error("not a finite number: " .. tostring(v)) end
    local s = ("%.17g"):format(v)
    return s:find("[%.eE]") and s or (s .. ".0")
  end
  if t == "boolean" then return tostring(v) end
  error("cannot write a " .. t)
end

local function lua_value(v, indent, out)
  if type(v) ~= "table" then out[#out + 1] = scalar(v, M.lua_string) return end
  if next(v) == nil then out[#out + 1] = "{}" return end
  local inner = indent .. "  "
  out[#out + 1] = "{\n"
  if is_array(v) then
    for _, x in ipairs(v) do
      out[#out + 1] = inner
      lua_value(x, inner, out)
      out[#out + 1] = ",\n"
    end
  else
    for _, k in ipairs(sorted_keys(v)) do
      out[#out + 1] = inner .. lua_key(k) .. " = "
      lua_value(v[k], inner, out)
      out[#out + 1] = ",\n"
    end
  end
  out[#out + 1] = indent .. "}"
end

-- JSON ---------------------------------------------------------------------------------

local json_string = require("ocip.jsontext").string

-- empty: what an empty table is ("{}" for the sections keyed by id, else "[]")
local function json_value(v, indent, out, empty)
  if type(v) ~= "table" then out[#out + 1] = scalar(v, json_string) return end
  if next(v) == nil then out[#out + 1] = empty or "[]" return end
  local arr = is_array(v)
  local inner = indent .. "  "
  out[#out + 1] = arr and "[\n" or "{\n"
  local keys = arr and nil or sorted_keys(v)
  local n = arr and #v or #keys
  for i = 1, n do
    out[#out + 1] = inner
    if arr then
      json_value(v[i], inner, out)
    else
      out[#out + 1] = json_string(tostring(keys[i])) .. ": "
      json_value(v[keys[i]], inner, out)
    end
    out[#out + 1] = i < n and ",\n" or "\n"
  end
  out[#out + 1] = indent .. (arr and "]" or "}")
end

-- The state as a file's table: the numbers set as a sorted array, top keys in order.
local function file_table(state)
  local t = { format = M.FORMAT, group = state.group }
  for _, s in ipairs(M.SECTIONS) do
    local v = state[s]
    if s == "numbers" and v then
      local list = {}
      for dn in pairs(v) do list[#list + 1] = dn end
      table.sort(list)
      v = list
    end
    t[s] = v
  end
  return t
end

function M.encode(state, format)
  local t = file_table(state)
  local g = state.group or {}
  local where = tostring(g.service_provider_id) .. "/" .. tostring(g.group_id)
  local out = {}
  if format == "json" then
    out[1] = "{\n"
    local present = {}
    for _, k in ipairs(TOP) do if t[k] ~= nil then present[#present + 1] = k end end
    for i, k in ipairs(present) do
      out[#out + 1] = "  " .. json_string(k) .. ": "
      json_value(t[k], "  ", out, k ~= "numbers" and "{}" or nil)
      out[#out + 1] = i < #present and ",\n" or "\n"
    end
    out[#out + 1] = "}\n"
    return table.concat(out)
  end
  out[1] = ("-- ocip configuration of group %s: `ocip plan FILE` compares it with a live group,\n"
    .. "-- `ocip apply FILE --yes` makes the group match it. Data only; no passwords.\nreturn {\n")
    :format(where:gsub("%c", "?"))
  for _, k in ipairs(TOP) do
    if t[k] ~= nil then
      out[#out + 1] = "  " .. lua_key(k) .. " = "
      lua_value(t[k], "  ", out)
      out[#out + 1] = ",\n"
    end
  end
  out[#out + 1] = "}\n"
  return table.concat(out)
end

-- Loading ------------------------------------------------------------------------------

M.BUDGET = 200000000 -- VM instructions a Lua file may take (a data constructor needs ~3 per field)

local function load_lua(text, name)
  local chunk, err = load(text, "=" .. name, "t", {})
  if not chunk then return nil, err end
  local co = coroutine.create(chunk)
  debug.sethook(co, function() error("too much work: not a data file", 0) end, "", M.BUDGET)
  -- ("x"):rep(2^40) needs no global: take string methods away while the chunk runs (it
  -- runs to its end here, no other code can run meanwhile)
  local smt = getmetatable("")
  local index = smt.__index
  smt.__index = nil
  local ok, v = coroutine.resume(co)
  smt.__index = index
  if not ok then return nil, tostring(v) end
  if coroutine.status(co) ~= "dead" then return nil, "the file yielded: not a data file" end
  return v
end

local function normalise_json(v)
  if type(v) == "number" then return math.tointeger(v) or v end
  if type(v) ~= "table" then return v end
  for k, x in pairs(v) do v[k] = normalise_json(x) end
  return v
end

local function load_json(text)
  local cjson = require "cjson"
  local ok, v = pcall(cjson.decode, text)
  if not ok then return nil, tostring(v) end
  local null
  local function check(x, path)
    if x == cjson.null then null = null or path end
    if type(x) == "table" then for k, y in pairs(x) do check(y, path .. "." .. tostring(k)) end end
  end
  check(v, "")
  if null then return nil, null:sub(2) .. ": null is not allowed (leave the field out)" end
  return normalise_json(v)
end

-- Only data: string keys (or array indices), scalars and tables; returns the bad path or nil.
local function bad_value(v, path, depth)
  local t = type(v)
  if t == "string" or t == "boolean" then return nil end
  if t == "number" then
    if v ~= v or v == math.huge or v == -math.huge then return path .. ": not a finite number" end
    return nil
  end
  if t ~= "table" then return path .. ": a " .. t .. " is not data" end
  if depth > 32 then return path .. ": nested too deep" end
  if getmetatable(v) ~= nil then return path .. ": a table with a metatable is not data" end
  local arr = is_array(v)
  for k, x in pairs(v) do
    if arr and math.type(k) ~= "integer" or not arr and type(k) ~= "string" then
      return path .. ": mixes list items and named fields"
    end
    local why = bad_value(x, path .. (arr and ("[" .. k .. "]") or ("." .. k)), depth + 1)
    if why then return why end
  end
  return nil
end

local function usage(name, msg) return nil, Error.new("usage", name .. ": " .. msg) end

--- check(t, name) -> state | nil, err: a file's table as a state (sections checked)
function M.check(t, name)
  if type(t) ~= "table" then return usage(name, "the file must return a table") end
  local why = bad_value(t, "", 0)
  if why then return usage(name, why:sub(2)) end
  for k in pairs(t) do
    if not KNOWN[k] then
      local close = require("ocip.suggest").phrase(require("ocip.suggest").close(tostring(k), TOP, 2))
      return usage(name, "unknown section " .. tostring(k) .. close)
    end
  end
  if t.format ~= M.FORMAT then
    return usage(name, ("format %s is not supported (this ocip reads format %d)"):format(tostring(t.format), M.FORMAT))
  end
  local g = t.group
  if type(g) ~= "table" or type(g.service_provider_id) ~= "string" or type(g.group_id) ~= "string" then
    return usage(name, "group = { service_provider_id = \"...\", group_id = \"...\" } is required")
  end
  for k in pairs(g) do
    if k ~= "service_provider_id" and k ~= "group_id" then return usage(name, "group." .. tostring(k) .. ": unknown field") end
  end
  local state = { format = t.format, group = g }
  if t.profile ~= nil then
    if is_array(t.profile) and next(t.profile) ~= nil then return usage(name, "profile: fields expected, not a list") end
    state.profile = t.profile
  end
  for _, k in ipairs(kinds.LIST) do
    local s = t[k.section]
    if s ~= nil then
      if k.section == "numbers" then
        if not is_array(s) then return usage(name, "numbers: a list of phone numbers expected") end
        local set = {}
        for i, dn in ipairs(s) do
          if type(dn) ~= "string" then return usage(name, ("numbers[%d]: a string expected"):format(i)) end
          set[dn] = {}
        end
        s = set
      else
        if next(s) ~= nil and is_array(s) then
          return usage(name, k.section .. ": entities keyed by id expected, not a list")
        end
        for id, rec in pairs(s) do
          if type(rec) ~= "table" or (next(rec) ~= nil and is_array(rec)) then
            return usage(name, ("%s[%q]: fields expected"):format(k.section, id))
          end
        end
      end
      state[k.section] = s
    end
  end
  return state
end

function M.decode(text, name, format)
  name = name or "(configuration)"
  if format == nil then format = text:match("^%s*{") and "json" or "lua" end
  local t, err
  if format == "json" then t, err = load_json(text) else t, err = load_lua(text, name) end
  if err then
    local line, rest = err:match("^" .. name:gsub("%p", "%%%0") .. ":(%d+):%s*(.*)$")
    return usage(name, line and ("line " .. line .. ": " .. rest) or err)
  end
  return M.check(t, name)
end

function M.read(path)
  local f, err = io.open(path, "rb")
  if not f then return nil, Error.new("usage", tostring(err)) end
  local text = f:read("a")
  f:close()
  return text
end

function M.write(path, text)
  local tmp = path .. ".part"
  local f, err = io.open(tmp, "wb")
  if not f then return nil, Error.new("usage", tostring(err)) end
  local ok, werr = f:write(text)
  local closed, cerr = f:close()
  if not (ok and closed) then
    os.remove(tmp)
    return nil, Error.new("usage", tostring(werr or cerr))
  end
  local renamed, rerr = os.rename(tmp, path)
  if not renamed then
    os.remove(tmp)
    return nil, Error.new("usage", tostring(rerr))
  end
  return true
end

return M
