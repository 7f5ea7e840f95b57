-- The packs about users and administrators (users_modify, group and service provider
-- administrators and policies, services, phone numbers of groups and users) against one
-- simulator in a child process, with 200+ row files holding bad rows; the last test stops
-- the simulator and checks from its run log that the dry runs sent nothing and every
-- real row ran once.
local helpers = require "spec.helpers"
local sim_process = require "spec.support.sim_process"
local fixture = require "spec.support.pack_fixture"

local q = helpers.shell_quote
local PASSWORD = "Pw-people-" .. tostring(os.time())
local N = 200

local function uid(i) return ("user%06d@example.net"):format(i) end

describe("people packs", function()
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
  local function sent_rows(fx) return fixture.count(fx, "sent") end

  local function group_users()
    local users = {}
    for _, u in ipairs(send("UserGetListInGroupRequest service_provider_id=sp1 group_id=g1").user_table) do
      users[u.user_id] = u
    end
    return users
  end

  it("users_modify: names, e-mail, phone numbers in display form, @nil", function()
    local fx = fixture.build{
      n = N, header = { "user_id", "last_name", "first_name", "email_address", "reseller_id" },
      good = function(i)
        return { uid(i), fixture.name(i), "Fïrst " .. i, i % 3 == 0 and "@nil" or ("new%d@example.net"):format(i), "r1" }
      end,
      bad = {
        [40] = { cells = { "", "Nobody" }, message = "user_id: required" },
        [50] = { cells = { uid(50), "Twice" }, message = "duplicate row" },
        [60] = { cells = { "ghost@example.net", "Ghost" }, outcome = "failed", code = "4008" },
        [70] = { cells = { uid(70), ("x"):rep(31) }, message = "last_name" },
      },
    }
    dry_then_real("users_modify", fx)
    wrote("UserModifyRequest22", sent_rows(fx))
    local users = group_users()
    for i = 1, N do
      local u = users[uid(i)]
      assert.are.equal(fx.cell(i, "last_name"), u.last_name, uid(i))
      assert.are.equal(fx.cell(i, "first_name"), u.first_name)
      if i % 3 ~= 0 then assert.are.equal(fx.cell(i, "email_address"), u.email_address) end
    end
    os.remove(fx.path)
  end)

  it("users_modify reads NDJSON: an unknown key is that row's problem, named with its row", function()
    local fx = fixture.build{
      format = "ndjson", n = N, header = { "user_id", "title", "phone_number" },
      good = function(i) return { uid(i), "Title " .. fixture.name(i), i % 10 == 0 and ("+1-20255%05d"):format(i) or "" } end,
      bad = {
        [7] = { cells = { uid(7), "x" }, extra = { colour = "blue" }, message = "colour" },
        [8] = { cells = { "ghost@example.net", "x" }, outcome = "failed", code = "4008" },
      },
    }
    dry_then_real("users_modify", fx)
    wrote("UserModifyRequest22", sent_rows(fx))
    local u = send("UserGetRequest23V2 user_id=" .. uid(3))
    assert.are.equal("Title " .. fixture.name(3), u.title)
    os.remove(fx.path)
  end)

  it("group_numbers_assign (numbers and ranges), user_numbers_assign, user_numbers_unassign, group_numbers_unassign", function()
    local fx = fixture.build{
      n = N, header = { "service_provider_id", "group_id", "phone_numbers", "ranges" },
      good = function(i)
        if i % 2 == 0 then return { "sp1", "g1", ("+1-30155%05d"):format(i), "" } end
        return { "sp1", "g1", "", ("30166%03d00-30166%03d09"):format(i, i) }
      end,
      bad = {
        [40] = { cells = { "sp1", "", "3017770000", "" }, message = "group_id: required" },
        [50] = { duplicate = true, message = "duplicate" },
        [60] = { cells = { "sp1", "nosuchgroup", "3017770001", "" }, outcome = "failed", code = "4152" },
        [70] = { cells = { "sp1", "g1", "", "3017770009-3017770001" }, message = "ranges" },
        [80] = { cells = { "sp1", "g1", "3016600100", "" }, outcome = "failed", code = "4223" }, -- in row 1's range
      },
    }
    dry_then_real("group_numbers_assign", fx)
    wrote("GroupDnAssignListRequest", sent_rows(fx))
    local dns = {}
    for _, dn in ipairs(send("GroupDnGetListRequest service_provider_id=sp1 group_id=g1").phone_number) do dns[dn] = true end
    for i = 1, N do
      if i % 2 == 0 then assert(dns[("30155%05d"):format(i)], i)
      else
        assert(dns[("30166%03d00"):format(i)] and dns[("30166%03d09"):format(i)], i)
      end
    end
    assert.is_nil(dns["3017770001"])

    -- numbers to users: the even ones, to users 1..100
    local un = fixture.build{
      n = N / 2, header = { "user_id", "phone_number", "extension", "last_name" },
      good = function(i) return { uid(i), ("+1-30155%05d"):format(2 * i), ("%04d"):format(8000 + i), "ignored" } end,
      bad = {
        [10] = { cells = { uid(10), "" }, message = "phone_number" },
        [20] = { cells = { "ghost@example.net", "3015500002" }, outcome = "failed", code = "4008" },
        [30] = { cells = { uid(150), "+1-2025550151" }, outcome = "failed", code = "4223" }, -- user 151's
      },
    }
    dry_then_real("user_numbers_assign", un)
    wrote("UserModifyRequest22", sent_rows(un))
    local users = group_users()
    for i = 1, N / 2 do
      assert.are.equal(("+1-30155%05d"):format(2 * i), users[uid(i)].phone_number)
      assert.are.equal(("%04d"):format(8000 + i), users[uid(i)].extension)
      assert.are.equal(fixture.name(i), users[uid(i)].last_name) -- last_name is not a column of the pack
    end

    local rows, code = fixture.run(sim, "user_numbers_unassign", un.path)
    assert.are.equal(1, code)
    local ok = 0
    for _, r in ipairs(rows) do if r.outcome == "ok" then ok = ok + 1 end end
    -- row 10 repeats a user: skipped; row 20: no such user; row 30's user loses its number
    assert.are.equal(N / 2 + 1, ok)
    wrote("UserModifyRequest22", N / 2 + 2)
    users = group_users()
    for i = 1, N / 2 do assert.is_nil(users[uid(i)].phone_number, uid(i)) end

    local del = fixture.build{
      n = N, header = fx.header, good = function(i) return fx.good[i] end,
      bad = { [80] = { cells = { "sp1", "g1", "3017779999", "" }, outcome = "failed", code = "4224" } },
    }
    dry_then_real("group_numbers_unassign", del)
    wrote("GroupDnUnassignListRequest", sent_rows(del))
    dns = {}
    for _, dn in ipairs(send("GroupDnGetListRequest service_provider_id=sp1 group_id=g1").phone_number) do dns[dn] = true end
    assert.is_nil(dns["3015500002"])
    assert.is_nil(dns["3016600100"])
    for _, f in ipairs { fx, un, del } do os.remove(f.path) end
  end)

  local function admin_cycle(kind)
    local fx = fixture.build{
      n = N, header = kind.header,
      good = function(i) return kind.good(i) end,
      bad = kind.bad,
    }
    dry_then_real(kind.name .. "_add", fx)
    wrote(kind.add, sent_rows(fx))
    local admins = {}
    for _, a in ipairs(send(kind.list)[kind.table]) do admins[a.administrator_id] = a end
    for i = 1, N do
      local a = admins[fx.cell(i, "user_id")]
      assert(a, fx.cell(i, "user_id"))
      assert.are.equal(fx.cell(i, "last_name"), a.last_name)
    end

    local mod = fixture.build{
      n = N, header = { "user_id", "first_name", "language" },
      good = function(i) return { fx.cell(i, "user_id"), "Ñew " .. i, "English" } end,
      bad = {
        [30] = { cells = { "", "x" }, message = "user_id: required" },
        [40] = { cells = { "nobody-admin@example.net", "x" }, outcome = "failed", code = "4008" },
      },
    }
    dry_then_real(kind.name .. "_modify", mod)
    wrote(kind.modify, sent_rows(mod))
    if kind.before_delete then kind.before_delete() end
    if kind.modify_kept then
      admins = {}
      for _, a in ipairs(send(kind.list)[kind.table]) do admins[a.administrator_id] = a end
      assert.are.equal("Ñew 7", admins[fx.cell(7, "user_id")].first_name)
    end

    local del = fixture.build{
      n = N, header = kind.header, good = function(i) return fx.good[i] end,
      bad = { [40] = { cells = kind.absent_cells, outcome = "absent" } },
    }
    dry_then_real(kind.name .. "_delete", del, "--yes")
    wrote(kind.delete, sent_rows(del))
    assert.same({}, send(kind.list)[kind.table])
    return fx
  end

  it("group_admins_add, group_admins_modify, group_admins_policies, group_admins_delete", function()
    admin_cycle{
      name = "group_admins", header = { "service_provider_id", "group_id", "user_id", "last_name", "first_name", "password" },
      good = function(i) return { "sp1", "g1", ("ga%03d@example.net"):format(i), fixture.name(i), "G", "Ga-pass-" .. i } end,
      bad = {
        [40] = { cells = { "sp1", "g1", "", "X" }, message = "user_id: required" },
        [50] = { duplicate = true, message = "duplicate" },
        [60] = { cells = { "sp1", "nosuchgroup", "gax@example.net", "X" }, outcome = "failed", code = "4152" },
        [70] = { cells = { "sp1", "g1", uid(1), "Taken" }, outcome = "exists" }, -- admin ids share users' namespace
      },
      add = "GroupAdminAddRequest", modify = "GroupAdminModifyRequest", delete = "GroupAdminDeleteRequest",
      list = "GroupAdminGetListRequest service_provider_id=sp1 group_id=g1", table = "group_admin_table",
      absent_cells = { "sp1", "g1", "gax@example.net", "" }, modify_kept = true,
      -- policies: --set gives every row the same policy; a bad value is that row's problem
      before_delete = function()
        local pol = fixture.build{
          n = N, header = { "user_id", "profile", "access_device" },
          good = function(i) return { ("ga%03d@example.net"):format(i), i % 2 == 0 and "Read-Only" or "Full", "" } end,
          bad = {
            [30] = { cells = { "ga030@example.net", "Sometimes" }, message = "profile_access" },
            [40] = { cells = { "nobody@example.net", "Full" }, outcome = "failed", code = "4008" },
          },
        }
        dry_then_real("group_admins_policies", pol, "--set " .. q("user=Read-Only Profile"))
        wrote("GroupAdminModifyPolicyRequest", sent_rows(pol))
        local p2 = send("GroupAdminGetPolicyRequest20 user_id=ga002@example.net")
        assert.are.equal("Read-Only", p2.profile_access)
        assert.are.equal("Read-Only Profile", p2.user_access)
        assert.are.equal("Full", send("GroupAdminGetPolicyRequest20 user_id=ga003@example.net").profile_access)
        os.remove(pol.path)
      end,
    }
  end)

  it("sp_admins_add (default type), sp_admins_modify, sp_admins_delete", function()
    admin_cycle{
      name = "sp_admins", header = { "service_provider_id", "user_id", "last_name", "first_name", "administrator_type" },
      good = function(i)
        return { "sp1", ("sa%03d@example.net"):format(i), fixture.name(i), "S", i % 5 == 0 and "Customer" or "" }
      end,
      bad = {
        [40] = { cells = { "sp1", "", "X" }, message = "user_id: required" },
        [50] = { duplicate = true, message = "duplicate" },
        [60] = { cells = { "nosuchsp", "sax@example.net", "X" }, outcome = "failed", code = "4006" },
        [70] = { cells = { "sp1", "sabad@example.net", "X", "", "Boss" }, message = "administrator_type" },
      },
      add = "ServiceProviderAdminAddRequest14", modify = "ServiceProviderAdminModifyRequest",
      delete = "ServiceProviderAdminDeleteRequest",
      list = "ServiceProviderAdminGetListRequest14 service_provider_id=sp1", table = "service_provider_admin_table",
      absent_cells = { "sp1", "sax@example.net", "" }, modify_kept = true,
    }
  end)

  it("services_assign, services_unassign: --set for every row, unknown services refused before sending", function()
    local fx = fixture.build{
      n = N, header = { "user_id", "services", "last_name" },
      good = function(i) return { uid(i), i % 2 == 0 and "Call Forwarding Busy;Call Forwarding No Answer" or "", "x" } end,
      bad = {
        [40] = { cells = { "", "Call Forwarding Busy" }, message = "user_id: required" },
        [50] = { duplicate = true, message = "duplicate" },
        [60] = { cells = { "ghost@example.net" }, outcome = "failed", code = "4008" },
        [70] = { cells = { uid(70), "Teleportation" }, message = "service_name" },
      },
    }
    local function assigned(user)
      local a = send("UserServiceGetAssignmentListRequest user_id=" .. user)
      local out = {}
      for _, r in ipairs(a.user_services_assignment_table or {}) do
        if r.assigned == "true" then out[#out + 1] = r.service_name end
      end
      for _, r in ipairs(a.service_packs_assignment_table or {}) do
        if r.assigned == "true" then out[#out + 1] = "pack " .. r.service_pack_name end
      end
      table.sort(out)
      return out
    end
    dry_then_real("services_assign", fx, "--set service_packs=Pack-A")
    wrote("UserServiceAssignListRequest", sent_rows(fx))
    assert.same({ "Call Forwarding Busy", "Call Forwarding No Answer", "pack Pack-A" }, assigned(uid(2)))
    assert.same({ "pack Pack-A" }, assigned(uid(3)))
    dry_then_real("services_unassign", fx)
    wrote("UserServiceUnassignListRequest", sent_rows(fx))
    assert.same({ "pack Pack-A" }, assigned(uid(2)))
    -- a column and --set both giving a field: that row's problem
    local rows = fixture.run(sim, "services_assign", fx.path, q("--set=services=Call Waiting") .. " --dry-run")
    assert.are.equal("valid", rows[1].outcome)
    assert.matches("set twice", rows[2].message)
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
  end)
end)
