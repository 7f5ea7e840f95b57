-- Access devices of a group.
local C = require "ocip.sim.handlers.common"

local H = {}

local function group(ctx, req) return ctx.state:group(req.service_provider_id, req.group_id) end

H["^GroupAccessDeviceAddRequest"] = function(ctx, req)
  local g, code, msg = group(ctx, req)
  if not g then return C.err(code, msg) end
  local d
  d, code, msg = ctx.state:add_child(g, "devices", req.device_name, C.store(req))
  if not d then return C.err(code, msg) end
  return C.SUCCESS
end

H["^GroupAccessDeviceGetRequest%d"] = function(ctx, req, name)
  local g, code, msg = group(ctx, req)
  if not g then return C.err(code, msg) end
  local d
  d, code, msg = ctx.state:child(g, "devices", req.device_name, "Device")
  if not d then return C.err(code, msg) end
  return C.response(name, d, { numberOfPorts = { unlimited = true },
    numberOfAssignedPorts = 0, status = "Online" })
end

H["^GroupAccessDeviceModifyRequest"] = function(ctx, req)
  local g, code, msg = group(ctx, req)
  if not g then return C.err(code, msg) end
  local d
  d, code, msg = ctx.state:child(g, "devices", req.device_name, "Device")
  if not d then return C.err(code, msg) end
  C.merge(d, req, { device_name = true })
  return C.SUCCESS
end

H["^GroupAccessDeviceDeleteRequest$"] = function(ctx, req)
  local g, code, msg = group(ctx, req)
  if not g then return C.err(code, msg) end
  local ok
  ok, code, msg = ctx.state:delete_child(g, "devices", req.device_name, "Device")
  if not ok then return C.err(code, msg) end
  return C.SUCCESS
end

H["^GroupAccessDeviceGetListRequest$"] = function(ctx, req, name)
  local g, code, msg = group(ctx, req)
  if not g then return C.err(code, msg) end
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
end

return H
