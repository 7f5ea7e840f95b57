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
end)
