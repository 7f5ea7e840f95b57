-- The automation packs (find, user_digest, group_audit's sections, inventory) against one
-- simulator in a child process, seeded through the entity packs.
local helpers = require "spec.helpers"
local sim_process = require "spec.support.sim_process"
local cjson = require "cjson"

local q = helpers.shell_quote
local HOST = q(helpers.host())
local PASSWORD = "Pw-auto-" .. tostring(os.time())

local write_file = helpers.temp_file

-- the seed: pack -> CSV, sent in this order
local SEED = {
  { "group_numbers_assign", "service_provider_id,group_id,phone_numbers\nsp1,g1,3015550001;3015550002;3015550003\n" },
  { "devices_add", "service_provider_id,group_id,device_name,device_type\n" ..
    "sp1,g1,lobby,Generic SIP Phone\nsp1,g1,desk1,Generic SIP Phone\nsp1,g1,desk2,Generic SIP Phone\n" },
  { "hunt_groups_add", "service_provider_id,group_id,service_user_id,name,phone_number,extension,aliases,agents\n" ..
    "sp1,g1,hg-sales@example.net,\"Sales, Ünited\",3015550001,7001,sip:sales@example.net,user000001@example.net\n" ..
    "sp1,g1,hg-empty@example.net,Empty,,7002,,\n" },
  { "call_centers_add", "service_provider_id,group_id,service_user_id,name,password,extension,agents\n" ..
    "sp1,g1,cc-help@example.net,Help,Cc-Pass-1,7101,user000002@example.net\n" },
  { "auto_attendants_add", "service_provider_id,group_id,service_user_id,name,phone_number,extension\n" ..
    "sp1,g1,aa-main@example.net,Main,3015550002,7200\n" },
  { "pickup_groups_add", "service_provider_id,group_id,name,users\nsp1,g1,Front,user000001@example.net\n" },
  { "group_admins_add", "service_provider_id,group_id,user_id,last_name,first_name\nsp1,g1,ga1@example.net,Admin,Group\n" },
  { "services_assign", "user_id,services\nuser000001@example.net,Call Forwarding Busy\n" },
  { "users_modify", "user_id,aliases\nuser000004@example.net,sip:ann.alias@example.net\n" },
  -- user 1 on device desk1: any field of the request is a column, by its dotted path
  { "users_modify", "user_id,endpoint.access_device_endpoint.access_device.device_level," ..
    "endpoint.access_device_endpoint.access_device.device_name,endpoint.access_device_endpoint.line_port\n" ..
    "user000001@example.net,Group,desk1,user000001_1@example.net\n" },
}

describe("automation packs", function()
  local sim
  setup(function()
    sim = sim_process.start{ users = 30, seconds = 300, password = PASSWORD }
    assert(sim.port, "simulator did not start: " .. tostring(sim.ready))
    for _, s in ipairs(SEED) do
      local file = write_file(s[2])
      local _, code, err = sim.sh(HOST .. " run " .. s[1] .. " " .. q(file))
      os.remove(file)
      assert(code == 0, s[1] .. ": " .. err)
    end
  end)
  teardown(function() if sim then sim.stop() end end)

  local function run(args) return sim.sh(HOST .. " run " .. args .. " </dev/null") end

  describe("find", function()
    it("--number: a user's number (national or display form) prints its id and kind", function()
      local out, code, err = run("find --number 2025550001")
      assert.are.equal(0, code, err)
      assert.are.equal("user000001@example.net user sp1/g1", out:match("^[^(]*"):match("^(.-)%s*$"))
      out = run("find --number +1-2025550007 --sp sp1")
      assert.matches("^user000007@example%.net user sp1/g1 ", out)
    end)

    it("--number: hunt groups and auto attendants own numbers too; an unused one belongs to its group", function()
      local out, code = run("find --number 3015550001 --format json")
      assert.are.equal(0, code)
      local owners = cjson.decode(out)
      assert.are.equal(1, #owners)
      assert.are.equal("hg-sales@example.net", owners[1].id)
      assert.are.equal("hunt_group", owners[1].kind)
      assert.are.equal("Sales, Ünited", owners[1].name)
      assert.matches("^aa%-main@example%.net auto_attendant sp1/g1", (run("find --number 3015550002 --group sp1/g1")))
      assert.matches("^sp1/g1 group sp1/g1 %(assigned to the group, not in use%)", (run("find --number 3015550003")))
      local _, code2, err2 = run("find --number 9998887777")
      assert.are.equal(1, code2)
      assert.matches("nothing owns number 9998887777 in the whole system", err2)
    end)

    it("--extension needs --group and finds users and service instances", function()
      local _, code, err = run("find --extension 7101")
      assert.are.equal(2, code)
      assert.matches("%-%-extension needs %-%-group", err)
      assert.matches("^cc%-help@example%.net call_center sp1/g1 %(Help%)", (run("find --extension 7101 --group sp1/g1")))
      assert.matches("^user000003@example%.net user sp1/g1", (run("find --extension 0003 --group sp1/g1")))
    end)

    it("--alias: any case, with or without sip:", function()
      local out, code, err = run("find --alias SALES@example.net --group sp1/g1")
      assert.are.equal(0, code, err)
      assert.matches("^hg%-sales@example%.net hunt_group sp1/g1", out)
      out = run("find --alias ANN.ALIAS@example.net --sp sp1")
      assert.matches("^user000004@example%.net user sp1/g1", out)
      assert.are.equal(1, select(2, run("find --alias sip:nobody@example.net")))
    end)

    it("--id: every kind of owner, system-wide", function()
      assert.matches("^hg%-empty@example%.net hunt_group", (run("find --id hg-empty@example.net")))
      assert.matches("^ga1@example%.net group_admin sp1/g1 %(Group Admin%)", (run("find --id ga1@example.net")))
      assert.matches("^user000009@example%.net user sp1/g1", (run("find --id user000009@example.net")))
      assert.are.equal(1, select(2, run("find --id nobody@example.net")))
      local _, code, err = run("find --id x --number 1")
      assert.are.equal(2, code)
      assert.matches("give one of", err)
    end)

    it("--dry-run connects to nothing", function()
      local out, code = helpers.exec("OCIP_HOST=127.0.0.1 OCIP_PORT=1 OCIP_TLS=0 OCIP_USERNAME=x OCIP_PASSWORD=x " ..
        HOST .. " run find --number 2025550001 --dry-run </dev/null")
      assert.are.equal(0, code)
      assert.matches("would connect to tcp 127%.0%.0%.1:1 as x and look for number 2025550001 in the whole system", out)
    end)
  end)

  describe("user_digest", function()
    it("prints profile, services, forwarding and membership as text", function()
      local out, code, err = run("user_digest user000001@example.net")
      assert.are.equal(0, code, err)
      assert.matches("^user user000001@example%.net %(", out)
      assert.matches("\n  phone_number%s+2025550001\n", out)
      assert.matches("\nforwarding\n  always%s+off\n", out)
      assert.matches("\nservices %(1%)\n  Call Forwarding Busy\n", out)
      assert.matches("\ndevices %(1%)\n  desk1  line/port user000001_1@example%.net\n", out)
      assert.matches("\nhunt groups %(1%)\n  hg%-sales@example%.net  Sales, Ünited\n", out)
      assert.matches("\ncall centers %(0%)\n", out)
    end)

    it("JSON with the sections in a stable order; the same twice", function()
      local out, code = run("user_digest user000002@example.net --format json")
      assert.are.equal(0, code)
      local d = cjson.decode(out)
      assert.are.equal("user000002@example.net", d.user.user_id)
      assert.are.equal("g1", d.user.group_id)
      assert.is_false(d.forwarding.busy.active)
      assert.same({}, d.hunt_groups)
      assert.are.equal(1, #d.call_centers)
      assert.are.equal("cc-help@example.net", d.call_centers[1].id)
      assert.are.equal("7101", d.call_centers[1].extension)
      local order = {}
      for key in out:gmatch('\n  "([%w_]+)":') do order[#order + 1] = key end
      assert.same({ "user", "services", "service_packs", "devices", "forwarding", "hunt_groups", "call_centers" }, order)
      assert.are.equal(out, (run("user_digest user000002@example.net --format json")))
    end)

    it("Markdown, to a file that appears when complete", function()
      local file = os.tmpname()
      local _, code, err = run("user_digest --user-id user000003@example.net --format md --out " .. q(file))
      assert.are.equal(0, code, err)
      local f = assert(io.open(file, "rb"))
      local md = f:read("a")
      f:close()
      os.remove(file)
      assert.matches("^# user000003@example%.net — ", md)
      assert.matches("\n## Profile\n\n| field | value |\n|%-%-%-|%-%-%-|\n| user_id | user000003@example%.net |\n", md)
      assert.matches("\n## Call forwarding\n", md)
    end)

    it("an unknown user: exit 1 with the server's answer; a bad --format: exit 2", function()
      local _, code, err = run("user_digest nobody@example.net")
      assert.are.equal(1, code)
      assert.matches("4008", err)
      _, code, err = run("user_digest user000001@example.net --format csv")
      assert.are.equal(2, code)
      assert.matches("%-%-format: csv is not one of json, md, text", err)
    end)
  end)

  describe("group_audit sections", function()
    it("keeps its columns, adds devices, numbers, hunt groups, call centers, services behind flags", function()
      local out, code, err = run("group_audit --group sp1/g1")
      assert.are.equal(0, code, err)
      assert.matches("^service_provider_id,group_id,users,without_phone,without_email\r\n", out)
      out, code, err = run("group_audit --group sp1/g1 --all --ids --format ndjson")
      assert.are.equal(0, code, err)
      local a = cjson.decode(out)
      assert.are.equal(30, a.users)
      assert.are.equal(3, a.devices)
      assert.are.equal(2, a.hunt_groups)
      assert.are.equal(1, a.call_centers)
      assert.are.equal(0, a.call_centers_no_agents)
      assert.same({}, a.call_centers_without_agents)
      assert.are.equal(1, a.hunt_groups_no_agents)
      assert.same({ "hg-empty@example.net" }, a.hunt_groups_without_agents)
      assert.are.equal(29, a.users_no_services)
      assert.are.equal(a.numbers - 30 - 2, a.numbers_free) -- users and the two service numbers
      assert.same({ "3015550003" }, a.free_numbers)
      local order = {}
      for key in out:gmatch('"([%w_]+)":') do order[#order + 1] = key end
      assert.same({ "service_provider_id", "group_id", "users", "without_phone", "without_email",
        "users_without_phone", "users_without_email", "devices", "numbers", "numbers_free", "free_numbers",
        "hunt_groups", "hunt_groups_no_agents", "hunt_groups_without_agents", "call_centers",
        "call_centers_no_agents", "call_centers_without_agents", "users_no_services", "users_without_services" },
        order)
    end)
  end)

  describe("inventory", function()
    it("service providers -> groups -> counts, with totals, in a stable order", function()
      local file = os.tmpname()
      local _, code, err = run("inventory --out " .. q(file))
      assert.are.equal(0, code, err)
      local f = assert(io.open(file, "rb"))
      local text = f:read("a")
      f:close()
      os.remove(file)
      local inv = cjson.decode(text)
      local g = inv.service_providers[1].groups[1]
      assert.are.equal("sp1", inv.service_providers[1].id)
      assert.are.equal("g1", g.id)
      assert.are.equal(30, g.users)
      assert.are.equal(3, g.devices)
      assert.are.equal(2, g.hunt_groups)
      assert.are.equal(1, g.call_centers)
      assert.are.equal(1, g.auto_attendants)
      assert.are.equal(1, g.pickup_groups)
      assert.are.equal(33, g.numbers)
      assert.are.equal(1, inv.totals.service_providers)
      assert.are.equal(30, inv.totals.users)
      assert.matches('^{\n  "totals": {\n    "service_providers": 1,\n    "groups": 1,\n    "users": 30,', text)
    end)
  end)
end)
