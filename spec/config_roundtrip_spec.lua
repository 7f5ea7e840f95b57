-- Configuration as code (ocip.config) against two in-process simulators: a seeded group is
-- snapshotted, applied to an empty system under another group id, snapshotted again: the
-- files are equal apart from the group id, the plan is empty and a second apply sends no
-- request (the simulator's counters prove it). Then a field changed live shows as exactly
-- that field, an entity left out of the file is deleted, and every apply runs in
-- dependency order.
local helpers = require "spec.helpers"
local seed = require "spec.support.config_seed"
local config = require "ocip.config"

local SRC = { service_provider_id = "sp1", group_id = "src" }
local COPY = { service_provider_id = "sp1", group_id = "copy" }

local function start_two()
  local ocip = require "ocip"
  local sims, clients = {}, {}
  for i = 1, 2 do
    sims[i] = ocip.sim.start{ tcp_port = 0, users = 0 }
    clients[i] = assert(ocip.connect{ host = "127.0.0.1", port = sims[i].tcp_port, tls = false,
      username = sims[i].admin, password = sims[i].password, log = false })
  end
  return sims, clients
end

local function stop(sims, clients)
  for i = 1, #sims do
    clients[i]:close()
    sims[i].stop()
  end
end

-- the write requests a simulator runs, in order, while fn runs
local function writes(sim, fn)
  local seen = {}
  sim.on_run = function(name, cmd)
    if require("ocip.sim.ledger").is_write(name) then seen[#seen + 1] = { name = name, cmd = cmd } end
  end
  fn()
  sim.on_run = nil
  return seen
end

local function first(list, pred)
  for i, w in ipairs(list) do if pred(w) then return i end end
end
local function last(list, pred)
  for i = #list, 1, -1 do if pred(list[i]) then return i end end
end
local function named(n) return function(w) return w.name == n end end

local function copy_of(text) return (text:gsub("sp1/src", "sp1/copy"):gsub('group_id = "src"', 'group_id = "copy"')) end

describe("configuration as code: round trip", function()
  it("snapshot, apply to an empty system under another id, snapshot: equal files, no changes, no requests", function()
    helpers.run(function()
      local sims, c = start_two()
      seed.group(c[1], "sp1", "src")
      local text1 = config.encode(assert(config.snapshot(c[1], SRC)), "lua")
      local want = assert(config.decode(text1, "src.lua"))

      -- the group does not exist on the second system: apply creates it
      local plan = assert(config.plan(c[2], want, COPY))
      assert.same({}, plan.problems)
      assert.equal("add", plan.changes[1].action)
      assert.equal("group sp1/copy", plan.changes[1].label)
      assert.equal(0, plan.counts.modify + plan.counts.delete)
      local sent = writes(sims[2], function()
        local results, errors = config.apply(c[2], plan)
        for i = 1, #plan.changes do assert.is_true(results[i], tostring(errors[i])) end
      end)

      -- dependency order: group, departments (parent first), numbers, devices, users,
      -- then what names users (agents, members)
      assert.equal("GroupAddRequest", sent[1].name)
      local dept = {}
      for i, w in ipairs(sent) do
        if w.name == "GroupDepartmentAddRequest" then dept[w.cmd.department_name] = i end
      end
      assert.is_true(dept.Sales < dept.Support)
      local first_user = first(sent, named("UserAddRequest22V2"))
      local last_user = last(sent, function(w) return w.name:find("^UserService") or w.name:find("^UserAdd") end)
      assert.is_true(last(sent, named("GroupDnAssignListRequest")) < first_user)
      assert.is_true(last(sent, named("GroupAccessDeviceAddRequest22V2")) < first_user)
      assert.is_true(dept.Support < first_user)
      for _, n in ipairs { "GroupHuntGroupAddInstanceRequest20", "GroupCallCenterAddInstanceRequest22",
        "GroupCallCenterModifyAgentListRequest", "GroupAutoAttendantAddInstanceRequest20",
        "GroupCallPickupAddInstanceRequest" } do
        assert.is_true(first(sent, named(n)) > last_user, n)
      end

      local text2 = config.encode(assert(config.snapshot(c[2], COPY)), "lua")
      assert.equal(copy_of(text1), text2)
      assert.is_true(#text1 > 5000) -- a real group: every kind is there
      for _, s in ipairs { "agent_user_id", "services", "key_configuration", "parent_department_key",
        "access_device_endpoint", "pickup_groups", '"u12@example.net"' } do
        assert.truthy(text1:find(s, 1, true), s)
      end

      -- nothing left to do, and a second apply sends nothing
      local again = assert(config.plan(c[2], want, COPY))
      assert.equal("No changes.\n", config.text(again))
      local before = sims[2].stats.writes_run
      local none = writes(sims[2], function() config.apply(c[2], again) end)
      assert.same({}, none)
      assert.equal(before, sims[2].stats.writes_run)

      -- the JSON form of the same snapshot is the same configuration
      local from_json = assert(config.decode(config.encode(want, "json"), "src.json"))
      assert.same(want, from_json)
      stop(sims, c)
    end)
  end)

  it("a field changed live is planned as exactly that field, and applied back", function()
    helpers.run(function()
      local sims, c = start_two()
      seed.group(c[1], "sp1", "src")
      local want = assert(config.snapshot(c[1], SRC))
      assert(c[1]:UserModifyRequest22{ user_id = "u07@example.net", last_name = "Mistake" })
      local plan = assert(config.plan(c[1], want))
      assert.equal(1, #plan.changes)
      local ch = plan.changes[1]
      assert.equal("modify", ch.action)
      assert.equal("user u07@example.net", ch.label)
      assert.same({ { path = "last_name", old = "Mistake", new = "Last7" } }, ch.fields)
      assert.equal("  ~ user u07@example.net\n      last_name: \"Mistake\" -> \"Last7\"\n\n"
        .. "Plan: 0 to add, 1 to change, 0 to delete.\n", config.text(plan))
      local sent = writes(sims[1], function() config.apply(c[1], plan) end)
      assert.equal(1, #sent)
      assert.equal("UserModifyRequest22", sent[1].name)
      assert.equal("Last7", sent[1].cmd.last_name)
      assert.is_nil(sent[1].cmd.first_name) -- only the field that changed is sent
      assert.equal(0, assert(config.plan(c[1], want)).counts.modify)

      -- a nested field and a list, changed live: shown path by path, sent the Modify's way
      assert(c[1]:UserModifyRequest22{ user_id = "u01@example.net", address = { city = "Nice" },
        sip_alias_list = { sip_alias = { "sip:first@example.net" } }, title = require("ocip").NIL })
      plan = assert(config.plan(c[1], want))
      assert.same({
        { path = "address.city", old = "Nice", new = "Lyon" },
        { path = "alias", old = { "sip:first@example.net" }, new = { "sip:first@example.net", "sip:boss@example.net" } },
        { path = "title", new = 'Head, "Sales"' },
      }, plan.changes[1].fields)
      sent = writes(sims[1], function() config.apply(c[1], plan) end)
      assert.same({ "sip:first@example.net", "sip:boss@example.net" }, sent[1].cmd.sip_alias_list.sip_alias)
      assert.equal(0, #assert(config.plan(c[1], want)).changes)
      stop(sims, c)
    end)
  end)

  it("an entity left out of the file is deleted, after what refers to it is changed", function()
    helpers.run(function()
      local sims, c = start_two()
      seed.group(c[1], "sp1", "src")
      local want = assert(config.snapshot(c[1], SRC))
      -- u02 is a hunt group agent and a pickup member, u05 a call center agent, u06 a
      -- pickup member: take them out everywhere (the pickup group is left with nobody)
      for _, u in ipairs { "u02", "u05", "u06" } do want.users[u .. "@example.net"] = nil end
      want.hunt_groups["hunt@example.net"].agent_user_id = { "u03@example.net", "u01@example.net" }
      want.call_centers["queue@example.net"].agent_user_id = { "u04@example.net" }
      want.pickup_groups["Front office"].user_id = nil
      want.devices["desk-2"] = nil
      want.numbers["2025551016"] = nil
      local plan = assert(config.plan(c[1], want))
      assert.same({}, plan.problems)
      local summary = {}
      for _, ch in ipairs(plan.changes) do summary[#summary + 1] = ch.action .. " " .. ch.label end
      assert.same({ "delete number 2025551016", "delete device desk-2", "delete user u02@example.net",
        "delete user u05@example.net", "delete user u06@example.net", "modify hunt group hunt@example.net",
        "modify call center queue@example.net", "modify pickup group Front office" }, summary)
      local sent = writes(sims[1], function()
        local results, errors = config.apply(c[1], plan)
        for i = 1, #plan.changes do assert.is_true(results[i], tostring(errors[i])) end
      end)
      local order = {}
      for _, w in ipairs(sent) do order[#order + 1] = w.name end
      -- references first, then the deletes, in the reverse order of the adds
      assert.same({ "GroupHuntGroupModifyInstanceRequest", "GroupCallCenterModifyAgentListRequest",
        "GroupCallPickupModifyInstanceRequest", "UserDeleteRequest", "UserDeleteRequest", "UserDeleteRequest",
        "GroupAccessDeviceDeleteRequest", "GroupDnUnassignListRequest" }, order)
      assert.same({ "u03@example.net", "u01@example.net" }, sent[1].cmd.agent_user_id_list.user_id)
      assert.same({ "u04@example.net" }, sent[2].cmd.agent_user_id_list.user_id)
      assert.equal(require("ocip").NIL, sent[3].cmd.user_id_list) -- nobody left: the list is cleared
      local _, err = c[1]:UserGetRequest23V2{ user_id = "u02@example.net" }
      assert.equal(4008, err.code)
      assert.equal("No changes.\n", config.text(assert(config.plan(c[1], want))))
      stop(sims, c)
    end)
  end)

  it("edits of nested records, menus, services and references apply and leave nothing to do", function()
    helpers.run(function()
      local sims, c = start_two()
      seed.group(c[1], "sp1", "src")
      local want = assert(config.snapshot(c[1], SRC))
      want.auto_attendants["attendant@example.net"].business_hours_menu.key_configuration[2] = nil
      want.users["u01@example.net"].access_device_endpoint.access_device.device_name = "desk-2"
      want.users["u01@example.net"].department = nil
      want.departments.Support.parent_department_key = nil
      want.users["u03@example.net"].services = { "Three-Way Call", "Call Waiting" } -- any order
      want.profile.group_name = "Renamed"
      local plan = assert(config.plan(c[1], want))
      assert.same({}, plan.problems)
      local text = config.text(plan)
      assert.matches('^  ~ group sp1/src\n      group_name: "Seeded src" %-> "Renamed"\n', text)
      assert.matches('\n      department.name: "Sales" %-> %(none%)\n', text)
      assert.is_nil(text:find("_type", 1, true)) -- a record's type shows only when nothing else changed
      assert.matches('services: %["Call Forwarding Always", "Call Waiting"%] %-> %["Call Waiting", "Three%-Way Call"%]', text)
      assert.matches("Plan: 0 to add, 5 to change, 0 to delete.", text)
      local sent = writes(sims[1], function()
        local results, errors = config.apply(c[1], plan)
        for i = 1, #plan.changes do assert.is_true(results[i], tostring(errors[i])) end
      end)
      local by = {}
      for _, w in ipairs(sent) do by[w.name] = w.cmd end
      assert.equal(require("ocip").NIL, by.GroupDepartmentModifyRequest.new_parent_department_key)
      assert.equal("desk-2", by.UserModifyRequest22.endpoint.access_device_endpoint.access_device.device_name)
      assert.same({ "Call Forwarding Always" }, by.UserServiceUnassignListRequest.service_name)
      assert.same({ "Three-Way Call" }, by.UserServiceAssignListRequest.service_name)
      local keys = by.GroupAutoAttendantModifyInstanceRequest20.business_hours_menu.key_configuration
      assert.equal("2", keys[2].key)
      assert.equal(require("ocip").NIL, keys[2].entry) -- a key gone from the menu is removed
      assert.equal("No changes.\n", config.text(assert(config.plan(c[1], want))))
      stop(sims, c)
    end)
  end)

  it("refuses a plan whose values no request accepts, naming each one", function()
    helpers.run(function()
      local sims, c = start_two()
      seed.group(c[1], "sp1", "src", { users = 6 })
      local want = assert(config.snapshot(c[1], SRC))
      want.users["u01@example.net"].last_name = ("x"):rep(31)
      want.users["u01@example.net"].shoe_size = 42
      want.users["new@example.net"] = { first_name = "New" }
      local plan = assert(config.plan(c[1], want))
      local text = table.concat(plan.problems, "\n")
      assert.matches("user new@example.net: UserAddRequest22V2.last_name: required field missing", text)
      assert.matches("user u01@example.net: shoe_size: not a field UserModifyRequest22 can set", text)
      assert.matches("user u01@example.net: UserModifyRequest22.last_name: longer than 30 characters", text)
      stop(sims, c)
    end)
  end)

  it("the simulator's own seeded group (ocip sim --entities) makes the same round trip", function()
    helpers.run(function()
      local ocip = require "ocip"
      local a = ocip.sim.start{ tcp_port = 0, users = 30, entities = true }
      local b = ocip.sim.start{ tcp_port = 0, users = 0 }
      local function conn(s)
        return assert(ocip.connect{ host = "127.0.0.1", port = s.tcp_port, tls = false,
          username = s.admin, password = s.password, log = false })
      end
      local ca, cb = conn(a), conn(b)
      local g1 = { service_provider_id = "sp1", group_id = "g1" }
      local other = { service_provider_id = "sp1", group_id = "g9" }
      local text1 = config.encode(assert(config.snapshot(ca, g1)), "json")
      local want = assert(config.decode(text1, "g1.json"))
      for _, section in ipairs { "departments", "numbers", "devices", "users", "hunt_groups",
        "call_centers", "auto_attendants", "pickup_groups" } do
        assert.truthy(next(want[section]), section) -- every kind is seeded
      end
      local plan = assert(config.plan(cb, want, other))
      assert.same({}, plan.problems)
      local results, errors = config.apply(cb, plan)
      for i = 1, #plan.changes do assert.is_true(results[i], tostring(errors[i])) end
      local text2 = config.encode(assert(config.snapshot(cb, other)), "json")
      assert.equal(text1, (text2:gsub('"group_id": "g9"', '"group_id": "g1"')))
      assert.equal(0, #assert(config.plan(cb, want, other)).changes)
      ca:close() cb:close() a.stop() b.stop()
    end)
  end)
end)
