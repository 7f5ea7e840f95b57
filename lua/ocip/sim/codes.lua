-- Error codes and texts of the stateful rules, in one place so that every entity
-- answers "not found" and "already exists" the same way (docs/SIMULATOR.md lists
-- them). Codes seen from real Application Servers (DESIGN.md, "Protocol facts")
-- are used as such: 4008 user, 4152 group, 4505 access device, 4501 device type,
-- 4909 extension. The others are the simulator's own.
local M = {}

M.SP_NOT_FOUND = 4006
M.USER_NOT_FOUND = 4008       -- users, service instances, administrators (real)
M.ENTRY_NOT_FOUND = 4009      -- call pickup groups, departments
M.EXISTS = 4010               -- every "already exists"
M.RESELLER_NOT_FOUND = 4011
M.RESELLER_IN_USE = 4012
M.USER_LIMIT = 4130
M.GROUP_NOT_FOUND = 4152      -- real
M.DN_IN_USE = 4223
M.DN_NOT_AVAILABLE = 4224
M.MEMBER_TAKEN = 4225         -- a user already in another call pickup group
M.DEVICE_TYPE_NOT_FOUND = 4501 -- real
M.DEVICE_NOT_FOUND = 4505     -- real
M.INVALID_EXTENSION = 4909    -- real
M.VALIDATION = 6004           -- real: OCI XML Request validation error (detail in CDATA)

--- codes.not_found(kind, id) -> code, text for a missing object of `kind`
local NOT_FOUND = {
  user = { M.USER_NOT_FOUND, "User not found: " },
  admin = { M.USER_NOT_FOUND, "Administrator not found: " },
  sp = { M.SP_NOT_FOUND, "Service Provider not found: " },
  group = { M.GROUP_NOT_FOUND, "Group not found: " },
  device = { M.DEVICE_NOT_FOUND, "Access Device not found: " },
  device_type = { M.DEVICE_TYPE_NOT_FOUND, "Device Type not found: " },
  pickup = { M.ENTRY_NOT_FOUND, "Call Pickup Group not found: " },
  department = { M.ENTRY_NOT_FOUND, "Department not found: " },
  service_pack = { M.ENTRY_NOT_FOUND, "Service Pack not found: " },
  reseller = { M.RESELLER_NOT_FOUND, "Reseller not found: " },
}
function M.not_found(kind, id)
  local e = NOT_FOUND[kind] or { M.ENTRY_NOT_FOUND, "Entry not found: " }
  return e[1], e[2] .. tostring(id)
end

--- codes.exists(what, id) -> code, text ("Duplicate <what>: id")
function M.exists(what, id)
  return M.EXISTS, "Duplicate " .. what .. ": " .. tostring(id)
end

return M
