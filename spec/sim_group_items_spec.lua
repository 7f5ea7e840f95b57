-- Call pickup groups, departments, group administrators (and their policies),
-- phone numbers, and the state file, through the real client against the simulator.
local ocip = require "ocip"
local T = require "spec.support.sim_client"

local code, ok, roundtrip = T.code, T.ok, T.roundtrip
local SP, G = "sp1", "g1"
local U1, U2, U3 = "user000001@example.net", "user000002@example.net", "user000003@example.net"

local function in_group(t)
  local o = { service_provider_id = SP, group_id = G }
  for k, v in pairs(t) do o[k] = v end
  return o
end

local function ids(rows, key)
  local out = {}
  for i, r in ipairs(rows) do out[i] = r[key or "user_id"] end
  return out
end

describe("ocip sim call pickup groups", function()
  it("Add / Get / Modify (rename, members) / list / available users / Delete", function()
    T.with_client({ users = 4 }, function(c)
      ok(c:GroupCallPickupAddInstanceRequest(in_group { name = "Front", user_id = { U1, U2 } }))
      assert.equal(4010, code(c:GroupCallPickupAddInstanceRequest(in_group { name = "Front" })))
      -- a user is in one pickup group at most
      assert.equal(4225, code(c:GroupCallPickupAddInstanceRequest(in_group { name = "Back", user_id = { U2 } })))
      assert.equal(4008, code(c:GroupCallPickupAddInstanceRequest(in_group { name = "Back",
        user_id = { "ghost@example.net" } })))
      ok(c:GroupCallPickupAddInstanceRequest(in_group { name = "Back", user_id = { U3 } }))
      local g = ok(c:GroupCallPickupGetInstanceRequest(in_group { name = "Front" }))
      assert.same({ U1, U2 }, ids(g.user_table))
      assert.equal("+1-2025550001", g.user_table[1].phone_number)
      assert.same({ "Front", "Back" }, ok(c:GroupCallPickupGetInstanceListRequest(in_group {})).name)
      local mine = ok(c:UserCallPickupGetRequest { user_id = U2 })
      assert.same({ "Front", { U1, U2 } }, { mine.name, ids(mine.user_table) })
      assert.is_nil(ok(c:UserCallPickupGetRequest { user_id = "user000004@example.net" }).name)
      local avail = ok(c:GroupCallPickupGetAvailableUserListRequest(in_group { name = "Front" }))
      assert.same({ U1, U2, "user000004@example.net" }, ids(avail.user_table))

      ok(c:GroupCallPickupModifyInstanceRequest(in_group { name = "Front", new_name = "Lobby",
        user_id_list = { user_id = { "user000004@example.net" } } }))
      assert.equal(4009, code(c:GroupCallPickupGetInstanceRequest(in_group { name = "Front" })))
      assert.same({ "user000004@example.net" },
        ids(ok(c:GroupCallPickupGetInstanceRequest(in_group { name = "Lobby" })).user_table))
      assert.equal(4010, code(c:GroupCallPickupModifyInstanceRequest(in_group { name = "Lobby",
        new_name = "Back" })))
      ok(c:GroupCallPickupModifyInstanceRequest(in_group { name = "Lobby", user_id_list = ocip.NIL }))
      assert.equal(0, #ok(c:GroupCallPickupGetInstanceRequest(in_group { name = "Lobby" })).user_table)
      ok(c:UserDeleteRequest { user_id = U3 })
      assert.equal(0, #ok(c:GroupCallPickupGetInstanceRequest(in_group { name = "Back" })).user_table)
      ok(c:GroupCallPickupDeleteInstanceRequest(in_group { name = "Back" }))
      local r, err = c:GroupCallPickupDeleteInstanceRequest(in_group { name = "Back" })
      assert.equal(4009, code(r, err))
      assert.equal("[Error 4009] Call Pickup Group not found: Back", err.summary)
    end)
  end)
end)

describe("ocip sim departments", function()
  it("Add / Get / Modify (rename, parent) / list (both versions) / Delete", function()
    T.with_client({ users = 2 }, function(c)
      local add = in_group { department_name = "Sales", calling_line_id_name = "Sales Dept",
        calling_line_id_phone_number = "2025550100" }
      ok(c:GroupDepartmentAddRequest(add))
      assert.equal(4010, code(c:GroupDepartmentAddRequest(add)))
      roundtrip(add, ok(c:GroupDepartmentGetRequest(in_group { department_name = "Sales" })))
      local parent = { _type = "GroupDepartmentKey", service_provider_id = SP, group_id = G, name = "Sales" }
      local child = in_group { department_name = "Inside", parent_department_key = parent }
      ok(c:GroupDepartmentAddRequest(child))
      roundtrip(child, ok(c:GroupDepartmentGetRequest(in_group { department_name = "Inside" })))
      assert.equal(4009, code(c:GroupDepartmentAddRequest(in_group { department_name = "Orphan",
        parent_department_key = { _type = "GroupDepartmentKey", service_provider_id = SP, group_id = G,
          name = "Nope" } })))
      local l = ok(c:GroupDepartmentGetListRequest18(in_group { include_enterprise_departments = false }))
      assert.same({ "Sales", "Inside" }, ids(l.department_table, "department_name"))
      assert.equal("Sales\\Inside (g1)", l.department_table[2].full_path_name)
      local old = ok(c:GroupDepartmentGetListRequest(in_group { include_enterprise_departments = false }))
      assert.same({ "Sales", "Inside" }, { old.department_key[1].name, old.department_key[2].name })

      ok(c:GroupDepartmentModifyRequest(in_group { department_name = "Sales", new_department_name = "Sales EU",
        calling_line_id_name = ocip.NIL }))
      assert.equal(4009, code(c:GroupDepartmentGetRequest(in_group { department_name = "Sales" })))
      local g = ok(c:GroupDepartmentGetRequest(in_group { department_name = "Sales EU" }))
      assert.is_nil(g.calling_line_id_name)
      assert.equal("2025550100", g.calling_line_id_phone_number)
      ok(c:GroupDepartmentDeleteRequest(in_group { department_name = "Inside" }))
      assert.equal(4009, code(c:GroupDepartmentDeleteRequest(in_group { department_name = "Inside" })))
      assert.equal(1, #ok(c:GroupDepartmentGetListRequest18(in_group {
        include_enterprise_departments = true })).department_table)
    end)
  end)
