-- ocip.pack.json: JSON documents with keys in a chosen order, pretty-printed (stable,
-- diff-friendly output of the automation packs: user_digest, inventory).
--   json.object({ "id", "name" }, { id = 1, name = "x" }) -> a table encoded with those
--     keys first, in that order (other keys after, sorted)
--   json.array(t) -> t, encoded as an array even when empty
--   json.encode(v, indent) -> text (indent: spaces per level, default 2; 0: one line)
--   json.write(path, text) -> true | nil, err: text to stdout (path nil) or to PATH.part,
--     renamed over PATH once complete (a document appears whole or not at all)
-- Strings, numbers and booleans as ocip.pack.output encodes them; ocip.NIL is null.
local output = require "ocip.pack.output"
local NIL = require("ocip.sentinel").NIL

local M = {}

local ARRAY = {}

function M.object(keys, t) return setmetatable(t or {}, { keys = keys }) end
function M.array(t) return setmetatable(t or {}, ARRAY) end

local function is_array(t) return getmetatable(t) == ARRAY or t[1] ~= nil end

local function keys_of(t)
  local mt = getmetatable(t)
  local order, seen = {}, {}
  for _, k in ipairs(mt and mt.keys or {}) do
    if t[k] ~= nil then order[#order + 1] = k; seen[k] = true end
  end
  local rest = {}
  for k in pairs(t) do if not seen[k] and type(k) == "string" then rest[#rest + 1] = k end end
  table.sort(rest)
  for _, k in ipairs(rest) do order[#order + 1] = k end
  return order
end

local function encode(v, indent, level, out)
  if type(v) ~= "table" or v == NIL then
    out[#out + 1] = output.json_value(v)
    return
  end
  local nl = indent > 0 and ("\n" .. (" "):rep(indent * (level + 1))) or ""
  local close = indent > 0 and ("\n" .. (" "):rep(indent * level)) or ""
  local sep = indent > 0 and ": " or ":"
  if is_array(v) then
    if #v == 0 then out[#out + 1] = "[]" return end
    out[#out + 1] = "["
    for i, x in ipairs(v) do
      out[#out + 1] = (i > 1 and "," or "") .. nl
      encode(x, indent, level + 1, out)
    end
    out[#out + 1] = close .. "]"
    return
  end
  local keys = keys_of(v)
  if #keys == 0 then out[#out + 1] = "{}" return end
  out[#out + 1] = "{"
  for i, k in ipairs(keys) do
    out[#out + 1] = (i > 1 and "," or "") .. nl .. output.json_value(k) .. sep
    encode(v[k], indent, level + 1, out)
  end
  out[#out + 1] = close .. "}"
end

function M.write(path, text)
  if not path then
    io.stdout:write(text)
    io.stdout:flush()
    return true
  end
  local tmp = path .. ".part"
  local f, err = io.open(tmp, "wb")
  if not f then return nil, err end
  local ok, werr = f:write(text)
  f:close()
  if not ok then os.remove(tmp) return nil, werr end
  return os.rename(tmp, path)
end

function M.encode(v, indent)
  local out = {}
  encode(v, indent or 2, 0, out)
  return table.concat(out)
end

return M
