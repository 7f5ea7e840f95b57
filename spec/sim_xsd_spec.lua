-- Every response the simulator can produce validates against the R25 XSDs:
-- the generic answer of every request of the catalog, the stateful handlers'
-- answers, login answers and ErrorResponses (sim_raw checks every document the
-- other sim specs receive, too).
local ocip = require "ocip"
local core = ocip.core
local S = require "spec.support.sim_raw"

local function need_xsd()
  if S.have_xsd then return true end
  if os.getenv("CI") == "true" then error("XSD schema directory missing") end
  pending("XSD schema directory missing")
end

describe("ocip sim responses", function()
  it("answer every request of the catalog with a schema-valid response", function()
    if not need_xsd() then return end
    local generic = require "ocip.sim.generic"
    local respond = require "ocip.sim.respond"
    local names = core.catalog_requests()
    assert.is_true(#names > 3000)
    local bad = {}
    for i, name in ipairs(names) do
      local doc = respond.document("sid", { respond.command(generic.answer(name), "e" .. i) })
      local ok, msg = pcall(S.check_xsd, doc)
      if not ok then bad[#bad + 1] = name .. ": " .. tostring(msg):sub(1, 200) end
    end
    assert.same({}, bad)
  end)

  it("validate for the stateful handlers, logins and errors", function()
    if not need_xsd() then return end
    local before = S.validated
    S.with_sim({ users = 30 }, function(sim)
      local c = assert(S.connect(sim))
      c:call("AuthenticationRequest", { user_id = "admin" })
      c:login()
      local base = { service_provider_id = "sp1", group_id = "g1" }
      local calls = {
        { "UserGetRequest22", { user_id = "user000001@example.net" } },
        { "UserGetRequest23", { user_id = "user000002@example.net" } },
        { "UserGetRequest23V2", { user_id = "user000003@example.net" } },
        { "UserGetListInGroupRequest", base },
        { "UserGetListInServiceProviderRequest", { service_provider_id = "sp1" } },
        { "UserGetListInSystemRequest", { response_size_limit = 5 } },
        { "GroupGetRequest22V5", base },
        { "GroupGetListInServiceProviderRequest", { service_provider_id = "sp1" } },
        { "ServiceProviderGetRequest22V4", { service_provider_id = "sp1" } },
        { "ServiceProviderGetListRequest", {} },
        { "GroupAccessDeviceGetListRequest", base },
        { "GroupHuntGroupGetInstanceListRequest", base },
        { "GroupCallCenterGetInstanceListRequest", base },
        { "GroupAutoAttendantGetInstanceListRequest", base },
        { "GroupCallPickupGetInstanceListRequest", base },
        { "GroupDepartmentGetListRequest18", { service_provider_id = "sp1", group_id = "g1",
          include_enterprise_departments = true } },
        { "GroupAdminGetListRequest", base },
        { "GroupDnGetListRequest", base },
        { "UserGetRequest23V2", { user_id = "missing@example.net" } },
      }
      for _, cl in ipairs(calls) do
        local r = c:call(cl[1], cl[2])
        assert.is_table(r, cl[1])
      end
      assert.equal("SuccessResponse", c:call("GroupAccessDeviceAddRequest22V2", {
        service_provider_id = "sp1", group_id = "g1", device_name = "d1",
        device_type = "Generic SIP Phone" })._type)
      for _, v in ipairs { "GroupAccessDeviceGetRequest22V5", "GroupAccessDeviceGetRequest24V3" } do
        local r = c:call(v, { service_provider_id = "sp1", group_id = "g1", device_name = "d1" })
        assert.equal(v:gsub("Request", "Response"), r._type)
      end
      c:close()
      local d = assert(S.connect(sim))
      d:login("admin", "nope")
      d:close()
    end)
    assert.is_true(S.validated - before >= 22)
  end)

  it("validate for every version of the entities' Gets and lists, with state behind them", function()
    if not need_xsd() then return end
    local catalog = require "ocip.catalog"
    local schema = require "ocip.sim.schema"
    local before = S.validated
    S.with_sim({ users = 4 }, function(sim)
      local c = assert(S.connect(sim))
      c:login()
      local function must(name, fields)
        local r = c:call(name, fields)
        assert.is_table(r, name)
        assert.are_not.equal("ErrorResponse", r._type, name .. ": " .. tostring(r.summary))
        return r
      end
      local g = { service_provider_id = "sp1", group_id = "g1" }
      local function grp(t) for k, v in pairs(g) do t[k] = v end return t end
      local profile = { name = "P", calling_line_id_last_name = "P", calling_line_id_first_name = "Q",
        phone_number = "2025557100", extension = "7100", alias = { "p@example.net" } }
      must("GroupDepartmentAddRequest", grp { department_name = "Sales" })
      must("GroupAccessDeviceAddRequest22V2", grp { device_name = "d1", device_type = "Polycom VVX 400",
        mac_address = "001122334455", description = "desk" })
      must("UserModifyRequest22", { user_id = "user000001@example.net", title = "Dr",
        department = { _type = "GroupDepartmentKey", service_provider_id = "sp1", group_id = "g1", name = "Sales" },
        sip_alias_list = { sip_alias = { "one@example.net" } },
        endpoint = { access_device_endpoint = { access_device = { device_level = "Group", device_name = "d1" },
          line_port = "one@example.net" } } })
      must("GroupHuntGroupAddInstanceRequest20", grp { service_user_id = "hg@example.net",
        service_instance_profile = profile, policy = "Weighted", hunt_after_no_answer = false,
        no_answer_number_of_rings = 3, forward_after_timeout = false, forward_timeout_seconds = 30,
        agent_user_id = { "user000001@example.net", "user000002@example.net" },
        allow_call_waiting_for_agents = false, use_system_hunt_group_clid_setting = true,
        include_hunt_group_name_in_clid = true, enable_not_reachable_forwarding = false,
        make_busy_when_not_reachable = false, allow_members_to_control_group_busy = false,
        enable_group_busy = false, apply_group_busy_when_terminating_to_agent = false })
      local ccp = { name = "C", calling_line_id_last_name = "C", calling_line_id_first_name = "C",
        password = "Cc-pw-1234", phone_number = "2025557200", extension = "7200" }
      must("GroupCallCenterAddInstanceRequest22", grp { service_user_id = "cc@example.net",
        service_instance_profile = ccp, type = "Premium", routing_type = "Skill Based", policy = "Regular",
        enable_video = false, queue_length = 10, allow_caller_to_dial_escape_digit = true,
        escape_digit = "0", reset_call_statistics_upon_entry_in_queue = true, allow_agent_logoff = true,
        allow_call_waiting_for_agents = false, external_preferred_audio_codec = "G722",
        internal_preferred_audio_codec = "None", play_ringing_when_offering_call = true })
      must("GroupCallCenterAddAgentListRequest", { service_user_id = "cc@example.net",
        agent_skill_list = { { skill_level = 3, agent = { "user000003@example.net" } } } })
      local menu = { announcement_selection = "Default", enable_first_menu_level_extension_dialing = false,
        key_configuration = { { key = "0", entry = { action = "Transfer To Operator",
          phone_number = "2025550100" } }, { key = "*", entry = { action = "Repeat Menu" } } } }
      must("GroupAutoAttendantAddInstanceRequest20", grp { service_user_id = "aa@example.net",
        service_instance_profile = { name = "A", calling_line_id_last_name = "A",
          calling_line_id_first_name = "A", phone_number = "2025557300" }, type = "Standard",
        first_digit_timeout_seconds = 5, enable_video = false, extension_dialing_scope = "Group",
        name_dialing_scope = "Group", name_dialing_entries = "LastName + FirstName",
        business_hours_menu = menu, after_hours_menu = menu })
      must("GroupCallPickupAddInstanceRequest", grp { name = "P1", user_id = { "user000004@example.net" } })
      must("GroupAdminAddRequest", grp { user_id = "ga@example.net", last_name = "A", password = "Ga-pw-1234" })
      must("GroupAdminModifyPolicyRequest", { user_id = "ga@example.net", profile_access = "Read-Only" })
      must("UserServiceAssignListRequest", { user_id = "user000001@example.net",
        service_name = { "Call Waiting" }, service_pack_name = { "Pack" } })
      must("UserCallForwardingAlwaysModifyRequest", { user_id = "user000001@example.net",
        is_active = true, forward_to_phone_number = "2025550150" })
      must("ServiceProviderServicePackAddRequest", { service_provider_id = "sp1", service_pack_name = "Pack",
        is_available_for_use = true, service_pack_quantity = { quantity = 10 }, service_name = { "Call Waiting" } })
      must("ServiceProviderDnAddListRequest", { service_provider_id = "sp1", phone_number = { "3015550100" } })
      must("GroupDnAssignListRequest", grp { phone_number = { "3015550100" } })

      -- every version of each family, with the fields it takes out of these
      local keys = { service_provider_id = "sp1", group_id = "g1", user_id = "user000001@example.net",
        device_name = "d1", department_name = "Sales", name = "P1", include_enterprise_departments = true,
        call_center_type = "Premium", service_name = "Call Waiting", service_pack_name = "Pack" }
      local families = {
        { "UserGetRequest23V2" }, { "GroupAccessDeviceGetRequest24V3" },
        { "GroupAccessDeviceGetUserListRequest21sp1" },
        { "GroupHuntGroupGetInstanceRequest20", { service_user_id = "hg@example.net" } },
        { "GroupCallCenterGetInstanceRequest22", { service_user_id = "cc@example.net" } },
        { "GroupAutoAttendantGetInstanceRequest24", { service_user_id = "aa@example.net" } },
        { "GroupCallCenterGetAgentListRequest", { service_user_id = "cc@example.net" } },
        { "GroupAdminGetRequest22V3", { user_id = "ga@example.net" } },
        { "GroupAdminGetPolicyRequest20", { user_id = "ga@example.net" } },
        { "GroupDepartmentGetRequest" }, { "GroupDepartmentGetListRequest18" },
        { "GroupCallPickupGetInstanceRequest" }, { "GroupCallPickupGetAvailableUserListRequest" },
        { "GroupHuntGroupGetAvailableUserListRequest" }, { "GroupCallCenterGetAvailableAgentListRequest" },
        { "GroupDnGetAssignmentListRequest18" }, { "GroupDnGetAvailableListRequest" },
        { "GroupDnGetSummaryListRequest" }, { "ServiceProviderDnGetAvailableListRequest" },
        { "UserServiceGetAssignmentListRequest" }, { "UserServiceIsAssignedRequest", { service_pack_name = false } },
        { "UserCallForwardingAlwaysGetRequest" }, { "UserCallForwardingNoAnswerGetRequest13mp16" },
        { "UserGetServiceInstanceListInSystemRequest" },
        { "UserGetServiceInstanceListInServiceProviderRequest" }, { "GroupGetListInSystemRequest" },
        { "GroupHuntGroupGetInstanceListRequest" }, { "GroupCallCenterGetInstanceListRequest" },
        { "GroupAutoAttendantGetInstanceListRequest" }, { "GroupExtensionLengthGetRequest17" },
        { "UserCallCenterGetRequest23", { user_id = "user000003@example.net" } },
        { "UserCallCenterGetListRequest", { user_id = "user000003@example.net" } },
        { "UserCallPickupGetRequest", { user_id = "user000004@example.net" } },
        { "ServiceProviderServicePackGetListRequest" }, { "ServiceProviderServicePackGetDetailListRequest" },
      }
      local n = 0
      for _, f in ipairs(families) do
        local _, versions = catalog.family(f[1])
        for _, v in ipairs(versions) do
          local plan = schema.plan(v)
          local fields = {}
          for k, val in pairs(keys) do if plan.by_snake[k] then fields[k] = val end end
          for k, val in pairs(f[2] or {}) do fields[k] = val or nil end
          must(v, fields)
          n = n + 1
        end
      end
      assert.is_true(n > 90, n)
      c:close()
    end, 60)
    assert.is_true(S.validated - before > 100)
  end)

  it("keeps its own column headings only for OCITables the catalog has no hint for", function()
    local schema = require "ocip.sim.schema"
    local n = 0
    for key, heads in pairs(require "ocip.sim.columns") do
      local tname, elem = key:match("^(.-)%.(.*)$")
      local plan = schema.plan(tname)
      local e = plan and plan.by_name[elem]
      assert.is_true(e ~= nil and e.table, key)
      assert.is_nil(e.columns, key .. ": the catalog has a hint")
      assert.is_true(#heads > 0, key)
      n = n + 1
    end
    assert.is_true(n >= 20)
  end)
end)
