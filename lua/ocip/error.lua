-- ocip.Error: every failure is one of these, whatever layer made it (C or Lua).
-- Fields: kind (connect|tls|auth|timeout|closed|protocol|validation|server|limit|usage),
-- message, and where they apply command, sent, code, summary, summary_english,
-- detail, severity, field, and for validation errors `problems`: every problem found,
-- each { field = "Request.path", message = "..." }, in schema order.
local core = require "ocip.core"

local Error = core.error_mt()
Error.__index = Error
Error.__name = "ocip.Error"

local KINDS = {
  connect = true, tls = true, auth = true, timeout = true, closed = true,
  protocol = true, validation = true, server = true, limit = true, usage = true,
}
Error.KINDS = KINDS

-- Problem lines tostring shows at most (err.problems keeps every one).
local SHOWN_PROBLEMS = 50

function Error.__tostring(e)
  local parts = { "ocip." .. tostring(e.kind) .. " error" }
  if e.command then parts[#parts + 1] = " in " .. e.command end
  if e.code then parts[#parts + 1] = " [" .. tostring(e.code) .. "]" end
  -- several validation problems: a summary line, then one line per problem
  local problems = type(e.problems) == "table" and #e.problems > 1 and e.problems or nil
  local text = problems and (#problems .. " problems") or e.summary_english or e.summary or e.message
  if text then parts[#parts + 1] = ": " .. tostring(text) end
  if e.detail and e.detail ~= "" then parts[#parts + 1] = " (" .. tostring(e.detail) .. ")" end
  if e.sent ~= nil and e.kind ~= "server" then
    parts[#parts + 1] = e.sent and " [request may have reached the server]" or " [not sent]"
  end
  if problems then
    for i = 1, math.min(#problems, SHOWN_PROBLEMS) do
      local p = problems[i]
      parts[#parts + 1] = "\n  " .. tostring(p.field) .. ": " .. tostring(p.message)
    end
    if #problems > SHOWN_PROBLEMS then
      parts[#parts + 1] = ("\n  ... and %d more (err.problems lists them all)"):format(#problems - SHOWN_PROBLEMS)
    end
  end
  return table.concat(parts)
end

--- Error.new(kind, message, fields?) -> error value
function Error.new(kind, message, fields)
  assert(KINDS[kind], "unknown error kind: " .. tostring(kind))
  local e = {}
  if fields then for k, v in pairs(fields) do e[k] = v end end
  e.kind, e.message = kind, message or e.message or kind
  return setmetatable(e, Error)
end

--- Error.is(v) -> true when v is an ocip.Error
function Error.is(v)
  return getmetatable(v) == Error
end

--- Error.raise(kind, message, fields) raises a new error value (level is kept by the object).
function Error.raise(kind, message, fields)
  error(Error.new(kind, message, fields), 0)
end

return Error