end)

describe("ocip sim group administrators", function()
  it("Add / Get / Modify / policy / list / Delete; an admin id is unique among user ids", function()
    T.with_client({ users = 2 }, function(c)
      local add = in_group { user_id = "gadmin@example.net", last_name = "Admin", first_name = "Grace",
        password = "Ga-pw-12345", language = "English" }
      ok(c:GroupAdminAddRequest(add))
      assert.equal(4010, code(c:GroupAdminAddRequest(add)))
      assert.equal(4010, code(c:GroupAdminAddRequest(in_group { user_id = U1 })))
      for _, v in ipairs { "GroupAdminGetRequest22V3", "GroupAdminGetRequest22", "GroupAdminGetRequest" } do
        local g = ok(c:command(ocip.commands[v] { user_id = "gadmin@example.net" }))
        assert.equal(v:gsub("Request", "Response"), g._type)
        assert.same({ "Admin", "Grace", "g1" }, { g.last_name, g.first_name, g.group_id })
      end
      ok(c:GroupAdminModifyRequest { user_id = "gadmin@example.net", last_name = "Hopper",
        first_name = ocip.NIL, account_disabled = true })
      local g = ok(c:GroupAdminGetRequest22V3 { user_id = "gadmin@example.net" })
      assert.same({ "Hopper", true }, { g.last_name, g.account_disabled })
      assert.is_nil(g.first_name)

      local policy = { user_id = "gadmin@example.net", profile_access = "Read-Only", user_access = "Full Profile",
        admin_access = "None", department_access = "Read-Only", access_device_access = "Associate User With Device",
        phone_number_extension_access = "Read-Only" }
      ok(c:GroupAdminModifyPolicyRequest(policy))
      roundtrip(policy, ok(c:GroupAdminGetPolicyRequest20 { user_id = "gadmin@example.net" }))
      assert.equal("Read-Only", ok(c:GroupAdminGetPolicyRequest19sp1 { user_id = "gadmin@example.net" })
        .profile_access)
      assert.equal(4008, code(c:GroupAdminGetPolicyRequest20 { user_id = "ghost@example.net" }))

      local l = ok(c:GroupAdminGetListRequest(in_group {}))
      assert.same({ "gadmin@example.net" }, ids(l.group_admin_table, "administrator_id"))
      ok(c:GroupAdminDeleteRequest { user_id = "gadmin@example.net" })
      assert.equal(4008, code(c:GroupAdminGetRequest22V3 { user_id = "gadmin@example.net" }))
    end)
  end)
end)

