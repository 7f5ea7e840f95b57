-- Access devices of a group.
local C = require "ocip.sim.handlers.common"

local H = {}

-- The request's device within group g, or nil, code, msg.
local function device(ctx, req, g) return ctx.state:child(g, "devices", req.device_name, "Device") end

H["^GroupAccessDeviceAddRequest"] = C.in_group(function(ctx, req, _, g)
  return C.result(ctx.state:add_child(g, "devices", req.device_name, C.store(req)))
end)

H["^GroupAccessDeviceGetRequest%d"] = C.in_group(function(ctx, req, name, g)
  local d, code, msg = device(ctx, req, g)
  if not d then return C.err(code, msg) end
  return C.response(name, d, { numberOfPorts = { unlimited = true },
    numberOfAssignedPorts = 0, status = "Online" })
end)

H["^GroupAccessDeviceModifyRequest"] = C.in_group(function(ctx, req, _, g)
  local d, code, msg = device(ctx, req, g)
  if not d then return C.err(code, msg) end
  C.merge(d, req, { device_name = true })
  return C.SUCCESS
end)

H["^GroupAccessDeviceDeleteRequest$"] = C.in_group(function(ctx, req, _, g)
  return C.result(ctx.state:delete_child(g, "devices", req.device_name, "Device"))
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
      d.mac_address, "Online", d.version, d.access_device_external_id } end,
    keep, req.response_size_limit) }
end)

return H
