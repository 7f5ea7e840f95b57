-- ocip.jsontext: JSON text of scalars, for the encoders that keep their own key order
-- (pack output, the REPL's :json, configuration files).
--   jsontext.string(s) -> "s" quoted and escaped (control characters as \uXXXX)
--   jsontext.number(n) -> integers as written, floats round-tripping (%.17g), NaN/inf null
local M = {}

local ESC = { ['"'] = '\\"', ["\\"] = "\\\\", ["\b"] = "\\b", ["\f"] = "\\f", ["\n"] = "\\n",
  ["\r"] = "\\r", ["\t"] = "\\t" }

function M.string(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    return ESC[c] or ("\\u%04x"):format(c:byte())
  end) .. '"'
end

function M.number(v)
  if math.type(v) == "integer" then return tostring(v) end
  if v ~= v or v == math.huge or v == -math.huge then return "null" end
  return ("%.17g"):format(v)
end

return M