describe("ocip sim phone numbers", function()
  it("service provider pool, group assignment, users and services holding them", function()
    T.with_client({ users = 2 }, function(c)
      ok(c:ServiceProviderDnAddListRequest { service_provider_id = SP,
        dn_range = { { min_phone_number = "3015550100", max_phone_number = "3015550104" } } })
      assert.equal(4223, code(c:ServiceProviderDnAddListRequest { service_provider_id = SP,
        phone_number = { "3015550100" } }))
      assert.equal(5, #ok(c:ServiceProviderDnGetAvailableListRequest { service_provider_id = SP }).available_dn)
      ok(c:GroupDnAssignListRequest(in_group { phone_number = { "3015550100", "3015550101", "3015550102" } }))
      assert.same({ "3015550103", "3015550104" },
        ok(c:ServiceProviderDnGetAvailableListRequest { service_provider_id = SP }).available_dn)
      assert.equal(4223, code(c:GroupDnAssignListRequest(in_group { phone_number = { "3015550100" } })))
      assert.same({ "3015550100", "3015550101", "3015550102" },
        ok(c:GroupDnGetAvailableListRequest(in_group {})).phone_number)

      -- a user and a hunt group take numbers of the group
      ok(c:UserModifyRequest22 { user_id = U1, phone_number = "3015550100" })
      ok(c:GroupHuntGroupAddInstanceRequest20(in_group { service_user_id = "hg@example.net",
        service_instance_profile = { name = "Sales", calling_line_id_last_name = "Sales",
          calling_line_id_first_name = "HG", phone_number = "3015550101", extension = "0101" },
        policy = "Circular", hunt_after_no_answer = false, no_answer_number_of_rings = 3,
        forward_after_timeout = false, forward_timeout_seconds = 30,
        allow_call_waiting_for_agents = false, use_system_hunt_group_clid_setting = true,
        include_hunt_group_name_in_clid = true, enable_not_reachable_forwarding = false,
        make_busy_when_not_reachable = false, allow_members_to_control_group_busy = false,
        enable_group_busy = false, apply_group_busy_when_terminating_to_agent = false }))
      assert.same({ "2025550001", "3015550102" }, ok(c:GroupDnGetAvailableListRequest(in_group {})).phone_number)
      local a = ok(c:GroupDnGetAssignmentListRequest18(in_group {}))
      local by = {}
      for _, row in ipairs(a.dn_table) do by[row.phone_numbers] = row end
      assert.same({ U1, "Normal" }, { by["+1-3015550100"].user_id, by["+1-3015550100"].user_type })
      assert.same({ "hg@example.net", "Hunt Group", "0101", "Sales", "Hunt Group" }, { by["+1-3015550101"].user_id,
        by["+1-3015550101"].user_type, by["+1-3015550101"].extension, by["+1-3015550101"].last_name,
        by["+1-3015550101"].first_name })
      assert.is_nil(by["+1-3015550102"].user_id)
      local old = ok(c:GroupDnGetAssignmentListRequest(in_group {}))
      assert.equal(#a.dn_table, #old.dn_table)
      local f = ok(c:GroupDnGetAssignmentListRequest18(in_group { search_criteria_dn = { {
        mode = "Equal To", value = "3015550101", is_case_insensitive = false } } }))
      assert.same({ "hg@example.net" }, ids(f.dn_table))

      -- numbers in use cannot be unassigned; free ones can
      assert.equal(4224, code(c:GroupDnUnassignListRequest(in_group { phone_number = { "3015550100" } })))
      ok(c:GroupDnUnassignListRequest(in_group { phone_number = { "3015550102" } }))
      assert.equal(4224, code(c:ServiceProviderDnDeleteListRequest { service_provider_id = SP,
        phone_number = { "3015550100" } }))
      ok(c:ServiceProviderDnDeleteListRequest { service_provider_id = SP, phone_number = { "3015550102" } })
      assert.same({ "3015550103", "3015550104" },
        ok(c:ServiceProviderDnGetAvailableListRequest { service_provider_id = SP }).available_dn)
      assert.equal(4006, code(c:ServiceProviderDnGetAvailableListRequest { service_provider_id = "nope" }))
    end)
  end)
end)

describe("ocip sim state file", function()
  it("keeps every entity and setting across a save and a load", function()
    local path = os.tmpname()
    os.remove(path) -- absent: the first simulator starts seeded and writes it on stop
    local before = {}
    local function snapshot(c)
      local out = {}
      out[1] = ok(c:UserGetRequest23V2 { user_id = U1 })
      out[2] = ok(c:GroupHuntGroupGetInstanceRequest20 { service_user_id = "hg@example.net" })
      out[3] = ok(c:GroupCallPickupGetInstanceRequest(in_group { name = "P" }))
      out[4] = ok(c:UserCallForwardingAlwaysGetRequest { user_id = U2 })
      out[5] = ok(c:GroupAccessDeviceGetRequest24V3(in_group { device_name = "d1" }))
      out[6] = ok(c:UserServiceGetAssignmentListRequest { user_id = U1 })
      out[7] = ok(c:GroupExtensionLengthGetRequest17(in_group {}))
      out[8] = ok(c:GroupDnGetAssignmentListRequest18(in_group {}))
      return out
    end
    T.with_client({ users = 3, state_file = path }, function(c)
      ok(c:GroupAccessDeviceAddRequest22V2(in_group { device_name = "d1", device_type = "Yealink T46S",
        description = "desk" }))
      ok(c:UserModifyRequest22 { user_id = U1, endpoint = { access_device_endpoint = {
        access_device = { device_level = "Group", device_name = "d1" }, line_port = "u1@example.net" } } })
      ok(c:GroupHuntGroupAddInstanceRequest20(in_group { service_user_id = "hg@example.net",
        service_instance_profile = { name = "HG", calling_line_id_last_name = "H",
          calling_line_id_first_name = "G", phone_number = "2025557100" }, agent_user_id = { U1, U3 },
        policy = "Uniform", hunt_after_no_answer = false, no_answer_number_of_rings = 3,
        forward_after_timeout = false, forward_timeout_seconds = 30,
        allow_call_waiting_for_agents = false, use_system_hunt_group_clid_setting = true,
        include_hunt_group_name_in_clid = true, enable_not_reachable_forwarding = false,
        make_busy_when_not_reachable = false, allow_members_to_control_group_busy = false,
        enable_group_busy = false, apply_group_busy_when_terminating_to_agent = false }))
      ok(c:GroupCallPickupAddInstanceRequest(in_group { name = "P", user_id = { U2 } }))
      ok(c:UserCallForwardingAlwaysModifyRequest { user_id = U2, is_active = true,
        forward_to_phone_number = "2025550150" })
      ok(c:UserServiceAssignListRequest { user_id = U1, service_name = { "Call Waiting" },
        service_pack_name = { "Basic" } })
      ok(c:GroupExtensionLengthModifyRequest17(in_group { min_extension_length = 3,
        max_extension_length = 5, default_extension_length = 4 }))
      before = snapshot(c)
    end)
    T.with_client({ users = 0, state_file = path }, function(c)
      assert.same(before, snapshot(c))
      assert.equal(4223, code(c:UserModifyRequest22 { user_id = U2, phone_number = "2025557100" }))
    end)
    os.remove(path)
  end)
end)
