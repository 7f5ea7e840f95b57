-- Resellers (system -> resellers -> service providers): Add/Get/Modify/Delete/GetList.
-- Requests name a reseller by resellerId or (a choice) resellerExternalId.
local C = require "ocip.sim.handlers.common"

local H = {}

local function find(ctx, req)
  if req.reseller_id ~= nil then return ctx.state:reseller(req.reseller_id) end
  return ctx.state:reseller_by_external(req.reseller_external_id)
end

H["^ResellerAddRequest$"] = function(ctx, req)
  local r, code, msg = ctx.state:add_reseller { id = req.reseller_id,
    name = req.reseller_name, external_id = req.reseller_external_id }
  if not r then return C.err(code, msg) end
  return C.SUCCESS
end

H["^ResellerGetRequest"] = function(ctx, req, name)
  local r, code, msg = find(ctx, req)
  if not r then return C.err(code, msg) end
  return C.response(name, { reseller_id = r.id, reseller_name = r.name,
    reseller_external_id = r.external_id })
end

local NIL = require("ocip.sentinel").NIL

H["^ResellerModifyRequest$"] = function(ctx, req)
  local r, code, msg = find(ctx, req)
  if not r then return C.err(code, msg) end
  if req.reseller_name == NIL then r.name = nil
  elseif req.reseller_name ~= nil then r.name = req.reseller_name end
  return C.SUCCESS
end

H["^ResellerDeleteRequest$"] = function(ctx, req)
  local r, code, msg = find(ctx, req)
  if not r then return C.err(code, msg) end
  local ok
  ok, code, msg = ctx.state:delete_reseller(r.id)
  if not ok then return C.err(code, msg) end
  for _, a in ipairs(r.admins.list) do ctx.sim.passwords[a.user_id] = nil end
  return C.SUCCESS
end

H["^ResellerGetListRequest$"] = function(ctx, req, name)
  local keep = C.filter(req, {
    search_criteria_reseller_id = function(r) return r.id end,
    search_criteria_reseller_name = function(r) return r.name end,
  })
  local rname = name:gsub("Request", "Response")
  return { _type = rname, resellerTable = C.table(rname, "resellerTable",
    C.each(ctx.state.resellers.list),
    function(r) return { r.id, r.name, r.external_id } end, keep, req.response_size_limit) }
end

return H
