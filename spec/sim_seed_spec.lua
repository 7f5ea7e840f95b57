-- `ocip sim --entities` / start{ entities = true }: sp1/g1 seeded with devices,
-- hunt groups, a call center, an auto attendant, a pickup group, departments and
-- numbers, on top of the users (whose count does not change), deterministically.
local T = require "spec.support.sim_client"
local S = require "spec.support.sim_raw"
local persist = require "ocip.sim.persist"
local State = require "ocip.sim.state"
local seed = require "ocip.sim.seed"

local ok = T.ok
local G = { service_provider_id = "sp1", group_id = "g1" }

local function ids(rows, key)
  local out = {}
  for i, r in ipairs(rows) do out[i] = r[key or "user_id"] end
  return out
end

describe("ocip sim --entities", function()
  it("seeds the other entities of g1, answered by the entities' requests", function()
    T.with_client({ users = 10, entities = true }, function(c)
      assert.equal(10, #ok(c:UserGetListInGroupRequest(G)).user_table)
      local hg = ok(c:GroupHuntGroupGetInstanceListRequest(G)).hunt_group_table
      assert.same({ "hg-sales@example.net", "hg-support@example.net" }, ids(hg, "service_user_id"))
      local h = ok(c:GroupHuntGroupGetInstanceRequest20 { service_user_id = "hg-sales@example.net" })
      assert.same({ "user000001@example.net", "user000002@example.net", "user000003@example.net" },
        ids(h.agent_user_table))
      local cc = ok(c:GroupCallCenterGetAgentListRequest { service_user_id = "cc-support@example.net" })
      assert.equal(4, #cc.agent_table)
      local aa = ok(c:GroupAutoAttendantGetInstanceRequest24 { service_user_id = "aa-main@example.net" })
      assert.same({ "0", "1", "2" }, ids(aa.business_hours_menu.key_configuration, "key"))
      assert.equal(4, #ok(c:GroupCallPickupGetInstanceRequest {
        service_provider_id = "sp1", group_id = "g1", name = "Front Office" }).user_table)
      local depts = ok(c:GroupDepartmentGetListRequest18 { service_provider_id = "sp1", group_id = "g1",
        include_enterprise_departments = false }).department_table
      assert.same({ "Sales", "Support", "Inside Sales" }, ids(depts, "department_name"))
      local devices = ok(c:GroupAccessDeviceGetListRequest(G)).access_device_table
      assert.equal(3, #devices)
      local on = ok(c:GroupAccessDeviceGetUserListRequest21sp1 { service_provider_id = "sp1", group_id = "g1",
        device_name = devices[1].device_name }).device_user_table
      assert.same({ "user000001@example.net" }, ids(on))
      assert.equal("Sales", ok(c:UserGetRequest23V2 { user_id = "user000001@example.net" }).department.name)
      assert.is_true(ok(c:UserCallForwardingAlwaysGetRequest { user_id = "user000002@example.net" }).is_active)
      local free = ok(c:GroupDnGetAvailableListRequest(G)).phone_number
      assert.equal(6, #free) -- 10 added, 4 taken by the hunt groups, call center, auto attendant
      assert.equal(1, #ok(c:GroupAdminGetListRequest(G)).group_admin_table)
      -- without the flag: none of it
    end)
    T.with_client({ users = 10 }, function(c)
      assert.equal(0, #ok(c:GroupHuntGroupGetInstanceListRequest(G)).hunt_group_table)
      assert.equal(0, #ok(c:GroupAccessDeviceGetListRequest(G)).access_device_table)
    end)
  end)

  it("is deterministic, schema-valid, and works with few users", function()
    local function text(n)
      local st = State.new { users = n, seed = 7 }
      assert.is_true(seed.entities(st))
      return persist.encode(persist.snapshot(st))
    end
    assert.equal(text(10), text(10))
    assert.is_true(select(2, text(2):gsub("hg%-sales", "")) > 0)
    assert.is_nil(seed.entities(State.new { empty = true }))
    local before = S.validated
    S.with_sim({ users = 3, entities = true }, function(sim)
      local c = assert(S.connect(sim))
      c:login()
      for _, call in ipairs {
        { "GroupHuntGroupGetInstanceRequest20", { service_user_id = "hg-support@example.net" } },
        { "GroupCallCenterGetInstanceRequest22", { service_user_id = "cc-support@example.net" } },
        { "GroupAutoAttendantGetInstanceRequest24", { service_user_id = "aa-main@example.net" } },
        { "GroupAccessDeviceGetRequest24V3", { service_provider_id = "sp1", group_id = "g1",
          device_name = "g1-phone-02" } },
        { "UserGetRequest23V2", { user_id = "user000003@example.net" } },
        { "GroupDnGetAssignmentListRequest18", G },
        { "UserServiceGetAssignmentListRequest", { user_id = "user000001@example.net" } },
      } do
        local r = c:call(call[1], call[2])
        assert.are_not.equal("ErrorResponse", r._type, call[1] .. ": " .. tostring(r.summary))
      end
      c:close()
    end)
    if S.have_xsd then assert.is_true(S.validated - before >= 7) end
  end)
end)
