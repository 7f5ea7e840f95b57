-- Column headings of the OCITables the simulator fills that the catalog has no
-- hint for (schemas/columns.lua holds the shared ones): "ResponseType.element" ->
-- headings in the server's order, as the schema's documentation of each response
-- states them. Pure data.
local AGENTS_14 = { "User Id", "Last Name", "First Name", "Hiragana Last Name",
  "Hiragana First Name", "Weight" }
local USER_ROW = { "User Id", "Last Name", "First Name", "Hiragana Last Name",
  "Hiragana First Name", "Phone Number", "Extension", "Department", "Email Address" }
local HUNT_AGENTS = { "User Id", "Last Name", "First Name", "Hiragana Last Name",
  "Hiragana First Name", "Weight", "Phone Number", "Extension", "Department",
  "Email Address" }
local DEVICE_USERS = { "Line/Port", "Last Name", "First Name", "Phone Number", "User Id",
  "User Type", "Endpoint Type", "Order", "Primary Line/Port", "Extension", "Department",
  "Email Address", "Private Identity" }

local USER_CC = { "Service User Id", "Phone Number", "Extension", "Available",
  "Logoff Allowed" }

local function with(list, ...)
  local out = {}
  for i, v in ipairs(list) do out[i] = v end
  for _, v in ipairs { ... } do out[#out + 1] = v end
  return out
end

return {
  ["GroupHuntGroupGetInstanceResponse14.agentUserTable"] = AGENTS_14,
  ["GroupCallCenterGetInstanceResponse14.agentUserTable"] = AGENTS_14,
  ["GroupCallCenterGetInstanceResponse14sp3.agentUserTable"] = AGENTS_14,
  ["GroupCallCenterGetInstanceResponse14sp9.agentUserTable"] = AGENTS_14,
  ["GroupHuntGroupGetInstanceResponse17.agentUserTable"] = HUNT_AGENTS,
  ["GroupHuntGroupGetInstanceResponse17sp1V1.agentUserTable"] = HUNT_AGENTS,
  ["GroupHuntGroupGetInstanceResponse17sp3.agentUserTable"] = HUNT_AGENTS,
  ["GroupHuntGroupGetInstanceResponse17sp4.agentUserTable"] = HUNT_AGENTS,
  ["GroupHuntGroupGetInstanceResponse19.agentUserTable"] = HUNT_AGENTS,
  ["GroupHuntGroupGetInstanceResponse19sp1.agentUserTable"] = HUNT_AGENTS,
  ["GroupHuntGroupGetInstanceResponse20.agentUserTable"] = with(HUNT_AGENTS,
    "Is Phone Number Activated", "Country Code", "National Prefix", "Department Name",
    "Department Type", "Parent Department", "Parent Department Type", "Group Id",
    "Group Name"),
  ["GroupCallCenterGetAgentListResponse.agentTable"] = with(HUNT_AGENTS, "Skill Level"),
  ["GroupCallCenterGetAvailableAgentListResponse.userTable"] = USER_ROW,
  ["GroupHuntGroupGetAvailableUserListResponse.userTable"] = USER_ROW,
  ["GroupCallPickupGetAvailableUserListResponse.userTable"] = USER_ROW,
  ["GroupAccessDeviceGetUserListResponse.deviceUserTable"] = DEVICE_USERS,
  ["GroupAccessDeviceGetUserListResponse21sp1.deviceUserTable"] = DEVICE_USERS,
  ["UserServiceGetAssignmentListResponse.servicePacksAssignmentTable"] = {
    "Service Pack Name", "Assigned", "Description" },
  ["UserServiceGetAssignmentListResponse.userServicesAssignmentTable"] = { "Service Name",
    "Assigned" },
  ["GroupDnGetAssignmentListResponse.dnTable"] = { "Phone Numbers", "Assigned To",
    "Department", "Activated" },
  ["GroupDnGetSummaryListResponse.dnTable"] = { "Phone Numbers", "Assigned" },
  ["UserCallCenterGetResponse.userTable"] = USER_CC,
  ["UserCallCenterGetListResponse.userTable"] = USER_CC,
  ["UserCallCenterGetResponse16.callCenterTable"] = with(USER_CC, "Type", "Priority"),
  ["UserCallCenterGetResponse17.callCenterTable"] = with(USER_CC, "Type", "Priority"),
  ["UserCallCenterGetResponse17sp4.callCenterTable"] = with(USER_CC, "Type", "Priority"),
  ["UserCallCenterGetResponse19.callCenterTable"] = with(USER_CC, "Type", "Priority",
    "Routing Policy", "Skill Level"),
  ["UserCallCenterGetResponse23.callCenterTable"] = with(USER_CC, "Type", "Priority",
    "Routing Policy", "Skill Level"),
  ["UserCallPickupGetResponse.userTable"] = { "User Id", "Last Name", "First Name",
    "Hiragana Last Name", "Hiragana First Name", "Department", "Phone Number", "Extension",
    "Email Address" },
  ["ServiceProviderServicePackGetDetailListResponse.userServiceTable"] = { "Service",
    "Authorized", "Allocated", "Available" },
  ["GroupGetListInSystemResponse.groupTable"] = { "Group Id", "Group Name", "User Limit",
    "Organization Id", "Organization Type", "Reseller Id" },
  ["UserGetServiceInstanceListInSystemResponse.serviceInstanceTable"] = { "User Id",
    "Group Id", "Service Provider Id", "Service Type", "Name", "Phone Number", "Extension",
    "Reseller Id" },
  ["UserGetServiceInstanceListInServiceProviderResponse.serviceInstanceTable"] = { "User Id",
    "Group Id", "Service Type", "Name", "Phone Number", "Extension", "Department" },
}
