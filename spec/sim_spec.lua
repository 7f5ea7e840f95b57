-- The simulator: logins, documents, state rules, listings, lifecycle.
local ocip = require "ocip"
local core = ocip.core
local S = require "spec.support.sim_raw"

local err_code = S.err_code

local function net_only()
  if not S.have_net then pending("network layer (core.tcp_listen) not built yet") return true end
end

describe("ocip sim login", function()
  it("accepts the nonce login with the right password and refuses a wrong one", function()
    S.with_sim({}, function(sim)
      local c = assert(S.connect(sim))
      local r = c:call("UserGetRequest23V2", { user_id = "x@y" })
      assert.equal(4003, err_code(r))             -- not logged in yet
      local bad = c:login(sim.admin, "wrong")
      assert.equal(4962, err_code(bad))
      local ok = c:login()
      assert.equal("LoginResponse14sp4", ok._type)
      assert.equal("System", ok.login_type)
      c:close()
    end)
  end)

  it("binds the nonce to the session that asked for it", function()
    S.with_sim({}, function(sim)
      local a, b = assert(S.connect(sim)), assert(S.connect(sim))
      local auth = a:call("AuthenticationRequest", { user_id = sim.admin })
      local r = b:call("LoginRequest14sp4", { user_id = sim.admin,
        signed_password = core.signed_password(auth.nonce, sim.password) })
      assert.equal(4961, err_code(r))
      a:close(); b:close()
    end)
  end)

  it("refuses LoginRequest22V5 with a plain password over plain TCP", function()
    S.with_sim({}, function(sim)
      local c = assert(S.connect(sim))
      local r = c:call("LoginRequest22V5", { user_id = sim.admin, password = sim.password })
      assert.equal(4964, err_code(r))
      c:close()
    end)
  end)

  it("accepts LoginRequest22V5 over TLS", function()
    if net_only() then return end
    local dir = os.tmpname(); os.remove(dir); assert(os.execute("mkdir -p " .. dir))
    local cert, key = dir .. "/c.pem", dir .. "/k.pem"
    assert(os.execute("openssl req -x509 -newkey rsa:2048 -nodes -keyout " .. key .. " -out "
      .. cert .. " -days 1 -subj /CN=localhost >/dev/null 2>&1"))
    S.with_sim({ tls = { cert_file = cert, key_file = key } }, function(sim)
      local c = assert(S.connect(sim, { tls = true }))
      local r = c:call("LoginRequest22V5", { user_id = sim.admin, password = sim.password })
      assert.equal("LoginResponse22V5", r._type)
      assert.equal("UserGetResponse23V2", (c:call("UserGetRequest23V2",
        { user_id = "user000001@example.net" }) or {})._type)
      c:close()
    end, nil)
    os.execute("rm -rf " .. dir)
  end)

  it("takes credentials from the options and answers the wrong session id with an error", function()
    S.with_sim({ admin = "boss", password = "s3cret" }, function(sim)
      local c = assert(S.connect(sim))
      assert.equal("LoginResponse14sp4", c:login("boss", "s3cret")._type)
      local r = c:call("SystemSoftwareVersionGetRequest", {}, "another-session")
      assert.equal(4005, err_code(r))
      assert.equal("LogoutRequest" and "SuccessResponse", c:call("LogoutRequest", { user_id = "boss" })._type)
      assert.equal(4003, err_code(c:call("SystemSoftwareVersionGetRequest", {})))
      c:close()
    end)
  end)
end)

