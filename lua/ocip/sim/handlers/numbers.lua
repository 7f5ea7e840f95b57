-- Phone numbers: a service provider's pool, the numbers assigned to its groups,
-- and who holds each (a user or a service instance): state.lua keeps g.dns.
local C = require "ocip.sim.handlers.common"
local codes = require "ocip.sim.codes"

local H = {}

local function rname_of(name) return (name:gsub("Request", "Response")) end

local function dns_of(req)
  local out = {}
  for _, dn in ipairs(type(req.phone_number) == "table" and req.phone_number or {}) do
    out[#out + 1] = dn
  end
  for _, r in ipairs(req.dn_range or {}) do
    local a, b = tonumber(r.min_phone_number), tonumber(r.max_phone_number)
    if a and b and b >= a and b - a < 100000 then
      for n = a, b do out[#out + 1] = string.format("%d", n) end
    end
  end
  return out
end

H["^ServiceProviderDnAddListRequest$"] = function(ctx, req)
  local sp, code, msg = ctx.state:sp(req.service_provider_id)
  if not sp then return C.err(code, msg) end
  for _, dn in ipairs(dns_of(req)) do
    if sp.dns[dn] then return C.err(codes.DN_IN_USE, "Phone number already in use: " .. dn) end
  end
  for _, dn in ipairs(dns_of(req)) do sp.dns[dn] = true end
  return C.SUCCESS
end

-- A service provider number is free when no group of it has it.
local function sp_free(sp)
  local used = {}
  for _, g in ipairs(sp.groups.list) do
    for dn in pairs(g.dns) do used[dn] = true end
  end
  local out = {}
  for dn in pairs(sp.dns) do if not used[dn] then out[#out + 1] = dn end end
  table.sort(out)
  return out
end

H["^ServiceProviderDnDeleteListRequest$"] = function(ctx, req)
  local sp, code, msg = ctx.state:sp(req.service_provider_id)
  if not sp then return C.err(code, msg) end
  local free = {}
  for _, dn in ipairs(sp_free(sp)) do free[dn] = true end
  for _, dn in ipairs(dns_of(req)) do
    if not free[dn] then return C.err(codes.DN_NOT_AVAILABLE, "Phone number not available: " .. dn) end
  end
  for _, dn in ipairs(dns_of(req)) do sp.dns[dn] = nil end
  return C.SUCCESS
end

H["^ServiceProviderDnGetAvailableListRequest$"] = function(ctx, req, name)
  local sp, code, msg = ctx.state:sp(req.service_provider_id)
  if not sp then return C.err(code, msg) end
  return { _type = rname_of(name), availableDn = sp_free(sp) }
end

H["^GroupDnAssignListRequest$"] = C.in_group(function(_, req, _, g)
  local list = dns_of(req)
  for _, dn in ipairs(list) do
    if g.dns[dn] then return C.err(codes.DN_IN_USE, "Phone number already assigned: " .. dn) end
  end
  for _, dn in ipairs(list) do g.dns[dn] = true end
  return C.SUCCESS
end)

H["^GroupDnUnassignListRequest$"] = C.in_group(function(_, req, _, g)
  for _, dn in ipairs(dns_of(req)) do
    if g.dns[dn] ~= true then
      return C.err(codes.DN_NOT_AVAILABLE, "Phone number not available: " .. dn)
    end
  end
  for _, dn in ipairs(dns_of(req)) do g.dns[dn] = nil end
  return C.SUCCESS
end)

local function sorted_dns(g, pred)
  local list = {}
  for dn, owner in pairs(g.dns) do
    if not pred or pred(owner) then list[#list + 1] = dn end
  end
  table.sort(list)
  return list
end

H["^GroupDnGetListRequest$"] = C.in_group(function(_, _, name, g)
  return { _type = rname_of(name), phoneNumber = sorted_dns(g) }
end)

H["^GroupDnGetAvailableListRequest$"] = C.in_group(function(_, _, name, g)
  return { _type = rname_of(name),
    phoneNumber = sorted_dns(g, function(owner) return owner == true end) }
end)

-- Who holds a number: user or service instance fields for the assignment tables.
local function owner_cells(dn, owner)
  local c = { ["Phone Numbers"] = "+1-" .. dn, ["Country Code"] = "1" }
  if owner == true then
    c["Assigned"] = "false"
    return c
  end
  c["Assigned"] = "true"
  c["Activated"] = "true"
  c["User Id"] = owner.user_id
  if owner.kind == "user" then
    c["Last Name"], c["First Name"] = owner.last_name, owner.first_name
    c["Extension"], c["Email Address"] = owner.extension, owner.email_address
    c["User Type"] = "Normal"
    c["Assigned To"] = ((owner.first_name or "") .. " " .. (owner.last_name or ""))
  else
    local p = type(owner.service_instance_profile) == "table" and owner.service_instance_profile
      or {}
    -- (the schema: a service instance's name in "Last Name", its type in "First Name")
    c["User Type"] = ({ hunt_group = "Hunt Group", call_center = "Call Center",
      auto_attendant = "Auto Attendant" })[owner.kind]
    c["Last Name"], c["First Name"] = p.name, c["User Type"]
    c["Extension"] = p.extension
    c["Assigned To"] = p.name
  end
  return c
end

local DN_CRITERIA = {
  search_criteria_dn = function(o) return o.dn end,
  search_criteria_user_id = function(o) return o.owner ~= true and o.owner.user_id or nil end,
  search_criteria_user_last_name = function(o) return o.owner ~= true and o.owner.last_name or nil end,
  search_criteria_user_first_name = function(o)
    return o.owner ~= true and o.owner.first_name or nil end,
  search_criteria_extension = function(o)
    if o.owner == true then return nil end
    if o.owner.kind == "user" then return o.owner.extension end
    local p = o.owner.service_instance_profile
    return type(p) == "table" and p.extension or nil
  end,
}

local function assignment_list(_, req, name, g)
  local rows = {}
  for _, dn in ipairs(sorted_dns(g)) do rows[#rows + 1] = { dn = dn, owner = g.dns[dn] } end
  local rname = rname_of(name)
  return { _type = rname, dnTable = C.rows(rname, "dnTable", C.each(rows),
    function(r) return owner_cells(r.dn, r.owner) end, C.filter(req, DN_CRITERIA),
    req.response_size_limit) }
end
H["^GroupDnGetAssignmentListRequest%d*$"] = C.in_group(assignment_list)
H["^GroupDnGetSummaryListRequest$"] = C.in_group(assignment_list)

return H
