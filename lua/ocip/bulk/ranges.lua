-- ocip.bulk.ranges: phone number ranges written in one CSV cell, for the number packs.
--   prepare(fields, extra): extra.ranges "2025550100-2025550199; 2025550300-2025550309"
--     -> fields.dn_range = { { min_phone_number =, max_phone_number = }, ... } | problem
--   key(fields) -> "sp1/g1 2025550100-2025550199;2025550001": the row's group and numbers
local recipe = require "ocip.bulk.recipe"

local M = {}

function M.prepare(fields, extra)
  if not extra.ranges then return end
  local list = {}
  for _, item in ipairs(recipe.list(extra.ranges)) do
    local a, b = item:match("^(%+?[%d-]-%d)%s*%-%s*(%+?[%d-]*%d)$")
    a = a and recipe.national(a)
    b = b and recipe.national(b)
    if not a or not b or not a:match("^%d+$") or not b:match("^%d+$") then
      return ("ranges: '%s' is not FIRST-LAST (2025550100-2025550199)"):format(item)
    end
    if #a ~= #b or a > b then
      return ("ranges: '%s': the first number must not be after the last"):format(item)
    end
    list[#list + 1] = { min_phone_number = a, max_phone_number = b }
  end
  fields.dn_range = list
end

function M.key(fields)
  local parts = {}
  for _, r in ipairs(fields.dn_range or {}) do parts[#parts + 1] = r.min_phone_number .. "-" .. r.max_phone_number end
  local dns = fields.phone_number
  if type(dns) == "table" then for _, n in ipairs(dns) do parts[#parts + 1] = tostring(n) end end
  return ("%s/%s %s"):format(tostring(fields.service_provider_id), tostring(fields.group_id),
    table.concat(parts, ";"))
end

return M
