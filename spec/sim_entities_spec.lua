-- The simulator's entities through the real client: what an Add or Modify sets,
-- the matching Get returns (every field of the request the response has), in the
-- newest and the common older versions, with the server's not-found and
-- already-exists errors.
local ocip = require "ocip"
local T = require "spec.support.sim_client"

local code, ok, roundtrip = T.code, T.ok, T.roundtrip
local SP, G = "sp1", "g1"

local function in_group(t)
  local o = { service_provider_id = SP, group_id = G }
  for k, v in pairs(t) do o[k] = v end
  return o
end

local function device_add(name, extra)
  local o = in_group { device_name = name, device_type = "Polycom VVX 400" }
  for k, v in pairs(extra or {}) do o[k] = v end
  return o
end

local function user_add(uid, extra)
  local o = in_group { user_id = uid, last_name = "Lovelace", first_name = "Ada",
    calling_line_id_last_name = "Lovelace", calling_line_id_first_name = "Ada",
    password = "Pw-12345678" }
  for k, v in pairs(extra or {}) do o[k] = v end
  return o
end

describe("ocip sim users", function()
  it("Add / Get (every version) / Modify / Delete round trip, devices and numbers checked", function()
    T.with_client({ users = 3 }, function(c)
      ok(c:GroupAccessDeviceAddRequest22V2(device_add("ada-phone")))
      local add = user_add("ada@example.net", {
        phone_number = "2025557001", extension = "7001", calling_line_id_phone_number = "2025557001",
        alias = { "ada.l@example.net", "ada@alias.example.net" }, title = "Countess",
        email_address = "ada@example.net", mobile_phone_number = "2025550199",
        address = { address_line1 = "12 St James's Square", city = "London", country = "UK" },
        access_device_endpoint = { access_device = { device_level = "Group", device_name = "ada-phone" },
          line_port = "ada_1@example.net", use_hotline = false },
        language = "English", time_zone = "Europe/London",
      })
      ok(c:UserAddRequest22V2(add))
      assert.equal(4010, code(c:UserAddRequest22V2(add)))
      local got = ok(c:UserGetRequest23V2 { user_id = "ada@example.net" })
      roundtrip(add, got)
      assert.equal(SP, got.service_provider_id)
      assert.equal("ada@example.net", got.default_alias)
      for _, v in ipairs { "UserGetRequest22", "UserGetRequest22V5", "UserGetRequest21sp1",
        "UserGetRequest19", "UserGetRequest17sp4" } do
        local r = ok(c:command(ocip.commands[v] { user_id = "ada@example.net" }))
        assert.equal(v:gsub("Request", "Response"), r._type)
        assert.equal("Lovelace", r.last_name)
        assert.equal("2025557001", r.phone_number)
      end

      -- the server's rules: extension digits and length, device exists, number free
      local bad = user_add("bad@example.net", { extension = "1234567" })
      assert.equal(4909, code(c:UserAddRequest22V2(bad)))
      bad.extension, bad.access_device_endpoint = nil, { access_device = { device_level = "Group",
        device_name = "ghost" }, line_port = "bad@example.net", use_hotline = false }
      local r, err = c:UserAddRequest22V2(bad)
      assert.equal(4505, code(r, err))
      assert.equal("[Error 4505] Access Device not found: ghost", err.summary)
      bad.access_device_endpoint, bad.phone_number = nil, "2025557001"
      assert.equal(4223, code(c:UserAddRequest22V2(bad)))
      bad.phone_number, bad.group_id = nil, "nope"
      r, err = c:UserAddRequest22V2(bad)
      assert.equal(4152, code(r, err))
      assert.equal("[Error 4152] Group not found: sp1:nope", err.summary)

      -- Modify: fields replace, nil clears, replacement lists replace, endpoint merges
      ok(c:GroupAccessDeviceAddRequest22V2(device_add("ada-desk")))
      local mod = { user_id = "ada@example.net", last_name = "King", title = ocip.NIL,
        extension = "7101", phone_number = "2025557002",
        sip_alias_list = { sip_alias = { "countess@example.net" } },
        endpoint = { access_device_endpoint = { access_device = { device_level = "Group",
          device_name = "ada-desk" } } } }
      ok(c:UserModifyRequest22(mod))
      got = ok(c:UserGetRequest23V2 { user_id = "ada@example.net" })
      assert.equal("King", got.last_name)
      assert.is_nil(got.title)
      assert.equal("7101", got.extension)
      assert.equal("2025557002", got.phone_number)
      assert.same({ "countess@example.net" }, got.alias)
      assert.equal("ada-desk", got.access_device_endpoint.access_device.device_name)
      assert.equal("ada_1@example.net", got.access_device_endpoint.line_port)
      assert.equal("Ada", got.first_name)
      assert.equal(4909, code(c:UserModifyRequest22 { user_id = "ada@example.net", extension = "7x" }))
      assert.equal(4505, code(c:UserModifyRequest22 { user_id = "ada@example.net", endpoint = {
        access_device_endpoint = { access_device = { device_level = "Group", device_name = "nope" } } } }))
      assert.equal(4223, code(c:UserModifyRequest22 { user_id = "ada@example.net",
        phone_number = "2025550001" })) -- user000001's number
      ok(c:UserModifyRequest22 { user_id = "ada@example.net", endpoint = ocip.NIL, phone_number = ocip.NIL })
      got = ok(c:UserGetRequest23V2 { user_id = "ada@example.net" })
      assert.is_nil(got.access_device_endpoint)
      assert.is_nil(got.phone_number)
      assert.equal(4008, code(c:UserModifyRequest22 { user_id = "ghost@example.net", last_name = "x" }))

      ok(c:UserDeleteRequest { user_id = "ada@example.net" })
      r, err = c:UserGetRequest23V2 { user_id = "ada@example.net" }
      assert.equal(4008, code(r, err))
      assert.equal("[Error 4008] User not found: ada@example.net", err.summary)
    end)
  end)

  it("assigns services and service packs and lists the assignment", function()
    T.with_client({ users = 2 }, function(c)
      local uid = "user000001@example.net"
      local pack = { service_provider_id = "sp1", service_pack_name = "Premium Pack",
        service_pack_description = "All of it", is_available_for_use = true,
        service_pack_quantity = { unlimited = true }, service_name = { "Call Waiting", "Three-Way Call" } }
      ok(c:ServiceProviderServicePackAddRequest(pack))
      assert.equal(4010, code(c:ServiceProviderServicePackAddRequest(pack)))
      assert.same({ "Premium Pack" }, ok(c:ServiceProviderServicePackGetListRequest {
        service_provider_id = "sp1" }).service_pack_name)
      local d = ok(c:ServiceProviderServicePackGetDetailListRequest { service_provider_id = "sp1",
        service_pack_name = "Premium Pack" })
      roundtrip(pack, d)
      assert.same({ "Call Waiting", "Three-Way Call" }, (function()
        local o = {} for i, r in ipairs(d.user_service_table) do o[i] = r.service end return o end)())
      ok(c:UserServiceAssignListRequest { user_id = uid, service_name = { "Call Forwarding Always",
        "Three-Way Call", "Hoteling Guest" }, service_pack_name = { "Premium Pack" } })
      local l = ok(c:UserServiceGetAssignmentListRequest { user_id = uid })
      local assigned = {}
      for _, row in ipairs(l.user_services_assignment_table) do
        if row.assigned == "true" then assigned[#assigned + 1] = row.service_name end
      end
      assert.same({ "Call Forwarding Always", "Hoteling Guest", "Three-Way Call" }, assigned)
      assert.same({ service_pack_name = "Premium Pack", assigned = "true", description = "All of it" },
        l.service_packs_assignment_table[1])
      assert.is_true(ok(c:UserServiceIsAssignedRequest { user_id = uid,
        service_name = "Three-Way Call" }).is_assigned)
      ok(c:UserServiceUnassignListRequest { user_id = uid, service_name = { "Three-Way Call" },
        service_pack_name = { "Premium Pack" } })
      l = ok(c:UserServiceGetAssignmentListRequest { user_id = uid })
      for _, row in ipairs(l.user_services_assignment_table) do
        if row.service_name == "Three-Way Call" then assert.equal("false", row.assigned) end
      end
      assert.same({ service_pack_name = "Premium Pack", assigned = "false", description = "All of it" },
        l.service_packs_assignment_table[1])
      ok(c:ServiceProviderServicePackDeleteRequest { service_provider_id = "sp1", service_pack_name = "Premium Pack" })
      assert.equal(4009, code(c:ServiceProviderServicePackDeleteRequest { service_provider_id = "sp1",
        service_pack_name = "Premium Pack" }))
      assert.equal(0, #ok(c:UserServiceGetAssignmentListRequest { user_id = uid }).service_packs_assignment_table)
      assert.equal(4008, code(c:UserServiceAssignListRequest { user_id = "ghost@example.net",
        service_name = { "Three-Way Call" } }))
    end)
  end)

  it("keeps call forwarding and other settings of one owner (Modify, then Get)", function()
    T.with_client({ users = 2 }, function(c)
      local uid = "user000002@example.net"
      local cfa = { user_id = uid, is_active = true, forward_to_phone_number = "2025550150",
        is_ring_splash_active = true }
      ok(c:UserCallForwardingAlwaysModifyRequest(cfa))
      roundtrip(cfa, ok(c:UserCallForwardingAlwaysGetRequest { user_id = uid }))
      local cfb = { user_id = uid, is_active = true, forward_to_phone_number = "2025550151" }
      ok(c:UserCallForwardingBusyModifyRequest(cfb))
      roundtrip(cfb, ok(c:UserCallForwardingBusyGetRequest { user_id = uid }))
      local cfna = { user_id = uid, is_active = true, forward_to_phone_number = "2025550152",
        number_of_rings = 4 }
      ok(c:UserCallForwardingNoAnswerModifyRequest(cfna))
      roundtrip(cfna, ok(c:UserCallForwardingNoAnswerGetRequest13mp16 { user_id = uid }))
      -- a partial Modify keeps the rest; nil clears
      ok(c:UserCallForwardingAlwaysModifyRequest { user_id = uid, is_active = false,
        forward_to_phone_number = ocip.NIL })
      local g = ok(c:UserCallForwardingAlwaysGetRequest { user_id = uid })
      assert.is_false(g.is_active)
      assert.is_nil(g.forward_to_phone_number)
      assert.is_true(g.is_ring_splash_active)
      -- untouched users answer the defaults; missing ones 4008
      assert.is_false(ok(c:UserCallForwardingBusyGetRequest { user_id = "user000001@example.net" }).is_active)
      assert.equal(4008, code(c:UserCallForwardingAlwaysGetRequest { user_id = "ghost@example.net" }))
      -- group settings: the extension lengths the group accepts
      ok(c:GroupExtensionLengthModifyRequest17(in_group { min_extension_length = 3,
        max_extension_length = 5, default_extension_length = 4 }))
      local el = ok(c:GroupExtensionLengthGetRequest17(in_group {}))
      assert.same({ 3, 5 }, { el.min_extension_length, el.max_extension_length })
      assert.equal(4909, code(c:UserModifyRequest22 { user_id = uid, extension = "12" }))
      ok(c:UserModifyRequest22 { user_id = uid, extension = "123" })
      assert.equal(4152, code(c:GroupExtensionLengthGetRequest17 { service_provider_id = SP,
        group_id = "nope" }))
    end)
  end)
end)

describe("ocip sim access devices", function()
  it("Add (known types only) / Get (every version) / Modify / list / users on it / Delete", function()
    T.with_client({ users = 2 }, function(c)
      local r, err = c:GroupAccessDeviceAddRequest22V2(device_add("x", { device_type = "Acme 9000" }))
      assert.equal(4501, code(r, err))
      assert.equal("[Error 4501] Device Type not found: Acme 9000", err.summary)
      local add = device_add("lobby", { protocol = "SIP 2.0", net_address = "10.0.0.7", port = 5060,
        mac_address = "001122334455", serial_number = "SN-1", description = "Lobby phone",
        physical_location = "Lobby", transport_protocol = "UDP" })
      ok(c:GroupAccessDeviceAddRequest22V2(add))
      assert.equal(4010, code(c:GroupAccessDeviceAddRequest22V2(add)))
      ok(c:GroupAccessDeviceAddRequest14(device_add("old", { device_type = "Cisco 7960" })))
      for _, v in ipairs { "GroupAccessDeviceGetRequest24V3", "GroupAccessDeviceGetRequest22V5",
        "GroupAccessDeviceGetRequest18sp1", "GroupAccessDeviceGetRequest16" } do
        local g = ok(c:command(ocip.commands[v](in_group { device_name = "lobby" })))
        assert.equal(v:gsub("Request", "Response"), g._type)
        roundtrip(add, g)
      end
      ok(c:GroupAccessDeviceModifyRequest22(in_group { device_name = "lobby",
        description = "Front desk", mac_address = ocip.NIL }))
      local g = ok(c:GroupAccessDeviceGetRequest24V3(in_group { device_name = "lobby" }))
      assert.equal("Front desk", g.description)
      assert.is_nil(g.mac_address)
      assert.equal("Lobby", g.physical_location)
      local l = ok(c:GroupAccessDeviceGetListRequest(in_group {}))
      assert.equal(2, #l.access_device_table)
      assert.same({ "lobby", "Polycom VVX 400" }, { l.access_device_table[1].device_name,
        l.access_device_table[1].device_type })

      ok(c:UserModifyRequest22 { user_id = "user000002@example.net", endpoint = {
        access_device_endpoint = { access_device = { device_level = "Group", device_name = "lobby" },
          line_port = "lobby_2@example.net" } } })
      for _, v in ipairs { "GroupAccessDeviceGetUserListRequest21sp1", "GroupAccessDeviceGetUserListRequest" } do
        local u = ok(c:command(ocip.commands[v](in_group { device_name = "lobby" })))
        assert.equal(1, #u.device_user_table)
        local row = u.device_user_table[1]
        assert.same({ "user000002@example.net", "lobby_2@example.net", "Primary", "+1-2025550002" },
          { row.user_id, row.line_port, row.endpoint_type, row.phone_number })
      end
      assert.equal(1, ok(c:GroupAccessDeviceGetRequest24V3(in_group { device_name = "lobby" }))
        .number_of_assigned_ports)

      ok(c:GroupAccessDeviceDeleteRequest(in_group { device_name = "old" }))
      assert.equal(4505, code(c:GroupAccessDeviceGetRequest24V3(in_group { device_name = "old" })))
      assert.equal(4505, code(c:GroupAccessDeviceDeleteRequest(in_group { device_name = "old" })))
      assert.equal(4152, code(c:GroupAccessDeviceGetListRequest { service_provider_id = SP, group_id = "x" }))
      assert.equal(4006, code(c:GroupAccessDeviceGetListRequest { service_provider_id = "x", group_id = G }))
    end)
  end)
end)

describe("ocip sim service providers and groups", function()
  it("Add / Get (every version) / Modify round trip", function()
    T.with_client({ users = 1 }, function(c)
      local sp = { service_provider_id = "acme", service_provider_name = "Acme", default_domain = "acme.net",
        is_enterprise = true, support_email = "help@acme.net",
        contact = { contact_name = "Ops", contact_number = "2025550100" } }
      ok(c:ServiceProviderAddRequest13mp2(sp))
      roundtrip(sp, ok(c:ServiceProviderGetRequest22V4 { service_provider_id = "acme" }))
      ok(c:ServiceProviderModifyRequest { service_provider_id = "acme", service_provider_name = "Acme Inc",
        contact = { contact_email = "ops@acme.net" } })
      local g = ok(c:ServiceProviderGetRequest22V4 { service_provider_id = "acme" })
      assert.same({ "Acme Inc", "Ops", "ops@acme.net" }, { g.service_provider_name, g.contact.contact_name,
        g.contact.contact_email })
      local add = { service_provider_id = "acme", group_id = "hq", default_domain = "acme.net", user_limit = 50,
        group_name = "HQ", calling_line_id_name = "Acme HQ", time_zone = "America/Chicago",
        address = { address_line1 = "1 Main St", city = "Springfield", state_or_province = "IL" } }
      ok(c:GroupAddRequest(add))
      for _, v in ipairs { "GroupGetRequest22V5", "GroupGetRequest22", "GroupGetRequest14sp7", "GroupGetRequest" } do
        local r = ok(c:command(ocip.commands[v] { service_provider_id = "acme", group_id = "hq" }))
        assert.equal(v:gsub("Request", "Response"), r._type)
        roundtrip(add, r)
      end
      ok(c:GroupModifyRequest { service_provider_id = "acme", group_id = "hq", group_name = "Head Office",
        calling_line_id_name = ocip.NIL, address = { city = "Chicago" } })
      g = ok(c:GroupGetRequest22V5 { service_provider_id = "acme", group_id = "hq" })
      assert.same({ "Head Office", "1 Main St", "Chicago" }, { g.group_name, g.address.address_line1,
        g.address.city })
      assert.is_nil(g.calling_line_id_name)
      assert.equal(4152, code(c:GroupModifyRequest { service_provider_id = "acme", group_id = "nope",
        group_name = "x" }))
      assert.equal(4006, code(c:ServiceProviderModifyRequest { service_provider_id = "nope",
        service_provider_name = "x" }))
    end)
  end)
end)
