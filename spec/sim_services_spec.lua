-- Hunt groups, call centers and auto attendants in the simulator through the real
-- client: Add / Get (newest and older versions) / Modify / Delete / lists, agents,
-- menus, numbers and the server's errors.
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

local function profile(name, extra)
  local p = { name = name, calling_line_id_last_name = name, calling_line_id_first_name = "Line" }
  for k, v in pairs(extra or {}) do p[k] = v end
  return p
end

local function hunt_group(uid, extra)
  local o = in_group { service_user_id = uid, service_instance_profile = profile("Sales"),
    policy = "Circular", hunt_after_no_answer = true, no_answer_number_of_rings = 3,
    forward_after_timeout = false, forward_timeout_seconds = 30,
    allow_call_waiting_for_agents = false, use_system_hunt_group_clid_setting = true,
    include_hunt_group_name_in_clid = true, enable_not_reachable_forwarding = false,
    make_busy_when_not_reachable = false, allow_members_to_control_group_busy = false,
    enable_group_busy = false, apply_group_busy_when_terminating_to_agent = false }
  for k, v in pairs(extra or {}) do o[k] = v end
  return o
end

local function call_center(uid, extra)
  local o = in_group { service_user_id = uid,
    service_instance_profile = profile("Support", { password = "Cc-pw-1234" }), type = "Premium", policy = "Regular", enable_video = false, queue_length = 10,
    allow_caller_to_dial_escape_digit = true, escape_digit = "0",
    reset_call_statistics_upon_entry_in_queue = true, allow_agent_logoff = true,
    allow_call_waiting_for_agents = false, external_preferred_audio_codec = "None",
    internal_preferred_audio_codec = "None", play_ringing_when_offering_call = true }
  for k, v in pairs(extra or {}) do o[k] = v end
  return o
end

local function menu(keys)
  return { announcement_selection = "Default", enable_first_menu_level_extension_dialing = true,
    key_configuration = keys }
end

local function auto_attendant(uid, extra)
  local o = in_group { service_user_id = uid, service_instance_profile = profile("Main"),
    type = "Standard", first_digit_timeout_seconds = 5, enable_video = false,
    extension_dialing_scope = "Group", name_dialing_scope = "Group",
    name_dialing_entries = "LastName + FirstName",
    business_hours_menu = menu {
      { key = "0", entry = { description = "Operator", action = "Transfer To Operator",
        phone_number = "2025550100" } },
      { key = "1", entry = { description = "Sales", action = "Transfer Without Prompt",
        phone_number = "2025557100" } },
    },
    after_hours_menu = menu {
      { key = "#", entry = { action = "Repeat Menu" } },
    } }
  for k, v in pairs(extra or {}) do o[k] = v end
  return o
end

local function ids(rows, key)
  local out = {}
  for i, r in ipairs(rows) do out[i] = r[key or "user_id"] end
  return out
end

