-- Access devices of a group: Add (every version) with a known device type, Get
-- (every version) from the stored fields, Modify, Delete, the device list and the
-- list of users on a device (from the users' access device endpoints).
local C = require "ocip.sim.handlers.common"
local codes = require "ocip.sim.codes"

local H = {}

-- Device types the simulated system knows (a real system has the identity/device
-- profile types its operator created); an Add with another type gets 4501.
H.DEVICE_TYPES = {
  "Generic SIP Phone", "Business Communicator - PC", "Business Communicator - Mobile",
  "Business Communicator - Tablet", "Cisco 7960", "Cisco 8841", "Cisco 8851", "Cisco SPA504G",
  "Grandstream GXP2170", "Linksys SPA-2102", "Polycom Soundpoint IP 331",
  "Polycom Soundpoint IP 550", "Polycom Soundpoint IP 650", "Polycom VVX 300",
  "Polycom VVX 400", "Polycom VVX 500", "Polycom VVX 600", "Yealink T46S", "Yealink T48S",
  "Yealink T54W",
}
local KNOWN = {}
for _, t in ipairs(H.DEVICE_TYPES) do KNOWN[t] = true end

-- The request's device within group g, or nil, code, msg.
local function device(ctx, req, g) return ctx.state:child(g, "devices", req.device_name) end

-- Endpoint of user u on the group device `name`, or nil.
local function endpoint_on(u, name)
  local ep = u.access_device_endpoint
  if type(ep) ~= "table" then return nil end
  local ad = ep.access_device
  if type(ad) == "table" and ad.device_name == name and (ad.device_level or "Group") == "Group" then
    return ep
  end
  return nil
end

local function users_on(g, name)
  local out = {}
  for _, u in ipairs(g.users.list) do
    if endpoint_on(u, name) then out[#out + 1] = u end
  end
  return out
end

H["^GroupAccessDeviceAddRequest"] = C.in_group(function(ctx, req, _, g)
  if g.devices.by[req.device_name] then
    return C.err(codes.exists("access device", req.device_name))
  end
  if not KNOWN[req.device_type] then
    return C.err(codes.not_found("device_type", req.device_type))
  end
  return C.result(ctx.state:add_child(g, "devices", req.device_name, C.store(req,
    { service_provider_id = true, group_id = true })))
end)

H["^GroupAccessDeviceGetRequest%d"] = C.in_group(function(ctx, req, name, g)
  local d, code, msg = device(ctx, req, g)
  if not d then return C.err(code, msg) end
  return C.response(name, d, { serviceProviderId = g.sp.id, groupId = g.id,
    numberOfPorts = { unlimited = true },
    numberOfAssignedPorts = #users_on(g, d.name), status = "Online" })
end)

H["^GroupAccessDeviceModifyRequest"] = C.in_group(function(ctx, req, _, g)
  local d, code, msg = device(ctx, req, g)
  if not d then return C.err(code, msg) end
  C.merge(d, req, { device_name = true, service_provider_id = true, group_id = true })
  return C.SUCCESS
end)

H["^GroupAccessDeviceDeleteRequest$"] = C.in_group(function(ctx, req, _, g)
  return C.result(ctx.state:delete_child(g, "devices", req.device_name))
end)

H["^GroupAccessDeviceGetListRequest$"] = C.in_group(function(_, req, name, g)
  local keep = C.filter(req, {
    search_criteria_device_name = function(d) return d.device_name end,
    search_criteria_device_mac_address = function(d) return d.mac_address end,
    search_criteria_device_net_address = function(d) return d.net_address end,
    search_criteria_exact_device_type = function(d) return d.device_type end,
  })
  local rname = name:gsub("Request", "Response")
  return { _type = rname, accessDeviceTable = C.table(rname, "accessDeviceTable",
    C.each(g.devices.list),
    function(d) return { d.device_name, d.device_type, "Unlimited", d.net_address,
      d.mac_address, "Online", d.version, d.device_external_id } end,
    keep, req.response_size_limit) }
end)

H["^GroupAccessDeviceGetUserListRequest"] = C.in_group(function(ctx, req, name, g)
  local d, code, msg = device(ctx, req, g)
  if not d then return C.err(code, msg) end
  local keep = C.filter(req, {
    search_criteria_user_last_name = function(u) return u.last_name end,
    search_criteria_user_first_name = function(u) return u.first_name end,
    search_criteria_dn = function(u) return u.phone_number end,
    search_criteria_user_id = function(u) return u.user_id end,
    search_criteria_extension = function(u) return u.extension end,
  })
  local rname = name:gsub("Request", "Response")
  return { _type = rname, deviceUserTable = C.rows(rname, "deviceUserTable",
    C.each(users_on(g, d.name)), function(u)
      local ep = endpoint_on(u, d.name)
      return C.user_cells(u, { ["Line/Port"] = ep.line_port, ["User Type"] = "Normal",
        ["Endpoint Type"] = "Primary", ["Order"] = "1", ["Primary Line/Port"] = "true",
        ["Private Identity"] = ep.private_identity })
    end, keep, req.response_size_limit) }
end)

return H