describe("ocip sim documents", function()
  it("answers 15 commands of one document in order, echo kept, errors only where due", function()
    S.with_sim({ users = 20 }, function(sim)
      local c = assert(S.connect(sim))
      c:login()
      local reqs = {}
      for i = 1, 15 do
        local uid = i == 7 and "nobody@example.net" or string.format("user%06d@example.net", i)
        reqs[i] = ocip.commands.UserGetRequest23V2 { user_id = uid, _echo = "e" .. i }
      end
      local r = assert(c:send(reqs))
      assert.equal(15, #r)
      for i = 1, 15 do
        assert.equal("e" .. i, r[i]._echo)
        if i == 7 then
          assert.equal(4008, err_code(r[i]))
        else
          assert.equal(string.format("user%06d@example.net", i), r[i].user_id)
        end
      end
      c:close()
    end)
  end)

  it("answers unknown, schema-invalid and malformed requests with ErrorResponses", function()
    S.with_sim({}, function(sim)
      local c = assert(S.connect(sim))
      c:login()
      local head = '<?xml version="1.0" encoding="ISO-8859-1"?><BroadsoftDocument protocol="OCI" '
        .. 'xmlns="C" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><sessionId xmlns="">'
        .. c.sid .. '</sessionId>'
      local out = assert(c:send_raw(head .. '<command xmlns="" xsi:type="NoSuchRequest"/>'
        .. '<command xmlns="" xsi:type="UserGetRequest23V2"><bogus>1</bogus></command>'
        .. '<command xmlns="" xsi:type="UserGetRequest23V2"/>'
        .. '</BroadsoftDocument>\n'))
      S.check_xsd(out)
      local r = assert(core.decode(out)).responses
      assert.equal(3, #r)
      assert.equal(4001, err_code(r[1]))
      assert.matches("NoSuchRequest", r[1].summary)
      -- schema-invalid: 6004 as a real server, the complaint in the CDATA detail
      assert.equal(6004, err_code(r[2]))
      assert.equal("[Error 6004] OCI XML Request validation error", r[2].summary)
      assert.matches("<detail><![CDATA[", out, 1, true)
      assert.matches("bogus", r[2].detail)
      assert.equal(6004, err_code(r[3]))
      assert.matches("user", r[3].detail:lower())
      c:close()
    end)
  end)

  it("names XML elements in validation error texts, as a server does (never snake_case)", function()
    S.with_sim({}, function(sim)
      local c = assert(S.connect(sim))
      c:login()
      local head = '<?xml version="1.0" encoding="ISO-8859-1"?><BroadsoftDocument protocol="OCI" '
        .. 'xmlns="C" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><sessionId xmlns="">'
        .. c.sid .. '</sessionId>'
      local user = '<serviceProviderId>sp1</serviceProviderId><groupId>g1</groupId><userId>a@b</userId>'
      local out = assert(c:send_raw(head
        .. '<command xmlns="" xsi:type="UserAddRequest22">' .. user .. '<lastName>x</lastName>'
        .. '<firstName>y</firstName><callingLineIdLastName>x</callingLineIdLastName>'
        .. '<callingLineIdFirstName>y</callingLineIdFirstName><password>a</password>'
        .. '<plainTextPassword>x</plainTextPassword></command>'
        .. '<command xmlns="" xsi:type="UserAddRequest22">' .. user .. '</command>'
        .. '<command xmlns="" xsi:type="UserGetListInGroupRequest"><serviceProviderId>sp1</serviceProviderId>'
        .. '<groupId>g1</groupId><searchCriteriaUserLastName><mode>Bogus</mode><value>x</value>'
        .. '<isCaseInsensitive>true</isCaseInsensitive></searchCriteriaUserLastName></command>'
        .. '<command xmlns="" xsi:type="UserModifyRequest22"><userId>a@b</userId><endpoint>'
        .. '<accessDeviceEndpoint><accessDevice><deviceLevel>Group</deviceLevel><deviceName>d</deviceName>'
        .. '</accessDevice><linePort>x@y</linePort><contactList><contact>1</contact></contactList>'
        .. '</accessDeviceEndpoint></endpoint></command>'
        .. '<command xmlns="" xsi:type="UserModifyRequest22"><userId>a@b</userId><endpoint/></command>'
        .. '<command xmlns="" xsi:type="UserGetListInGroupRequest"><serviceProviderId>sp1</serviceProviderId>'
        .. '<groupId>g1</groupId><responseSizeLimit>my_value</responseSizeLimit></command>'
        .. '</BroadsoftDocument>\n'))
      S.check_xsd(out)
      local r = assert(core.decode(out)).responses
      local want = {
        "UserAddRequest22.plainTextPassword: unknown",
        "UserAddRequest22.lastName: required",
        "UserGetListInGroupRequest.searchCriteriaUserLastName[1].mode: must be one of Starts With",
        "UserModifyRequest22.endpoint.accessDeviceEndpoint.contactList.contact[1].sipContact: required",
        "one of accessDeviceEndpoint | trunkAddressing",
      }
      assert.equal(#want + 1, #r)
      -- a value quoted in the text stays as it was sent
      assert.matches('UserGetListInGroupRequest.responseSizeLimit: integer expected, got "my_value"',
        r[#r].detail, 1, true)
      for i, w in ipairs(want) do
        assert.equal(6004, err_code(r[i]))
        assert.matches(w, r[i].detail, 1, true)
        assert.is_nil(r[i].detail:match("%l_%l"), r[i].detail) -- no snake_case left
      end
      c:close()
    end)
  end)

  it("answers any other valid request with a schema-valid generic response", function()
    S.with_sim({}, function(sim)
      local c = assert(S.connect(sim))
      c:login()
      local r = c:call("SystemSoftwareVersionGetRequest", {})
      assert.equal("SystemSoftwareVersionGetResponse", r._type)
      assert.equal("SuccessResponse", c:call("UserCallForwardingAlwaysModifyRequest",
        { user_id = "user000001@example.net", is_active = true })._type)
      c:close()
    end)
  end)
end)

describe("ocip sim state", function()
  local function session(sim)
    local c = assert(S.connect(sim))
    assert.equal("LoginResponse14sp4", c:login()._type)
    return c
  end

  it("adds, refuses duplicates, gets, modifies and deletes users", function()
    S.with_sim({ users = 5 }, function(sim)
      local c = session(sim)
      local add = { service_provider_id = "sp1", group_id = "g1", user_id = "new@example.net",
        last_name = "Doe", first_name = "Jane", calling_line_id_last_name = "Doe",
        calling_line_id_first_name = "Jane", password = "Pw-123456", phone_number = "2025559999",
        extension = "9999" }
      assert.equal("SuccessResponse", c:call("UserAddRequest22V2", add)._type)
      assert.equal(4010, err_code(c:call("UserAddRequest22V2", add)))
      add.group_id, add.user_id = "nogroup", "other@example.net"
      assert.equal(4152, err_code(c:call("UserAddRequest22V2", add)))
      local u = c:call("UserGetRequest23V2", { user_id = "new@example.net" })
      assert.equal("Doe", u.last_name)
      assert.equal("2025559999", u.phone_number)
      assert.equal("SuccessResponse", c:call("UserModifyRequest22",
        { user_id = "new@example.net", last_name = "Roe" })._type)
      assert.equal("Roe", c:call("UserGetRequest22", { user_id = "new@example.net" }).last_name)
      assert.equal("SuccessResponse", c:call("UserDeleteRequest", { user_id = "new@example.net" })._type)
      assert.equal(4008, err_code(c:call("UserGetRequest23", { user_id = "new@example.net" })))
      assert.equal(4008, err_code(c:call("UserDeleteRequest", { user_id = "new@example.net" })))
      c:close()
    end)
  end)

  it("filters user lists by search criteria and honours responseSizeLimit", function()
    S.with_sim({ users = 300, seed = 3 }, function(sim)
      local c = session(sim)
      local all = c:call("UserGetListInGroupRequest", { service_provider_id = "sp1", group_id = "g1" })
      assert.equal(300, #all.user_table)
      assert.same({ "User Id", "Last Name", "First Name", "Department", "Phone Number",
        "Phone Number Activated", "Email Address", "Hiragana Last Name", "Hiragana First Name",
        "In Trunk Group", "Extension", "Country Code", "National Prefix" }, all.user_table.headings)
      local smiths = 0
      for _, row in ipairs(all.user_table) do
        if row.last_name:lower():sub(1, 2) == "sm" then smiths = smiths + 1 end
      end
      assert.is_true(smiths > 0)
      local r = c:call("UserGetListInGroupRequest", { service_provider_id = "sp1", group_id = "g1",
        search_criteria_user_last_name = { { mode = "Starts With", value = "sM",
          is_case_insensitive = true } } })
      assert.equal(smiths, #r.user_table)
      r = c:call("UserGetListInGroupRequest", { service_provider_id = "sp1", group_id = "g1",
        search_criteria_user_last_name = { { mode = "Starts With", value = "sM",
          is_case_insensitive = false } } })
      assert.equal(0, #r.user_table)
      r = c:call("UserGetListInSystemRequest", { response_size_limit = 7,
        search_criteria_user_id = { { mode = "Contains", value = "0001", is_case_insensitive = true } } })
      assert.equal(7, #r.user_table)
      for _, row in ipairs(r.user_table) do assert.matches("0001", row.user_id) end
      assert.equal("sp1", r.user_table[1].service_provider_id)
      r = c:call("UserGetListInSystemRequest", { search_criteria_dn = { { mode = "Equal To",
        value = "2025550042", is_case_insensitive = false } } })
      assert.equal(1, #r.user_table)
      assert.equal("user000042@example.net", r.user_table[1].user_id)
      assert.equal(4152, err_code(c:call("UserGetListInGroupRequest",
        { service_provider_id = "sp1", group_id = "nope" })))
      c:close()
    end)
  end)

  it("keeps service providers and groups with their rules", function()
    S.with_sim({}, function(sim)
      local c = session(sim)
      local sp = { service_provider_id = "acme", service_provider_name = "Acme", default_domain = "acme.net",
        is_enterprise = true }
      assert.equal("SuccessResponse", c:call("ServiceProviderAddRequest13mp2", sp)._type)
      assert.equal(4010, err_code(c:call("ServiceProviderAddRequest13mp2", sp)))
      local list = c:call("ServiceProviderGetListRequest", {})
      assert.equal(2, #list.service_provider_table)
      assert.equal("Acme", c:call("ServiceProviderGetRequest22V4", { service_provider_id = "acme" })
        .service_provider_name)
      local g = { service_provider_id = "acme", group_id = "hq", default_domain = "acme.net",
        user_limit = 10, group_name = "HQ" }
      assert.equal("SuccessResponse", c:call("GroupAddRequest", g)._type)
      assert.equal(4010, err_code(c:call("GroupAddRequest", g)))
      g.service_provider_id = "nosp"
      assert.equal(4006, err_code(c:call("GroupAddRequest", g)))
      local gl = c:call("GroupGetListInServiceProviderRequest", { service_provider_id = "acme" })
      assert.equal(1, #gl.group_table)
      assert.equal("HQ", gl.group_table[1].group_name)
      local gg = c:call("GroupGetRequest22V5", { service_provider_id = "acme", group_id = "hq" })
      assert.equal("GroupGetResponse22V5", gg._type)
      assert.equal("HQ", gg.group_name)
      assert.equal("SuccessResponse", c:call("GroupDeleteRequest", { service_provider_id = "acme", group_id = "hq" })._type)
      assert.equal(4152, err_code(c:call("GroupGetRequest22V5", { service_provider_id = "acme", group_id = "hq" })))
      assert.equal("SuccessResponse", c:call("ServiceProviderDeleteRequest", { service_provider_id = "acme" })._type)
      assert.equal(4006, err_code(c:call("ServiceProviderGetRequest22V4", { service_provider_id = "acme" })))
      c:close()
    end)
  end)

  it("keeps devices, hunt groups, call centers, auto attendants, pickups, departments", function()
    S.with_sim({ users = 3 }, function(sim)
      local c = session(sim)
      local base = { service_provider_id = "sp1", group_id = "g1" }
      local function with(t) local o = {} for k, v in pairs(base) do o[k] = v end for k, v in pairs(t) do o[k] = v end return o end
      assert.equal("SuccessResponse", c:call("GroupAccessDeviceAddRequest22V2", with {
        device_name = "phone1", device_type = "Polycom VVX 400" })._type)
      local dl = c:call("GroupAccessDeviceGetListRequest", base)
      assert.equal("phone1", dl.access_device_table[1].device_name)
      local profile = { name = "Sales HG", calling_line_id_last_name = "Sales",
        calling_line_id_first_name = "HG" }
      assert.equal("SuccessResponse", c:call("GroupHuntGroupAddInstanceRequest20", with {
        service_user_id = "hg1@example.net", service_instance_profile = profile,
        policy = "Circular", hunt_after_no_answer = false, no_answer_number_of_rings = 5,
        forward_after_timeout = false, forward_timeout_seconds = 30,
        allow_call_waiting_for_agents = false, use_system_hunt_group_clid_setting = true,
        include_hunt_group_name_in_clid = true, enable_not_reachable_forwarding = false,
        make_busy_when_not_reachable = false, allow_members_to_control_group_busy = false,
        enable_group_busy = false, apply_group_busy_when_terminating_to_agent = false })._type)
      local hg = c:call("GroupHuntGroupGetInstanceRequest20", { service_user_id = "hg1@example.net" })
      assert.equal("GroupHuntGroupGetInstanceResponse20", hg._type)
      assert.equal("Circular", hg.policy)
      assert.equal("Sales HG", hg.service_instance_profile.name)
      assert.equal(1, #c:call("GroupHuntGroupGetInstanceListRequest", base).hunt_group_table)
      assert.equal("SuccessResponse", c:call("GroupCallPickupAddInstanceRequest", with { name = "p" })._type)
      assert.equal("SuccessResponse", c:call("GroupCallPickupAddInstanceRequest", with {
        name = "pick1", user_id = { "user000001@example.net" } })._type)
      assert.equal(4010, err_code(c:call("GroupCallPickupAddInstanceRequest", with { name = "pick1" })))
      assert.same({ "pick1", "p" }, (function()
        local l = c:call("GroupCallPickupGetInstanceListRequest", base).name
        table.sort(l, function(a, b) return a > b end) return l end)())
      local pk = c:call("GroupCallPickupGetInstanceRequest", with { name = "pick1" })
      assert.equal("user000001@example.net", pk.user_table[1].user_id)
      assert.equal("SuccessResponse", c:call("GroupDepartmentAddRequest", with { department_name = "Sales" })._type)
      assert.equal(4010, err_code(c:call("GroupDepartmentAddRequest", with { department_name = "Sales" })))
      assert.equal("Sales", c:call("GroupDepartmentGetListRequest18", with {
        include_enterprise_departments = false }).department_table[1].department_name)
      assert.equal("SuccessResponse", c:call("GroupHuntGroupDeleteInstanceRequest", { service_user_id = "hg1@example.net" })._type)
      assert.equal(4008, err_code(c:call("GroupHuntGroupGetInstanceRequest20", { service_user_id = "hg1@example.net" })))
      assert.equal("SuccessResponse", c:call("UserServiceAssignListRequest", {
        user_id = "user000002@example.net", service_name = { "Call Forwarding Always" } })._type)
      c:close()
    end)
  end)

  it("lets a group administrator added with a password log in", function()
    S.with_sim({}, function(sim)
      local c = session(sim)
      assert.equal("SuccessResponse", c:call("GroupAdminAddRequest", { service_provider_id = "sp1",
        group_id = "g1", user_id = "gadmin", password = "Gpw-12345" })._type)
      local d = assert(S.connect(sim))
      assert.equal("LoginResponse14sp4", d:login("gadmin", "Gpw-12345")._type)
      c:close(); d:close()
    end)
  end)

  -- (the seeding time is a benchmark figure: spec/bench/sim_bench.lua)
  it("seeds 100,000 users, deterministic by seed", function()
    local State = require "ocip.sim.state"
    local a = State.new { users = 100000, seed = 42 }
    assert.equal(100000, a:count_users())
    assert.equal(100, #a.sps.by.sp1.groups.list)
    local b = State.new { users = 1000, seed = 42 }
    local c = State.new { users = 1000, seed = 43 }
    local same, differ = true, false
    for i = 1, 1000 do
      local id = string.format("user%06d@example.net", i)
      if a.ids[id].last_name ~= b.ids[id].last_name then same = false end
      if b.ids[id].last_name ~= c.ids[id].last_name then differ = true end
    end
    assert.is_true(same)
    assert.is_true(differ)
  end)
end)

describe("ocip sim lifecycle", function()
  it("leaves no listener behind once stopped", function()
    if net_only() then return end
    local port
    S.run(10, function()
      local sim = ocip.sim.start { soap_port = 0 }
      port = sim.tcp_port
      local c = assert(S.connect(sim))
      c:login()
      sim.stop()
      local conn = core.tcp_connect { host = "127.0.0.1", port = port, timeout = 2 }
      assert.is_nil(conn)
      conn = core.tcp_connect { host = "127.0.0.1", port = sim.soap_port, timeout = 2 }
      assert.is_nil(conn)
      -- the open connection was closed too
      assert.is_nil(c.conn:read())
    end)
  end)

  it("cancels its connection tasks on stop: no task is left behind", function()
    if net_only() then return end
    local t0 = core.now()
    local leftover
    core.run(function()
      local sim = ocip.sim.start { users = 2, latency = 5000 }
      local c = assert(S.connect(sim))
      -- a reply is now due in 5 s: its writer task sleeps
      assert(c.conn:write(assert(ocip.xml.encode({ assert(ocip.catalog.build(
        "AuthenticationRequest", { user_id = "admin" })) }, "s1"))))
      core.sleep(0.1)
      assert.is_not_nil(next(sim.active))
      sim.stop()
      leftover = next(sim.active)
      c:close()
    end)
    -- core.run returns only once every task ended: the 5 s writer did not keep it
    assert.is_nil(leftover)
    assert.is_true(core.now() - t0 < 2, "took " .. (core.now() - t0))
  end)

  for _, signal in ipairs { "TERM", "INT" } do
    it("`ocip sim` as a child process prints its ready line and stops on SIG" .. signal, function()
      local helpers = require "spec.helpers"
      local f = io.open(helpers.host(), "rb")
      if not f then pending("host binary not built") return end
      f:close()
      if net_only() then return end
      local errfile = os.tmpname()
      local t0 = os.time()
      -- --for bounds the child if the signal is lost
      local p = assert(io.popen("exec sh -c 'echo $$; exec " .. helpers.host()
        .. " sim --tcp 0 --users 5 --for 20' 2>" .. errfile, "r"))
      local pid = assert(tonumber(p:read("l")))
      local ready = p:read("l")
      assert.matches("^ocip sim ready tcp=127%.0%.0%.1:%d+ .*admin=admin users=5$", ready)
      local port = assert(tonumber(ready:match("tcp=127%.0%.0%.1:(%d+)")))
      -- the port answers while it runs
      core.run(function()
        local conn = assert(core.tcp_connect { host = "127.0.0.1", port = port, timeout = 2 })
        conn:close()
      end)
      assert(os.execute("kill -" .. signal .. " " .. pid))
      local rest = p:read("a")
      local _, how, code = p:close()
      local ef = io.open(errfile, "rb")
      local err = ef and ef:read("a") or ""
      if ef then ef:close() end
      os.remove(errfile)
      assert.equal("", rest)
      assert.equal("exit", how)
      assert.equal(0, code)
      assert.matches("stopped on SIG" .. signal, err)
      assert.is_true(os.time() - t0 < 10)
      -- the process is gone and so is its listener
      assert.is_falsy(os.execute("kill -0 " .. pid .. " 2>/dev/null"))
      core.run(function()
        local conn, cerr = core.tcp_connect { host = "127.0.0.1", port = port, timeout = 2 }
        assert.is_nil(conn)
        assert.equal("connect", cerr.kind)
      end)
    end)
  end

  it("`ocip sim --for` prints the ready line and exits", function()
    local helpers = require "spec.helpers"
    local f = io.open(helpers.host(), "rb")
    if not f then pending("host binary not built") return end
    f:close()
    if not S.have_net then pending("network layer not built yet") return end
    local out, code = helpers.exec("timeout 10 " .. helpers.host() .. " sim --users 10 --for 0.2")
    assert.equal(0, code)
    assert.matches("^ocip sim ready tcp=127%.0%.0%.1:%d+ .*admin=admin", out)
  end)
end)

describe("ocip sim SOAP requests", function()
  local function raw_request(sim, head)
    local c = assert(core.tcp_connect { host = "127.0.0.1", port = sim.soap_port, mode = "raw",
      timeout = 2 })
    assert(c:write("POST /webservice/services/ProvisioningService HTTP/1.1\r\nHost: x\r\n" .. head .. "\r\nab"))
    local got = {}
    while true do
      local chunk = c:read()
      if not chunk then break end
      got[#got + 1] = chunk
    end
    c:close()
    return table.concat(got)
  end

  it("answers 400 to a Content-Length that is not a plain integer and keeps serving", function()
    if net_only() then return end
    S.run(10, function()
      local sim = ocip.sim.start { tcp_port = false, soap_port = 0 }
      for _, bad in ipairs { "1.5", "-1", "0x2", "1e1", " 2 2", "" } do
        local reply = raw_request(sim, "Content-Length: " .. bad .. "\r\n")
        assert.is_truthy(reply:match("^HTTP/1%.1 400 "), bad .. ": " .. reply)
      end
      core.sleep(0.05)
      assert.is_nil(next(sim.conns))
      -- still serving: a well-formed request on a fresh connection gets its answer
      local reply = raw_request(sim, "Content-Length: 2\r\nConnection: close\r\n")
      assert.matches("^HTTP/1%.1 500 ", reply)
      sim.stop()
    end)
  end)

  it("forgets idle SOAP sessions instead of keeping one per cookie forever", function()
    if net_only() then return end
    S.run(20, function()
      local sim = ocip.sim.start { tcp_port = false, soap_port = 0 }
      sim.soap_idle = 0 -- every session that is not logged in counts as idle at once
      for _ = 1, 300 do
        local reply = raw_request(sim, "Content-Length: 2\r\nConnection: close\r\n")
        assert.matches("^HTTP/1%.1 500 ", reply)
      end
      local n = 0
      for _ in pairs(sim.soap_sessions) do n = n + 1 end
      assert.is_true(n <= 100, n .. " sessions kept")
      sim.stop()
    end)
  end)
end)
