-- ocip.config.text: a plan as text, in the manner of Terraform's:
--     + user alice@example.net          (added: its fields follow, `field = value`)
--     ~ user bob@example.net            (modified: `field: old -> new`, field by field)
--     - device polycom-17               (deleted)
--   Plan: 1 to add, 1 to change, 1 to delete.        or        No changes.
--   text.plan(plan) -> text;  text.value(v) -> one value as shown
local file = require "ocip.config.file"

local M = {}

M.SIGN = { add = "+", modify = "~", delete = "-" }
M.NONE = "(none)"

function M.value(v)
  if v == nil then return M.NONE end
  if type(v) == "string" then return file.lua_string(v) end
  if type(v) == "table" then
    local parts = {}
    for i, x in ipairs(v) do parts[i] = M.value(x) end
    return "[" .. table.concat(parts, ", ") .. "]"
  end
  return tostring(v)
end

function M.summary(plan)
  local n = plan.counts
  if n.add + n.modify + n.delete == 0 then return "No changes." end
  return ("Plan: %d to add, %d to change, %d to delete."):format(n.add, n.modify, n.delete)
end

function M.plan(plan)
  local out = {}
  local last_had_fields = false
  for _, ch in ipairs(plan.changes) do
    local has = ch.fields[1] ~= nil
    if (has or last_had_fields) and out[1] then out[#out + 1] = "" end
    out[#out + 1] = "  " .. M.SIGN[ch.action] .. " " .. ch.label
    for _, f in ipairs(ch.fields) do
      if ch.action == "add" then
        out[#out + 1] = "      " .. f.path .. " = " .. M.value(f.new)
      else
        out[#out + 1] = "      " .. f.path .. ": " .. M.value(f.old) .. " -> " .. M.value(f.new)
      end
    end
    last_had_fields = has
  end
  if out[1] then out[#out + 1] = "" end
  out[#out + 1] = M.summary(plan)
  return table.concat(out, "\n") .. "\n"
end

return M
