-- The simulator's upper levels: resellers, system / reseller / service provider
-- administrators (logins and scope), the phone number formats, and --state
-- (load at start, save on stop). Every response is checked against the XSDs
-- by spec.support.sim_raw.
local ocip = require "ocip"
local core = ocip.core
local S = require "spec.support.sim_raw"

local err_code = S.err_code

local function ok_type(r) return r and r._type end

local function login_as(sim, user, password)
  local c = assert(S.connect(sim))
  local r = c:login(user, password)
  return c, r
end

describe("ocip sim resellers", function()
  it("add, get (by id and external id), modify, list, delete with the server's rules", function()
    S.with_sim({ users = 2 }, function(sim)
      local c = login_as(sim)
      assert.equal("SuccessResponse", ok_type(c:call("ResellerAddRequest",
        { reseller_id = "r1", reseller_name = "Reseller One", reseller_external_id = "ext-1" })))
      assert.equal(4010, err_code(c:call("ResellerAddRequest", { reseller_id = "r1" })))
      assert.equal("SuccessResponse", ok_type(c:call("ResellerAddRequest",
        { reseller_id = "r2", reseller_name = "Second" })))
      local g = c:call("ResellerGetRequest22V2", { reseller_id = "r1" })
      assert.equal("ResellerGetResponse22V2", g._type)
      assert.equal("Reseller One", g.reseller_name)
      assert.equal("ext-1", g.reseller_external_id)
      assert.equal("r1", c:call("ResellerGetRequest22V2", { reseller_external_id = "ext-1" }).reseller_id)
      assert.equal("ResellerGetResponse22", ok_type(c:call("ResellerGetRequest22", { reseller_id = "r2" })))
      assert.equal(4011, err_code(c:call("ResellerGetRequest22V2", { reseller_id = "nope" })))
      assert.equal("SuccessResponse", ok_type(c:call("ResellerModifyRequest",
        { reseller_id = "r2", reseller_name = "Renamed" })))
      assert.equal("Renamed", c:call("ResellerGetRequest22V2", { reseller_id = "r2" }).reseller_name)
      local l = c:call("ResellerGetListRequest", {})
      assert.same({ "Reseller Id", "Reseller Name", "Reseller External Id" }, l.reseller_table.headings)
      assert.equal(2, #l.reseller_table)
      local f = c:call("ResellerGetListRequest", { search_criteria_reseller_name = { {
        mode = "Starts With", value = "ren", is_case_insensitive = true } } })
      assert.equal(1, #f.reseller_table)
      assert.equal("r2", f.reseller_table[1].reseller_id)
      assert.equal(1, #c:call("ResellerGetListRequest", { response_size_limit = 1 }).reseller_table)

      -- service providers under a reseller; a missing reseller is refused
      assert.equal(4011, err_code(c:call("ServiceProviderAddRequest13mp2", { service_provider_id = "spX", is_enterprise = true,
        default_domain = "x.example.net", reseller_id = "ghost" })))
      assert.is_nil(sim.state.sps.by.spX)
      assert.equal("SuccessResponse", ok_type(c:call("ServiceProviderAddRequest13mp2", {
        service_provider_id = "spR", is_enterprise = true, default_domain = "r.example.net", reseller_id = "r1" })))
      assert.equal("r1", c:call("ServiceProviderGetRequest22V4", { service_provider_id = "spR" }).reseller_id)
      local sl = c:call("ServiceProviderGetListRequest", { search_criteria_reseller_id = { {
        mode = "Equal To", value = "r1", is_case_insensitive = false } } })
      assert.equal(1, #sl.service_provider_table)
      local row = sl.service_provider_table[1]
      assert.same({ "spR", "true", "r1" }, { row.service_provider_id, row.is_enterprise, row.reseller_id })

      -- a reseller with service providers cannot be deleted
      assert.equal(4012, err_code(c:call("ResellerDeleteRequest", { reseller_id = "r1" })))
      assert.equal("SuccessResponse", ok_type(c:call("ServiceProviderDeleteRequest", { service_provider_id = "spR" })))
      assert.equal("SuccessResponse", ok_type(c:call("ResellerDeleteRequest", { reseller_id = "r1" })))
      assert.equal(4011, err_code(c:call("ResellerGetRequest22V2", { reseller_id = "r1" })))
      assert.equal(4011, err_code(c:call("ResellerDeleteRequest", { reseller_id = "r1" })))
      c:close()
    end)
  end)
end)

describe("ocip sim administrators", function()
  it("system, reseller and service provider admins: add, get, list, duplicate, delete", function()
    S.with_sim({ users = 2 }, function(sim)
      local c = login_as(sim)
      assert.equal("SuccessResponse", ok_type(c:call("SystemAdminAddRequest", { user_id = "sys1",
        last_name = "Root", first_name = "Sam", password = "Sys-pw-1", admin_type = "System",
        read_only = false })))
      assert.equal(4010, err_code(c:call("SystemAdminAddRequest", { user_id = "sys1",
        password = "x", admin_type = "System", read_only = true })))
      assert.equal(4010, err_code(c:call("SystemAdminAddRequest", { user_id = "user000001@example.net",
        password = "x", admin_type = "System", read_only = true })))
      for _, v in ipairs { "SystemAdminGetRequest", "SystemAdminGetRequest22" } do
        local g = c:call(v, { user_id = "sys1" })
        assert.equal(v:gsub("Request", "Response"), g._type)
        assert.equal("Root", g.last_name)
        assert.equal("System", g.admin_type)
      end
      local sl = c:call("SystemAdminGetListRequest", {})
      assert.same({ "Administrator ID", "Last Name", "First Name", "Type", "Read Only", "Language" },
        sl.system_admin_table.headings)
      assert.same({ administrator_id = "sys1", last_name = "Root", first_name = "Sam", type = "System",
        read_only = "false", language = "English" }, sl.system_admin_table[1])

      assert.equal("SuccessResponse", ok_type(c:call("ResellerAddRequest", { reseller_id = "r1" })))
      assert.equal(4011, err_code(c:call("ResellerAdminAddRequest", { reseller_id = "nope", user_id = "ra1" })))
      assert.equal("SuccessResponse", ok_type(c:call("ResellerAdminAddRequest", { reseller_id = "r1",
        user_id = "ra1", last_name = "Re", password = "Ra-pw-1" })))
      for _, v in ipairs { "ResellerAdminGetRequest", "ResellerAdminGetRequest22", "ResellerAdminGetRequest22V2" } do
        assert.equal(v:gsub("Request", "Response"), c:call(v, { user_id = "ra1" })._type)
      end
      assert.equal("ra1", c:call("ResellerAdminGetListRequest", { reseller_id = "r1" })
        .reseller_admin_table[1].administrator_id)
      assert.equal(4008, err_code(c:call("SystemAdminGetRequest22", { user_id = "ra1" })))

      assert.equal(4006, err_code(c:call("ServiceProviderAdminAddRequest14", { service_provider_id = "nope",
        user_id = "spa1", administrator_type = "Normal" })))
      assert.equal("SuccessResponse", ok_type(c:call("ServiceProviderAdminAddRequest14", {
        service_provider_id = "sp1", user_id = "spa1", last_name = "Prov", password = "Spa-pw-1",
        administrator_type = "Customer" })))
      for _, v in ipairs { "ServiceProviderAdminGetRequest14", "ServiceProviderAdminGetRequest21sp1",
        "ServiceProviderAdminGetRequest22", "ServiceProviderAdminGetRequest22V2",
        "ServiceProviderAdminGetRequest22V3" } do
        local g = c:call(v, { user_id = "spa1" })
        assert.equal(v:gsub("Request", "Response"), g._type)
        assert.equal("Customer", g.administrator_type)
      end
      assert.is_true(c:call("ServiceProviderAdminGetRequest22V3", { user_id = "spa1" }).has_password)
      local pl = c:call("ServiceProviderAdminGetListRequest14", { service_provider_id = "sp1" })
      assert.same({ "spa1", "Prov", "Customer" }, { pl.service_provider_admin_table[1].administrator_id,
        pl.service_provider_admin_table[1].last_name, pl.service_provider_admin_table[1].administrator_type })
      assert.equal("SuccessResponse", ok_type(c:call("ServiceProviderAdminModifyRequest",
        { user_id = "spa1", last_name = "Renamed" })))
      assert.equal("Renamed", c:call("ServiceProviderAdminGetRequest22V3", { user_id = "spa1" }).last_name)

      for _, d in ipairs { { "SystemAdminDeleteRequest", "sys1" }, { "ResellerAdminDeleteRequest", "ra1" },
        { "ServiceProviderAdminDeleteRequest", "spa1" } } do
        assert.equal("SuccessResponse", ok_type(c:call(d[1], { user_id = d[2] })))
        assert.equal(4008, err_code(c:call(d[1], { user_id = d[2] })))
      end
      assert.equal(0, #c:call("SystemAdminGetListRequest", {}).system_admin_table)
      -- a deleted admin cannot log in any more
      local d, r = login_as(sim, "spa1", "Spa-pw-1")
      assert.equal(4962, err_code(r))
      d:close()
      c:close()
    end)
  end)

  it("an admin added with a password logs in (14sp4) with its level as the login type", function()
    S.with_sim({ users = 3 }, function(sim)
      local c = login_as(sim)
      assert.equal("SuccessResponse", ok_type(c:call("SystemAdminAddRequest", { user_id = "sys2",
        password = "Sys-pw-2", admin_type = "Provisioning", read_only = false })))
      assert.equal("SuccessResponse", ok_type(c:call("ServiceProviderAdminAddRequest14", {
        service_provider_id = "sp1", user_id = "spa2", password = "Spa-pw-2", administrator_type = "Normal" })))
      assert.equal("SuccessResponse", ok_type(c:call("GroupAdminAddRequest", { service_provider_id = "sp1",
        group_id = "g1", user_id = "ga2", password = "Ga-pw-2" })))
      c:close()
      local cases = { { "sys2", "Sys-pw-2", "Provisioning" }, { "spa2", "Spa-pw-2", "Service Provider" },
        { "ga2", "Ga-pw-2", "Group" } }
      for _, k in ipairs(cases) do
        local a, r = login_as(sim, k[1], "wrong")
        assert.equal(4962, err_code(r))
        a:close()
        a, r = login_as(sim, k[1], k[2])
        assert.equal("LoginResponse14sp4", r._type, k[1])
        assert.equal(k[3], r.login_type)
        if k[1] ~= "sys2" then assert.equal("sp1", r.service_provider_id) end
        if k[1] == "ga2" then assert.equal("g1", r.group_id) end
        assert.equal("UserGetResponse23V2", ok_type(a:call("UserGetRequest23V2",
          { user_id = "user000001@example.net" })))
        a:close()
      end
    end)
  end)

  it("refuses system-level requests from a group admin, allows them to higher levels", function()
    S.with_sim({ users = 3 }, function(sim)
      local c = login_as(sim)
      assert.equal("SuccessResponse", ok_type(c:call("GroupAdminAddRequest", { service_provider_id = "sp1",
        group_id = "g1", user_id = "ga3", password = "Ga-pw-3" })))
      assert.equal("SuccessResponse", ok_type(c:call("ServiceProviderAdminAddRequest14", {
        service_provider_id = "sp1", user_id = "spa3", password = "Spa-pw-3", administrator_type = "Normal" })))
      c:close()
      local g = login_as(sim, "ga3", "Ga-pw-3")
      local r = assert(g:send { { "SystemSoftwareVersionGetRequest", {} },
        { "UserGetListInSystemRequest", {} }, { "ServiceProviderGetListRequest", {} },
        { "ResellerGetListRequest", {} }, { "GroupGetListInServiceProviderRequest", { service_provider_id = "sp1" } },
        { "UserGetListInGroupRequest", { service_provider_id = "sp1", group_id = "g1" } } })
      for i = 1, 5 do
        assert.equal(4410, err_code(r[i]), "request " .. i)
        assert.matches("Not authorized", r[i].summary)
      end
      assert.equal("UserGetListInGroupResponse", r[6]._type)
      g:close()
      local s = login_as(sim, "spa3", "Spa-pw-3")
      r = assert(s:send { { "UserGetListInSystemRequest", {} },
        { "GroupGetListInServiceProviderRequest", { service_provider_id = "sp1" } } })
      assert.equal(4410, err_code(r[1]))
      assert.equal("GroupGetListInServiceProviderResponse", r[2]._type)
      s:close()
      -- the simulator's own admin is a system admin: nothing refused
      local a = login_as(sim)
      assert.equal("SystemSoftwareVersionGetResponse", ok_type(a:call("SystemSoftwareVersionGetRequest", {})))
      a:close()
    end)
  end)

  it("an admin logs in with LoginRequest22V5 over TLS (reseller login type)", function()
    if not S.have_net then pending("network layer not built") return end
    local dir = os.tmpname(); os.remove(dir); assert(os.execute("mkdir -p " .. dir))
    local cert, key = dir .. "/c.pem", dir .. "/k.pem"
    assert(os.execute("openssl req -x509 -newkey rsa:2048 -nodes -keyout " .. key .. " -out "
      .. cert .. " -days 1 -subj /CN=localhost >/dev/null 2>&1"))
    S.with_sim({ users = 2, tls = { cert_file = cert, key_file = key } }, function(sim)
      local c = login_as(sim)
      assert.equal("SuccessResponse", ok_type(c:call("ResellerAddRequest", { reseller_id = "r9" })))
      assert.equal("SuccessResponse", ok_type(c:call("ResellerAdminAddRequest", { reseller_id = "r9",
        user_id = "ra9", password = "Ra-pw-9" })))
      c:close()
      local t = assert(S.connect(sim, { tls = true }))
      local bad = t:call("LoginRequest22V5", { user_id = "ra9", password = "nope" })
      assert.equal(4962, err_code(bad))
      local r = t:call("LoginRequest22V5", { user_id = "ra9", password = "Ra-pw-9" })
      assert.equal("LoginResponse22V5", r._type)
      assert.equal("Reseller", r.login_type)
      assert.equal("r9", r.reseller_id)
      assert.equal(4410, err_code(t:call("SystemSoftwareVersionGetRequest", {})))
      assert.equal("ResellerGetListResponse", ok_type(t:call("ResellerGetListRequest", {})))
      t:close()
    end)
    os.execute("rm -rf " .. dir)
  end)
end)

describe("ocip sim phone numbers", function()
  -- BroadWorks: Get responses carry the national number (phoneNumber, type DN);
  -- OCITable "Phone Number" columns show the E.164 display form "+CC-NUMBER".
  it("Get responses carry the national number, list tables the +1- display form", function()
    S.with_sim({ users = 3 }, function(sim)
      local c = login_as(sim)
      local u = c:call("UserGetRequest23V2", { user_id = "user000001@example.net" })
      assert.equal("2025550001", u.phone_number)
      assert.equal("1", u.country_code)
      local base = { service_provider_id = "sp1", group_id = "g1" }
      local lists = {
        { "UserGetListInGroupRequest", base, 5 },
        { "UserGetListInServiceProviderRequest", { service_provider_id = "sp1" }, 6 },
        { "UserGetListInSystemRequest", {}, 7 },
      }
      for _, l in ipairs(lists) do
        local t = c:call(l[1], l[2]).user_table
        assert.equal("Phone Number", t.headings[l[3]])
        assert.equal("+1-2025550001", t[1].phone_number, l[1])
      end
      -- a search by DN takes the national number
      local f = c:call("UserGetListInGroupRequest", { service_provider_id = "sp1", group_id = "g1",
        search_criteria_dn = { { mode = "Equal To", value = "2025550002", is_case_insensitive = false } } })
      assert.equal(1, #f.user_table)
      assert.equal("user000002@example.net", f.user_table[1].user_id)
      -- a user added with a national number reads back the same way in both places
      assert.equal("SuccessResponse", ok_type(c:call("GroupDnAssignListRequest",
        { service_provider_id = "sp1", group_id = "g1", phone_number = { "3015550100" } })))
      assert.equal("SuccessResponse", ok_type(c:call("UserAddRequest22", { service_provider_id = "sp1",
        group_id = "g1", user_id = "dn.user@example.net", last_name = "D", first_name = "N",
        calling_line_id_last_name = "D", calling_line_id_first_name = "N", phone_number = "3015550100" })))
      assert.equal("3015550100", c:call("UserGetRequest23V2", { user_id = "dn.user@example.net" }).phone_number)
      local rows = c:call("UserGetListInGroupRequest", base).user_table
      assert.equal("+1-3015550100", rows[#rows].phone_number)
      c:close()
    end)
  end)
end)

describe("ocip sim --state", function()
  local persist = require "ocip.sim.persist"

  it("writes a deterministic Lua data file that loads back to the same state", function()
    local path = os.tmpname()
    os.remove(path)
    S.with_sim({ users = 3, state_file = path }, function(sim)
      local c = login_as(sim)
      assert.equal("SuccessResponse", ok_type(c:call("ResellerAddRequest", { reseller_id = "r1",
        reseller_name = "R \"one\"\nline2" })))
      assert.equal("SuccessResponse", ok_type(c:call("ServiceProviderAddRequest13mp2", {
        service_provider_id = "sp2", is_enterprise = true, default_domain = "two.example.net", reseller_id = "r1" })))
      assert.equal("SuccessResponse", ok_type(c:call("GroupAddRequest", { service_provider_id = "sp2",
        group_id = "gA", default_domain = "two.example.net", user_limit = 5 })))
      assert.equal("SuccessResponse", ok_type(c:call("GroupAdminAddRequest", { service_provider_id = "sp2",
        group_id = "gA", user_id = "ga@two", password = "Ga-pw" })))
      assert.equal("SuccessResponse", ok_type(c:call("GroupAccessDeviceAddRequest22V2", {
        service_provider_id = "sp2", group_id = "gA", device_name = "dev1", device_type = "Generic SIP Phone" })))
      c:close()
    end)
    local f = assert(io.open(path, "rb"))
    local text = f:read("a")
    f:close()
    assert.matches("^%-%- ocip sim state", text)
    assert.matches("format = 1,", text, 1, true)
    assert.is_nil(io.open(path .. ".tmp", "rb"))
    -- loads back (seeded data not regenerated), and saves byte-identically
    S.with_sim({ users = 50, state_file = path }, function(sim)
      assert.equal(3, sim.state:count_users())
      assert.equal("R \"one\"\nline2", sim.state.resellers.by.r1.name)
      assert.equal("r1", sim.state.sps.by.sp2.reseller_id)
      local c, r = login_as(sim, "ga@two", "Ga-pw")
      assert.equal("Group", r.login_type)
      assert.equal("GroupAccessDeviceGetResponse22V5", ok_type(c:call("GroupAccessDeviceGetRequest22V5",
        { service_provider_id = "sp2", group_id = "gA", device_name = "dev1" })))
      c:close()
    end)
    local f2 = assert(io.open(path, "rb"))
    assert.equal(text, f2:read("a"))
    f2:close()
    os.remove(path)
  end)

  it("refuses a state file that is not Lua data, naming the file", function()
    local path = os.tmpname()
    local f = assert(io.open(path, "wb")); f:write("return { service_providers = "); f:close()
    local ok, err = pcall(S.with_sim, { state_file = path }, function() end)
    assert.is_false(ok)
    assert.matches(path, tostring(err), 1, true)
    f = assert(io.open(path, "wb")); f:write("os.exit(3)"); f:close()
    ok, err = pcall(S.with_sim, { state_file = path }, function() end)
    assert.is_false(ok) -- no globals in the file's environment: nothing runs
    os.remove(path)
    assert.matches("return", persist.encode({ a = 1 }))
  end)

  it("`ocip sim --state FILE`: a user added before SIGTERM is there after a restart", function()
    local helpers = require "spec.helpers"
    local hf = io.open(helpers.host(), "rb")
    if not hf then pending("host binary not built") return end
    hf:close()
    if not S.have_net then pending("network layer not built") return end
    local path = os.tmpname()
    os.remove(path)
    local function start()
      local p = assert(io.popen("exec sh -c 'echo $$; exec timeout 30 " .. helpers.host()
        .. " sim --tcp 0 --users 4 --for 25 --state " .. path .. "' 2>/dev/null", "r"))
      local pid = assert(tonumber(p:read("l")))
      local ready = assert(p:read("l"), "no ready line")
      local port = assert(tonumber(ready:match("tcp=127%.0%.0%.1:(%d+)")), ready)
      return p, pid, port, ready
    end
    local function stop(p, pid)
      assert(os.execute("kill -TERM " .. pid))
      p:read("a")
      local _, how, code = p:close()
      assert.equal("exit", how)
      assert.equal(0, code)
    end
    local function with_port(port, fn)
      S.run(10, function()
        fn(assert(S.connect({ tcp_port = port, admin = "admin", password = os.getenv("OCIP_SIM_PASSWORD")
          or "admin-password" })))
      end)
    end
    local p, pid, port = start()
    with_port(port, function(c)
      c:login()
      assert.equal("SuccessResponse", ok_type(c:call("UserAddRequest22", { service_provider_id = "sp1",
        group_id = "g1", user_id = "kept@example.net", last_name = "Kept", first_name = "K",
        calling_line_id_last_name = "Kept", calling_line_id_first_name = "K" })))
      c:close()
    end)
    stop(p, pid)
    assert.is_truthy(io.open(path, "rb"))
    local p2, pid2, port2, ready2 = start()
    assert.matches("users=5$", ready2)
    with_port(port2, function(c)
      c:login()
      local u = c:call("UserGetRequest23V2", { user_id = "kept@example.net" })
      assert.equal("UserGetResponse23V2", u._type)
      assert.equal("Kept", u.last_name)
      c:close()
    end)
    stop(p2, pid2)
    os.remove(path)
  end)
end)