describe("ocip sim hunt groups", function()
  it("Add / Get (every version) / Modify / list / agents / Delete", function()
    T.with_client({ users = 4 }, function(c)
      local add = hunt_group("hg@example.net", { agent_user_id = { U1, U2 },
        service_instance_profile = profile("Sales", { phone_number = "2025557100", extension = "7100",
          alias = { "sales@example.net" } }) })
      ok(c:GroupHuntGroupAddInstanceRequest20(add))
      assert.equal(4010, code(c:GroupHuntGroupAddInstanceRequest20(add)))
      assert.equal(4010, code(c:GroupHuntGroupAddInstanceRequest20(hunt_group(U1))))
      local g = ok(c:GroupHuntGroupGetInstanceRequest20 { service_user_id = "hg@example.net" })
      roundtrip(add, g)
      assert.same({ U1, U2 }, ids(g.agent_user_table))
      assert.equal("+1-2025550001", g.agent_user_table[1].phone_number)
      for _, v in ipairs { "GroupHuntGroupGetInstanceRequest19sp1", "GroupHuntGroupGetInstanceRequest17sp4",
        "GroupHuntGroupGetInstanceRequest14" } do
        local o = ok(c:command(ocip.commands[v] { service_user_id = "hg@example.net" }))
        assert.equal(v:gsub("Request", "Response"), o._type)
        assert.equal("Sales", o.service_instance_profile.name)
        assert.same({ U1, U2 }, ids(o.agent_user_table))
      end
      -- errors: agent, number, extension, group
      assert.equal(4008, code(c:GroupHuntGroupAddInstanceRequest20(hunt_group("hg2@example.net",
        { agent_user_id = { "ghost@example.net" } }))))
      assert.equal(4223, code(c:GroupHuntGroupAddInstanceRequest20(hunt_group("hg2@example.net",
        { service_instance_profile = profile("X", { phone_number = "2025557100" }) }))))
      assert.equal(4909, code(c:GroupHuntGroupAddInstanceRequest20(hunt_group("hg2@example.net",
        { service_instance_profile = profile("X", { extension = "1" .. "23456789" }) }))))
      local bad = hunt_group("hg2@example.net")
      bad.group_id = "nope"
      assert.equal(4152, code(c:GroupHuntGroupAddInstanceRequest20(bad)))
      ok(c:GroupHuntGroupAddInstanceRequest17sp4 { service_provider_id = SP, group_id = G,
        service_user_id = "hg-old@example.net", service_instance_profile = profile("Old"),
        policy = "Simultaneous", hunt_after_no_answer = false, no_answer_number_of_rings = 5,
        forward_after_timeout = false, forward_timeout_seconds = 0,
        allow_call_waiting_for_agents = true, use_system_hunt_group_clid_setting = true,
        include_hunt_group_name_in_clid = false, enable_not_reachable_forwarding = false,
        make_busy_when_not_reachable = false })

      -- Modify: partial profile, replaced agent list, aliases, nil
      ok(c:GroupHuntGroupModifyInstanceRequest { service_user_id = "hg@example.net",
        policy = "Weighted", service_instance_profile = { name = "Sales Team",
          extension = "7101", sip_alias_list = { sip_alias = { "team@example.net" } } },
        agent_user_id_list = { user_id = { U3, U1 } }, forward_to_phone_number = "2025550999" })
      g = ok(c:GroupHuntGroupGetInstanceRequest20 { service_user_id = "hg@example.net" })
      assert.equal("Weighted", g.policy)
      assert.same({ "Sales Team", "Sales", "7101", "2025557100" }, { g.service_instance_profile.name,
        g.service_instance_profile.calling_line_id_last_name, g.service_instance_profile.extension,
        g.service_instance_profile.phone_number })
      assert.same({ "team@example.net" }, g.service_instance_profile.alias)
      assert.same({ U3, U1 }, ids(g.agent_user_table))
      assert.equal("2025550999", g.forward_to_phone_number)
      ok(c:GroupHuntGroupModifyInstanceRequest { service_user_id = "hg@example.net",
        agent_user_id_list = ocip.NIL, forward_to_phone_number = ocip.NIL })
      g = ok(c:GroupHuntGroupGetInstanceRequest20 { service_user_id = "hg@example.net" })
      assert.equal(0, #g.agent_user_table)
      assert.is_nil(g.forward_to_phone_number)
      ok(c:GroupHuntGroupModifyInstanceRequest { service_user_id = "hg@example.net",
        agent_user_id_list = { user_id = { U2 } } })

      local l = ok(c:GroupHuntGroupGetInstanceListRequest(in_group {}))
      assert.same({ "hg@example.net", "hg-old@example.net" }, ids(l.hunt_group_table, "service_user_id"))
      local row = l.hunt_group_table[1]
      assert.same({ "Sales Team", "+1-2025557100", "7101", "Weighted" },
        { row.name, row.phone_number, row.extension, row.policy })
      local avail = ok(c:GroupHuntGroupGetAvailableUserListRequest(in_group {}))
      assert.equal(4, #avail.user_table)

      -- a deleted user leaves the agent list; a deleted hunt group frees its number
      ok(c:UserDeleteRequest { user_id = U2 })
      assert.equal(0, #ok(c:GroupHuntGroupGetInstanceRequest20 { service_user_id = "hg@example.net" })
        .agent_user_table)
      ok(c:GroupHuntGroupDeleteInstanceRequest { service_user_id = "hg@example.net" })
      assert.equal(4008, code(c:GroupHuntGroupGetInstanceRequest20 { service_user_id = "hg@example.net" }))
      assert.equal(4008, code(c:GroupHuntGroupDeleteInstanceRequest { service_user_id = "hg@example.net" }))
      ok(c:UserModifyRequest22 { user_id = U1, phone_number = "2025557100" })
      -- the kind matters: a hunt group is not a call center
      assert.equal(4008, code(c:GroupCallCenterGetInstanceRequest22 { service_user_id = "hg-old@example.net" }))
    end)
  end)
end)

describe("ocip sim call centers", function()
  it("Add / Get / Modify / agent lists (add, replace, skills, delete) / list / Delete", function()
    T.with_client({ users = 4 }, function(c)
      local add = call_center("cc@example.net", { routing_type = "Skill Based",
        service_instance_profile = profile("Support", { phone_number = "2025557200", extension = "7200",
          password = "Cc-pw-1234" }) })
      ok(c:GroupCallCenterAddInstanceRequest22(add))
      assert.equal(4010, code(c:GroupCallCenterAddInstanceRequest22(add)))
      local g = ok(c:GroupCallCenterGetInstanceRequest22 { service_user_id = "cc@example.net" })
      roundtrip(add, g)
      for _, v in ipairs { "GroupCallCenterGetInstanceRequest19", "GroupCallCenterGetInstanceRequest17" } do
        local o = ok(c:command(ocip.commands[v] { service_user_id = "cc@example.net" }))
        assert.equal(v:gsub("Request", "Response"), o._type)
        assert.equal("Support", o.service_instance_profile.name)
      end

      ok(c:GroupCallCenterAddAgentListRequest { service_user_id = "cc@example.net",
        agent_user_id = { U1, U2 } })
      ok(c:GroupCallCenterAddAgentListRequest { service_user_id = "cc@example.net",
        agent_skill_list = { { skill_level = 5, agent = { U3 } } } })
      local a = ok(c:GroupCallCenterGetAgentListRequest { service_user_id = "cc@example.net" })
      assert.same({ U1, U2, U3 }, ids(a.agent_table))
      assert.equal("5", a.agent_table[3].skill_level)
      assert.is_string(a.agent_table[1].last_name)
      assert.equal(4008, code(c:GroupCallCenterAddAgentListRequest { service_user_id = "cc@example.net",
        agent_user_id = { "ghost@example.net" } }))
      -- the agent's side: its call centers and its own settings
      ok(c:UserCallCenterModifyRequest19 { user_id = U3, agent_acd_state = "Wrap-Up",
        use_default_guard_timer = false })
      local mine = ok(c:UserCallCenterGetRequest23 { user_id = U3 })
      assert.same({ "Wrap-Up", false }, { mine.agent_acd_state, mine.use_default_guard_timer })
      assert.same({ service_user_id = "cc@example.net", phone_number = "+1-2025557200", extension = "7200",
        available = "true", logoff_allowed = "true", type = "Premium", priority = "1",
        routing_policy = "Skill Based", skill_level = "5" }, mine.call_center_table[1])
      assert.equal("cc@example.net", ok(c:UserCallCenterGetRequest { user_id = U3 }).user_table[1].service_user_id)
      assert.equal(0, #ok(c:UserCallCenterGetRequest23 { user_id = "user000004@example.net" }).call_center_table)
      a = ok(c:GroupCallCenterGetAgentListRequest { service_user_id = "cc@example.net",
        search_criteria_user_id = { { mode = "Contains", value = "0002", is_case_insensitive = true } } })
      assert.same({ U2 }, ids(a.agent_table))

      ok(c:GroupCallCenterModifyAgentListRequest { service_user_id = "cc@example.net",
        agent_user_id_list = { user_id = { U3, U1 } } })
      assert.same({ U3, U1 }, ids(ok(c:GroupCallCenterGetAgentListRequest {
        service_user_id = "cc@example.net" }).agent_table))
      ok(c:GroupCallCenterDeleteAgentListRequest { service_user_id = "cc@example.net", agent_user_id = { U3 } })
      assert.same({ U1 }, ids(ok(c:GroupCallCenterGetAgentListRequest {
        service_user_id = "cc@example.net" }).agent_table))
      ok(c:GroupCallCenterModifyAgentListRequest { service_user_id = "cc@example.net",
        agent_user_id_list = ocip.NIL })
      assert.equal(0, #ok(c:GroupCallCenterGetAgentListRequest { service_user_id = "cc@example.net" }).agent_table)
      assert.equal(4008, code(c:GroupCallCenterGetAgentListRequest { service_user_id = "nope@example.net" }))

      ok(c:GroupCallCenterModifyInstanceRequest22 { service_user_id = "cc@example.net", queue_length = 25,
        service_instance_profile = { phone_number = ocip.NIL } })
      g = ok(c:GroupCallCenterGetInstanceRequest22 { service_user_id = "cc@example.net" })
      assert.equal(25, g.queue_length)
      assert.is_nil(g.service_instance_profile.phone_number)
      assert.equal("7200", g.service_instance_profile.extension)
      local l = ok(c:GroupCallCenterGetInstanceListRequest(in_group {}))
      assert.same({ "cc@example.net", "Support", "Premium", "Regular" }, { l.call_center_table[1].service_user_id,
        l.call_center_table[1].name, l.call_center_table[1].type, l.call_center_table[1].policy })
      ok(c:GroupCallCenterDeleteInstanceRequest { service_user_id = "cc@example.net" })
      assert.equal(0, #ok(c:GroupCallCenterGetInstanceListRequest(in_group {})).call_center_table)
    end)
  end)
end)

describe("ocip sim auto attendants", function()
  it("Add with menus / Get (every version) / Modify menu keys / list / Delete", function()
    T.with_client({ users = 2 }, function(c)
      local add = auto_attendant("aa@example.net", {
        service_instance_profile = profile("Main", { phone_number = "2025557300", extension = "7300" }) })
      ok(c:GroupAutoAttendantAddInstanceRequest20(add))
      assert.equal(4010, code(c:GroupAutoAttendantAddInstanceRequest20(add)))
      local g = ok(c:GroupAutoAttendantGetInstanceRequest24 { service_user_id = "aa@example.net" })
      roundtrip(add, g)
      for _, v in ipairs { "GroupAutoAttendantGetInstanceRequest20", "GroupAutoAttendantGetInstanceRequest19sp1" } do
        local o = ok(c:command(ocip.commands[v] { service_user_id = "aa@example.net" }))
        assert.equal(v:gsub("Request", "Response"), o._type)
        assert.equal("Sales", o.business_hours_menu.key_configuration[2].entry.description)
      end
      -- a key changes, a key goes (nil entry), a key comes; the rest stays
      ok(c:GroupAutoAttendantModifyInstanceRequest20 { service_user_id = "aa@example.net",
        first_digit_timeout_seconds = 9, business_hours_menu = { key_configuration = {
          { key = "1", entry = { description = "Sales EU", action = "Transfer With Prompt",
            phone_number = "2025557101" } },
          { key = "0", entry = ocip.NIL },
          { key = "9", entry = { action = "Exit" } } } } })
      g = ok(c:GroupAutoAttendantGetInstanceRequest24 { service_user_id = "aa@example.net" })
      assert.equal(9, g.first_digit_timeout_seconds)
      local keys = g.business_hours_menu.key_configuration
      assert.same({ "1", "9" }, ids(keys, "key"))
      assert.same({ "Sales EU", "Transfer With Prompt", "2025557101" },
        { keys[1].entry.description, keys[1].entry.action, keys[1].entry.phone_number })
      assert.is_true(g.business_hours_menu.enable_first_menu_level_extension_dialing)
      assert.equal("Repeat Menu", g.after_hours_menu.key_configuration[1].entry.action)
      local l = ok(c:GroupAutoAttendantGetInstanceListRequest(in_group {}))
      assert.same({ "aa@example.net", "Main", "+1-2025557300", "7300", "Standard" },
        { l.auto_attendant_table[1].service_user_id, l.auto_attendant_table[1].name,
          l.auto_attendant_table[1].phone_number, l.auto_attendant_table[1].extension,
          l.auto_attendant_table[1].type })
      ok(c:GroupAutoAttendantDeleteInstanceRequest { service_user_id = "aa@example.net" })
      assert.equal(4008, code(c:GroupAutoAttendantGetInstanceRequest24 { service_user_id = "aa@example.net" }))
    end)
  end)
end)

describe("ocip sim service instance lookups", function()
  it("finds the owner of a number or extension: users and service instances, group to system", function()
    T.with_client({ users = 3 }, function(c)
      ok(c:GroupHuntGroupAddInstanceRequest20(hunt_group("hg@example.net", {
        service_instance_profile = profile("Sales", { phone_number = "2025557100", extension = "7100" }) })))
      ok(c:GroupCallCenterAddInstanceRequest22(call_center("cc@example.net", {
        service_instance_profile = profile("Support", { phone_number = "2025557200", extension = "7200",
          password = "Cc-pw-1234" }) })))
      local eq = function(v) return { { mode = "Equal To", value = v, is_case_insensitive = false } } end
      local s = ok(c:UserGetServiceInstanceListInSystemRequest { search_criteria_dn = eq("2025557200") })
      assert.equal(1, #s.service_instance_table)
      assert.same({ "cc@example.net", "Call Center", "g1", "sp1", "7200" }, { s.service_instance_table[1].user_id,
        s.service_instance_table[1].service_type, s.service_instance_table[1].group_id,
        s.service_instance_table[1].service_provider_id, s.service_instance_table[1].extension })
      s = ok(c:UserGetServiceInstanceListInServiceProviderRequest { service_provider_id = SP,
        search_criteria_extension = eq("7100") })
      assert.same({ "hg@example.net" }, ids(s.service_instance_table))
      s = ok(c:UserGetServiceInstanceListInSystemRequest { search_criteria_exact_service_type = {
        service_type = "Hunt Group" } })
      assert.same({ "hg@example.net" }, ids(s.service_instance_table))
      local u = ok(c:UserGetListInSystemRequest { search_criteria_extension = eq("0002") })
      assert.same({ U2 }, ids(u.user_table))
      local gl = ok(c:GroupGetListInSystemRequest {})
      assert.same({ group_id = "g1", group_name = "Group 1", user_limit = "1000", organization_id = "sp1",
        organization_type = "Enterprise" }, gl.group_table[1])
    end)
  end)
end)
