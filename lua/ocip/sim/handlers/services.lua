-- Service instances that own a service user id: hunt groups, call centers,
-- auto attendants (Add/Get/Modify/Delete/GetList per family).
local C = require "ocip.sim.handlers.common"

local H = {}

local FAMILIES = {
  { prefix = "GroupHuntGroup", kind = "hunt_group", table = "huntGroupTable" },
  { prefix = "GroupCallCenter", kind = "call_center", table = "callCenterTable" },
  { prefix = "GroupAutoAttendant", kind = "auto_attendant", table = "autoAttendantTable" },
}

local function profile(s) return s.service_instance_profile or {} end

local ROWS = {
  hunt_group = function(s)
    local p = profile(s)
    return { s.user_id, p.name, p.phone_number and ("+1-" .. p.phone_number), p.extension,
      nil, "true", s.policy }
  end,
  call_center = function(s)
    local p = profile(s)
    return { s.user_id, p.name, C.yn(s.enable_video), p.phone_number and ("+1-" .. p.phone_number),
      p.extension, nil, "true", s.policy, s.type }
  end,
  auto_attendant = function(s)
    local p = profile(s)
    return { s.user_id, p.name, C.yn(s.enable_video), p.phone_number and ("+1-" .. p.phone_number),
      p.extension, nil, "true", s.type }
  end,
}

for _, f in ipairs(FAMILIES) do
  local kind = f.kind
  H["^" .. f.prefix .. "AddInstanceRequest"] = function(ctx, req)
    local o = C.store(req, { service_provider_id = true, group_id = true, service_user_id = true })
    o.kind, o.user_id = kind, req.service_user_id
    local p = req.service_instance_profile
    if type(p) == "table" then o.phone_number = p.phone_number end
    local s, code, msg = ctx.state:add_service(req.service_provider_id, req.group_id, o)
    if not s then return C.err(code, msg) end
    return C.SUCCESS
  end
  H["^" .. f.prefix .. "GetInstanceRequest%d*$"] = function(ctx, req, name)
    local s, code, msg = ctx.state:service(req.service_user_id, kind)
    if not s then return C.err(code, msg) end
    return C.response(name, s)
  end
  H["^" .. f.prefix .. "ModifyInstanceRequest"] = function(ctx, req)
    local s, code, msg = ctx.state:service(req.service_user_id, kind)
    if not s then return C.err(code, msg) end
    C.merge(s, req, { service_user_id = true })
    return C.SUCCESS
  end
  H["^" .. f.prefix .. "DeleteInstanceRequest$"] = function(ctx, req)
    local ok, code, msg = ctx.state:delete_service(req.service_user_id, kind)
    if not ok then return C.err(code, msg) end
    return C.SUCCESS
  end
  H["^" .. f.prefix .. "GetInstanceListRequest$"] = function(ctx, req, name)
    local g, code, msg = ctx.state:group(req.service_provider_id, req.group_id)
    if not g then return C.err(code, msg) end
    local rname = name:gsub("Request", "Response")
    local pred = function(s) return s.kind == kind end
    return { _type = rname, [f.table] = C.table(rname, f.table, C.each(g.services.list), ROWS[kind],
      pred) }
  end
end

return H
