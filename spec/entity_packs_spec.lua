-- The group entity packs (devices, hunt groups, call centers, auto attendants, pickup
-- groups) against one simulator in a child process: 200+ row files with bad rows
-- (missing field, duplicate, a row the server refuses, a bad value; names with non-ASCII
-- letters, commas and quotes), the report lists every row, the simulator holds exactly
-- the good rows, and --dry-run sends nothing: the last test stops the simulator and
-- checks its run log holds exactly the writes the real runs sent.
local helpers = require "spec.helpers"
local sim_process = require "spec.support.sim_process"
local fixture = require "spec.support.pack_fixture"

local q = helpers.shell_quote
local PASSWORD = "Pw-entity-" .. tostring(os.time())
local N = 200
local cc_agents, agents_changes -- (the call center checks, defined with the spec's simulator)

local function uid(i) return ("user%06d@example.net"):format(i) end

describe("entity packs", function()
  local sim
  local sent = {} -- request name -> writes the simulator must have run
  local function wrote(request, n) sent[request] = (sent[request] or 0) + n end

  setup(function()
    sim = sim_process.start{ users = 300, seconds = 600, password = PASSWORD, run_log = true }
    assert(sim.port, "simulator did not start: " .. tostring(sim.ready))
  end)
  teardown(function() if sim then sim.stop() end end)

  local function send(command) return fixture.send(sim, command) end

  local function dry_then_real(pack, fx, args) return fixture.dry_then_real(sim, pack, fx, args) end

  -- the requests that reach the server for a fixture: good rows + refused rows
  local function sent_rows(fx) return fixture.count(fx, "sent") end

  local function device_fixture(bad)
    return fixture.build{
      n = N, header = { "service_provider_id", "group_id", "device_name", "device_type", "mac_address", "description" },
      good = function(i)
        return { "sp1", "g1", ("dev%03d"):format(i), "Generic SIP Phone",
          ("00:04:f2:00:%02x:%02x"):format(i // 256, i % 256), fixture.name(i) }
      end,
      bad = bad,
    }
  end

  it("devices_add, devices_modify, devices_delete", function()
    local fx = device_fixture{
      [50] = { cells = { "sp1", "g1", "", "Generic SIP Phone", "", "no name" }, message = "device_name: required" },
      [60] = { duplicate = true, message = "duplicate" },
      [70] = { cells = { "sp1", "nosuchgroup", "devx", "Generic SIP Phone", "", "x" }, outcome = "failed", code = "4152" },
      [80] = { cells = { "sp1", "g1", "devbadmac", "Generic SIP Phone", "00:04:f2:00:00:00:00:01", "" },
        message = "mac_address" },
    }
    dry_then_real("devices_add", fx)
    wrote("GroupAccessDeviceAddRequest22V2", sent_rows(fx))
    local devices = {}
    for _, d in ipairs(send("GroupAccessDeviceGetListRequest service_provider_id=sp1 group_id=g1").access_device_table) do
      devices[d.device_name] = d
    end
    for i = 1, N do
      local d = devices[fx.cell(i, "device_name")]
      assert(d, fx.cell(i, "device_name"))
      assert.are.equal(fx.cell(i, "mac_address"):gsub(":", ""):upper(), d.mac_address)
    end
    assert.is_nil(devices.devbadmac)
    assert.is_nil(devices.devx)
    for i = 1, #fixture.NAMES do -- names with non-ASCII letters, commas, quotes, as written
      local d = send("GroupAccessDeviceGetRequest22V2 service_provider_id=sp1 group_id=g1 device_name=" ..
        fx.cell(i, "device_name"))
      assert.are.equal(fx.cell(i, "description"), d.description)
    end

    -- a second run: every good row "exists"
    local rows, code = fixture.run(sim, "devices_add", fx.path)
    assert.are.equal(1, code)
    assert.are.equal(N, #(function()
      local t = {}
      for _, r in ipairs(rows) do if r.outcome == "exists" then t[#t + 1] = r end end
      return t
    end)())
    wrote("GroupAccessDeviceAddRequest22V2", sent_rows(fx))

    -- modify: clear half the MAC addresses, change descriptions; a device that is not there
    local mod = fixture.build{
      n = N, header = { "service_provider_id", "group_id", "device_name", "description", "mac_address" },
      good = function(i) return { "sp1", "g1", ("dev%03d"):format(i), "New " .. fixture.name(i), i % 2 == 0 and "@nil" or "" } end,
      bad = {
        [10] = { cells = { "sp1", "g1", "nosuchdevice", "x", "" }, outcome = "failed", code = "4505" },
        [20] = { cells = { "sp1", "g1", "dev020", "y", "" }, message = "duplicate row" },
        [30] = { cells = { "sp1", "g1", "dev030", "", "notamac-000000" }, message = "mac_address" },
      },
    }
    dry_then_real("devices_modify", mod)
    wrote("GroupAccessDeviceModifyRequest22", sent_rows(mod))
    devices = {}
    for _, d in ipairs(send("GroupAccessDeviceGetListRequest service_provider_id=sp1 group_id=g1").access_device_table) do
      devices[d.device_name] = d
    end
    assert.is_nil(devices.dev002.mac_address)
    assert.are.equal("0004F2000001", devices.dev001.mac_address)
    local d = send("GroupAccessDeviceGetRequest22V2 service_provider_id=sp1 group_id=g1 device_name=dev003")
    assert.are.equal("New " .. fixture.name(3), d.description)

    -- delete, from the add file: its other columns are ignored; the refused row's group
    -- is not there (4007); a device deleted twice is "absent"
    local del = device_fixture{
      [50] = { cells = { "sp1", "g1", "", "", "", "" }, message = "device_name: required" },
      [60] = { duplicate = true, message = "duplicate" },
      [70] = { cells = { "sp1", "nosuchgroup", "devx", "", "", "" }, outcome = "failed", code = "4152" },
      [80] = { cells = { "sp1", "g1", "nosuchdevice", "", "", "" }, outcome = "absent" },
    }
    local _, code2, _, err2 = fixture.run(sim, "devices_delete", del.path)
    assert.are.equal(2, code2) -- --yes is needed
    assert.matches("without %-%-yes", err2)
    dry_then_real("devices_delete", del, "--yes")
    wrote("GroupAccessDeviceDeleteRequest", sent_rows(del))
    assert.same({}, send("GroupAccessDeviceGetListRequest service_provider_id=sp1 group_id=g1").access_device_table)
    for _, f in ipairs { fx, mod, del } do os.remove(f.path) end
  end)

  -- service instances: hunt groups, call centers, auto attendants share the shape
  local function instance_fixture(prefix, extra_header, extra_cells, bad)
    local header = { "service_provider_id", "group_id", "service_user_id", "name", "extension" }
    for _, h in ipairs(extra_header) do header[#header + 1] = h end
    return fixture.build{
      n = N, header = header,
      good = function(i)
        local cells = { "sp1", "g1", ("%s%03d@example.net"):format(prefix, i), fixture.name(i), tostring(5000 + i) }
        for _, c in ipairs(extra_cells(i)) do cells[#cells + 1] = c end
        return cells
      end,
      bad = bad,
    }
  end

  local function instances(request, table_name)
    local out = {}
    for _, r in ipairs(send(request .. " service_provider_id=sp1 group_id=g1")[table_name] or {}) do
      out[r.service_user_id] = r
    end
    return out
  end

  -- add, check the list, modify names, delete (from the add file) for one kind
  local function instance_cycle(kind)
    local function row(...) -- a row with the kind's own cells of a good row
      local cells = { ... }
      for _, c in ipairs(kind.cells(1)) do cells[#cells + 1] = c end
      return cells
    end
    local fx = instance_fixture(kind.prefix, kind.header, kind.cells, {
      [40] = { cells = row("sp1", "g1", "", "No id", "4999"), message = "service_user_id: required" },
      [50] = { duplicate = true, message = "duplicate" },
      [60] = { cells = row("sp1", "nosuchgroup", kind.prefix .. "x@example.net", "X", "4998"), outcome = "failed",
        code = "4152" },
      [70] = { cells = row("sp1", "g1", kind.prefix .. "long@example.net", ("L"):rep(31), "4997"),
        message = "name" }, -- over 30 characters
      [80] = kind.bad,
      [90] = kind.bad2 and kind.bad2(row),
    })
    dry_then_real(kind.name .. "_add", fx, kind.add_args)
    wrote(kind.add, sent_rows(fx))
    if kind.after then wrote(kind.after, kind.after_count) end
    local list = instances(kind.list, kind.table)
    local n = 0
    for _ in pairs(list) do n = n + 1 end
    assert.are.equal(N + (kind.bad2_added and 1 or 0), n)
    for i = 1, N do
      local r = list[fx.cell(i, "service_user_id")]
      assert(r, fx.cell(i, "service_user_id"))
      assert.are.equal(fx.cell(i, "name"), r.name)
      assert.are.equal(fx.cell(i, "extension"), r.extension)
    end

    local mod = fixture.build{
      n = N, header = { "service_user_id", "name", "extension" },
      good = function(i) return { ("%s%03d@example.net"):format(kind.prefix, i), "M " .. fixture.name(i), i % 2 == 0 and "@nil" or "" } end,
      bad = {
        [10] = { cells = { kind.prefix .. "none@example.net", "x", "" }, outcome = "failed", code = "4008" },
        [20] = { cells = { ("%s020@example.net"):format(kind.prefix), "other", "" }, message = "duplicate row" },
      },
    }
    dry_then_real(kind.name .. "_modify", mod)
    wrote(kind.modify, sent_rows(mod))
    list = instances(kind.list, kind.table)
    assert.are.equal("M " .. fixture.name(1), list[kind.prefix .. "001@example.net"].name)
    assert.are.equal("5001", list[kind.prefix .. "001@example.net"].extension) -- the profile merges
    assert.is_nil(list[kind.prefix .. "002@example.net"].extension) -- @nil cleared it
    if kind.check then kind.check(fx) end

    local del = instance_fixture(kind.prefix, {}, function() return {} end, {
      [40] = { cells = { "sp1", "g1", "", "", "" }, message = "service_user_id: required" },
      [50] = { duplicate = true, message = "duplicate" },
      [60] = { cells = { "sp1", "g1", kind.prefix .. "x@example.net", "", "" }, outcome = "absent" },
      [90] = kind.bad2_added and { cells = { "sp1", "g1", kind.bad2_added, "", "" }, outcome = "ok" },
    })
    dry_then_real(kind.name .. "_delete", del, "--yes")
    wrote(kind.delete, sent_rows(del))
    local left = {}
    for id, r in pairs(instances(kind.list, kind.table)) do left[id] = r.name end
    assert.same({}, left)
    for _, f in ipairs { fx, mod, del } do os.remove(f.path) end
  end

  it("hunt_groups_add (agents), hunt_groups_modify, hunt_groups_delete", function()
    instance_cycle{
      name = "hunt_groups", prefix = "hg", header = { "agents", "policy" },
      cells = function(i)
        return { ("user%06d@example.net;user%06d@example.net"):format(i, i + 1), ({ "Circular", "Regular", "" })[i % 3 + 1] }
      end,
      bad = { cells = { "sp1", "g1", "hgbad@example.net", "Bad", "4996", "", "Sideways" }, message = "policy" },
      bad2 = function() -- an agent that is not a user
        return { cells = { "sp1", "g1", "hgghost@example.net", "Ghost", "4995", "ghost@example.net", "" },
          outcome = "failed", code = "4008" }
      end,
      check = function()
        local hg = send("GroupHuntGroupGetInstanceRequest20 service_user_id=hg007@example.net")
        local ids = {}
        for k, a in ipairs(hg.agent_user_table) do ids[k] = a.user_id end
        assert.same({ "user000007@example.net", "user000008@example.net" }, ids)
        assert.are.equal("Circular", send("GroupHuntGroupGetInstanceRequest20 service_user_id=hg006@example.net").policy)
      end,
      add = "GroupHuntGroupAddInstanceRequest20", modify = "GroupHuntGroupModifyInstanceRequest",
      delete = "GroupHuntGroupDeleteInstanceRequest",
      list = "GroupHuntGroupGetInstanceListRequest", table = "hunt_group_table",
    }
  end)

  function cc_agents(id)
    local ids = {}
    for k, a in ipairs(send("GroupCallCenterGetAgentListRequest service_user_id=" .. id).agent_table) do
      ids[k] = a.user_id
    end
    return ids
  end

  -- call_centers_agents on the call centers cc001..cc200: set, add, remove
  function agents_changes()
    local before4 = cc_agents("cc004@example.net")
    local fx = fixture.build{
      n = N, header = { "service_user_id", "agents", "add_agents", "remove_agents" },
      good = function(i)
        local id = ("cc%03d@example.net"):format(i)
        if i % 3 == 0 then return { id, ("%s;%s"):format(uid(i), uid(i + 1)), "", "" } end
        if i % 3 == 1 then return { id, "", uid(i + 2), "" } end
        return { id, "", "", uid(i) }
      end,
      bad = {
        [30] = { cells = { "cc030@example.net", uid(1), uid(2), "" }, message = "not both" },
        [40] = { cells = { "ccnone@example.net", uid(1), "", "" }, outcome = "failed", code = "4008" },
        [50] = { cells = { "cc050@example.net", "", "", "" }, message = "duplicate" },
        [60] = { cells = { "ccghost@example.net", "ghost@example.net", "", "" }, outcome = "failed", code = "4008" },
      },
    }
    dry_then_real("call_centers_agents", fx)
    wrote("GroupCallCenterModifyAgentListRequest", sent_rows(fx))
    assert.same({ uid(3), uid(4) }, cc_agents("cc003@example.net"))
    local want = before4
    want[#want + 1] = uid(6)
    assert.same(want, cc_agents("cc004@example.net")) -- added at the end
    assert.same({}, cc_agents("cc008@example.net")) -- its only agent removed
    assert.same({ uid(60), uid(61) }, cc_agents("cc060@example.net"))
    assert.same({}, cc_agents("ccghost@example.net")) -- the refused list left it as it was
    os.remove(fx.path)
  end

  it("call_centers_add (agents as a follow-up request), call_centers_modify, call_centers_agents, call_centers_delete", function()
    local with_agents = 0
    for i = 1, N do if i % 4 == 0 then with_agents = with_agents + 1 end end
    instance_cycle{
      name = "call_centers", prefix = "cc", header = { "password", "agents", "type" },
      cells = function(i)
        return { "Cc-Pass-" .. i, i % 4 == 0 and ("user%06d@example.net"):format(i) or "", i % 2 == 0 and "Premium" or "" }
      end,
      bad = { cells = { "sp1", "g1", "ccbad@example.net", "Bad", "4996", "", "", "Gold" }, message = "type" },
      -- the call center is added, its agent list refused: the row fails, naming both
      bad2 = function()
        return { cells = { "sp1", "g1", "ccghost@example.net", "Ghost", "4995", "Cc-Pass-0", "ghost@example.net", "" },
          outcome = "failed", code = "4008",
          message = "GroupCallCenterAddInstanceRequest22 done, but GroupCallCenterModifyAgentListRequest failed" }
      end,
      bad2_added = "ccghost@example.net",
      check = function()
        assert.same({ "user000008@example.net" }, cc_agents("cc008@example.net"))
        assert.same({}, cc_agents("cc007@example.net"))
        agents_changes()
      end,
      add = "GroupCallCenterAddInstanceRequest22", modify = "GroupCallCenterModifyInstanceRequest22",
      delete = "GroupCallCenterDeleteInstanceRequest",
      after = "GroupCallCenterModifyAgentListRequest", after_count = with_agents + 1,
      list = "GroupCallCenterGetInstanceListRequest", table = "call_center_table",
    }
  end)

  it("auto_attendants_add (menus), auto_attendants_modify, auto_attendants_delete", function()
    instance_cycle{
      name = "auto_attendants", prefix = "aa", header = { "business_hours_keys" },
      cells = function(i)
        return { i % 2 == 0 and ("0=Transfer To Operator:7000; 1=Transfer Without Prompt:%d; 9=Repeat Menu"):format(5000 + i) or "" }
      end,
      bad = { cells = { "sp1", "g1", "aabad@example.net", "Bad", "4996", "1=Dance" }, message = "unknown action" },
      check = function()
        local function keys(id)
          local out = {}
          local aa = send("GroupAutoAttendantGetInstanceRequest24 service_user_id=" .. id)
          for _, k in ipairs((aa.business_hours_menu or {}).key_configuration or {}) do
            out[k.key] = k.entry.action .. (k.entry.phone_number and (":" .. k.entry.phone_number) or "")
          end
          return out
        end
        assert.same({ ["0"] = "Transfer To Operator:7000", ["1"] = "Transfer Without Prompt:5002", ["9"] = "Repeat Menu" },
          keys("aa002@example.net"))
        local f = assert(io.open(os.tmpname(), "w"))
        local file = os.tmpname()
        f:close()
        f = assert(io.open(file, "wb"))
        f:write("service_user_id,business_hours_keys\r\naa002@example.net,1=Transfer With Prompt:5999; 9=\r\n")
        f:close()
        local rows, code = fixture.run(sim, "auto_attendants_modify", file)
        os.remove(file)
        assert.are.equal(0, code)
        assert.are.equal("ok", rows[1].outcome)
        wrote("GroupAutoAttendantModifyInstanceRequest20", 1)
        assert.same({ ["0"] = "Transfer To Operator:7000", ["1"] = "Transfer With Prompt:5999" }, keys("aa002@example.net"))
      end,
      add = "GroupAutoAttendantAddInstanceRequest20", modify = "GroupAutoAttendantModifyInstanceRequest20",
      delete = "GroupAutoAttendantDeleteInstanceRequest",
      list = "GroupAutoAttendantGetInstanceListRequest", table = "auto_attendant_table",
    }
  end)

  it("pickup_groups_add, pickup_groups_modify, pickup_groups_delete", function()
    local fx = fixture.build{
      n = N, header = { "service_provider_id", "group_id", "name", "users" },
      good = function(i) return { "sp1", "g1", fixture.name(i), ("user%06d@example.net"):format(i) } end,
      bad = {
        [40] = { cells = { "sp1", "g1", "", "" }, message = "name: required" },
        [50] = { duplicate = true, message = "duplicate" },
        [60] = { cells = { "sp1", "g1", "Ghosts", "nobody@example.net" }, outcome = "failed", code = "4008" },
      },
    }
    dry_then_real("pickup_groups_add", fx)
    wrote("GroupCallPickupAddInstanceRequest", sent_rows(fx))
    local names = send("GroupCallPickupGetInstanceListRequest service_provider_id=sp1 group_id=g1").name
    table.sort(names)
    local want = {}
    for i = 1, N do want[i] = fx.cell(i, "name") end
    table.sort(want)
    assert.same(want, names)
    local members = send("GroupCallPickupGetInstanceRequest service_provider_id=sp1 group_id=g1 " ..
      q("name=" .. fx.cell(2, "name"))).user_table
    assert.are.equal("user000002@example.net", members[1].user_id)

    -- modify: rename every group, add a member to the first hundred; a user already in
    -- another pickup group is refused (4225), an unknown group too (4009)
    local mod = fixture.build{
      n = N, header = { "service_provider_id", "group_id", "name", "new_name", "users" },
      good = function(i)
        return { "sp1", "g1", fx.cell(i, "name"), "R " .. fx.cell(i, "name"),
          i <= 100 and (uid(i) .. ";" .. uid(200 + i)) or "" }
      end,
      bad = {
        [30] = { cells = { "sp1", "g1", "R " .. fx.cell(1, "name"), "", uid(2) }, outcome = "failed", code = "4225" },
        [40] = { cells = { "sp1", "g1", "Nowhere", "Somewhere", "" }, outcome = "failed", code = "4009" },
      },
    }
    dry_then_real("pickup_groups_modify", mod)
    wrote("GroupCallPickupModifyInstanceRequest", sent_rows(mod))
    members = send("GroupCallPickupGetInstanceRequest service_provider_id=sp1 group_id=g1 " ..
      q("name=R " .. fx.cell(5, "name"))).user_table
    assert.same({ uid(5), uid(205) }, { members[1].user_id, members[2].user_id })

    local del = fixture.build{
      n = N, header = { "service_provider_id", "group_id", "name", "users" },
      good = function(i) return { "sp1", "g1", "R " .. fx.cell(i, "name"), "" } end,
      bad = { [60] = { cells = { "sp1", "g1", "Ghosts", "" }, outcome = "absent" } },
    }
    dry_then_real("pickup_groups_delete", del, "--yes")
    wrote("GroupCallPickupDeleteInstanceRequest", sent_rows(del))
    assert.same({}, send("GroupCallPickupGetInstanceListRequest service_provider_id=sp1 group_id=g1").name or {})
    for _, f in ipairs { fx, mod, del } do os.remove(f.path) end
  end)

  it("an unknown column is a problem with the file: nothing is sent (exit 2)", function()
    local fx = device_fixture{}
    local f = assert(io.open(fx.path, "rb"))
    local text = f:read("a"):gsub("^([^\r]*)", "%1,colour", 1)
    f:close()
    f = assert(io.open(fx.path, "wb"))
    f:write(text)
    f:close()
    local _, code, _, err = fixture.run(sim, "devices_add", fx.path)
    assert.are.equal(2, code)
    assert.matches("unknown column 'colour'", err)
    assert.matches("nothing sent", err)
    os.remove(fx.path)
  end)

  it("the simulator ran exactly the writes of the real runs (dry runs sent nothing)", function()
    local result = sim.stop()
    sim = nil
    local ran = {}
    for _, line in ipairs(result.writes) do
      local name = line:match("^[^\t]+")
      ran[name] = (ran[name] or 0) + 1
    end
    assert.same(sent, ran)
    local total = 0
    for _, n in pairs(sent) do total = total + n end
    assert.are.equal(total, result.stats.writes_run)
  end)
end)
