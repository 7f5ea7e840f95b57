-- ocip.bulk.recipe and its helpers (menus, ranges) without a server: cell conversions,
-- friendly and virtual columns through the input engine, defaults, --help, and the
-- default number of commands in flight.
local recipe = require "ocip.bulk.recipe"
local menus = require "ocip.bulk.menus"
local ranges = require "ocip.bulk.ranges"
local input = require "ocip.bulk.input"
local pack = require "ocip.pack"
local NIL = require("ocip").NIL

describe("recipe cells", function()
  it("national numbers, MAC addresses, lists", function()
    assert.are.equal("2025550100", recipe.national("+1-2025550100"))
    assert.are.equal("2025550100", recipe.national("2025550100"))
    assert.are.equal("001A2B3C4D5E", recipe.mac("00:1a:2B-3c.4d:5e"))
    assert.same({ "a", "b" }, recipe.list(" a ; ;b; "))
  end)

  it("auto attendant keys: KEY=ACTION[:TARGET], any case; a key off the menu only in a modify", function()
    local keys = assert(menus.keys("0=transfer to operator:7000; 1=Transfer Without Prompt:7001;9=Repeat Menu;" ..
      "#=Transfer To Submenu:sales"))
    assert.same({ key = "0", entry = { action = "Transfer To Operator", phone_number = "7000" } }, keys[1])
    assert.same({ key = "9", entry = { action = "Repeat Menu" } }, keys[3])
    assert.same({ key = "#", entry = { action = "Transfer To Submenu", submenu_id = "sales" } }, keys[4])
    assert.are.equal(NIL, assert(menus.keys("5=", true))[1].entry)
    assert.matches("no action", select(2, menus.keys("5=", false)))
    assert.matches("unknown action 'Dance'", select(2, menus.keys("1=Dance")))
    assert.matches("given twice", select(2, menus.keys("1=Exit;1=Exit")))
    assert.matches("expected KEY=ACTION", select(2, menus.keys("x=Exit")))
    assert.same({ type = "Group", name = "Business Hours" }, menus.schedule("Business Hours"))
    assert.same({ type = "Service Provider", name = "Open" }, menus.schedule("service provider: Open"))
  end)

  it("number ranges: FIRST-LAST in national or display form; the key names them", function()
    local f = { service_provider_id = "sp1", group_id = "g1", phone_number = { "2025550001" } }
    assert.is_nil(ranges.prepare(f, { ranges = "+1-2025550100-+1-2025550109; 2025550200-2025550200" }))
    assert.same({ { min_phone_number = "2025550100", max_phone_number = "2025550109" },
      { min_phone_number = "2025550200", max_phone_number = "2025550200" } }, f.dn_range)
    assert.are.equal("sp1/g1 2025550100-2025550109;2025550200-2025550200;2025550001", ranges.key(f))
    assert.matches("must not be after", ranges.prepare({}, { ranges = "2025550109-2025550100" }))
    assert.matches("is not FIRST%-LAST", ranges.prepare({}, { ranges = "2025550109" }))
  end)
end)

describe("recipe columns through the input engine", function()
  local columns = {
    name = { path = "service_instance_profile.name" },
    agents = { path = "agent_user_id_list.user_id", clear = "agent_user_id_list" },
    phone_number = { path = "service_instance_profile.phone_number", value = recipe.national },
    note = { virtual = true },
    service_user_id = { path = "service_user_id" },
  }
  local REQ = "GroupHuntGroupModifyInstanceRequest"

  it("aliases, conversions, @nil at the clear path, virtual columns kept aside, --set by alias", function()
    local items, problems = input.load(REQ, "service_user_id,name,agents,phone_number,note\n" ..
      "hg@x.net,Sales,a@x.net;b@x.net,+1-2025550100,hello\n" ..
      "hg2@x.net,,@nil,,\n", { columns = columns, set = { "NAME=Fixed" } })
    assert.same({}, problems)
    assert.matches("set twice", items[1].problems[1]) -- a column and --set both give name
    local f = items[2].fields
    assert.are.equal("Fixed", f.service_instance_profile.name)
    assert.are.equal(NIL, f.agent_user_id_list)
    items = input.load(REQ, "service_user_id,name,agents,phone_number,note\n" ..
      "hg@x.net,Sales,a@x.net;b@x.net,+1-2025550100,hello\n", { columns = columns })
    f = items[1].fields
    assert.same({ "a@x.net", "b@x.net" }, f.agent_user_id_list.user_id)
    assert.are.equal("2025550100", f.service_instance_profile.phone_number)
    assert.are.equal("hello", items[1].extra.note)
    assert.is_not_nil(items[1].req)
  end)

  it("JSON objects use the same columns; columns_only leaves other keys out or names them", function()
    local items = input.load(REQ, '[{"service_user_id":"hg@x.net","agents":["a@x.net"],"note":"n","policy":"Regular"}]',
      { columns = columns, columns_only = true })
    assert.same({ "a@x.net" }, items[1].fields.agent_user_id_list.user_id)
    assert.are.equal("n", items[1].extra.note)
    assert.matches("unknown column 'policy'", items[1].problems[1])
    items = input.load(REQ, '[{"service_user_id":"hg@x.net","policy":"Regular"}]',
      { columns = columns, columns_only = true, ignore_unknown = true })
    assert.is_nil(items[1].fields.policy)
    assert.is_not_nil(items[1].req)
  end)

  it("a prepare hook's problem makes the row skipped; the key function names the row", function()
    local items = input.load(REQ, "service_user_id,note\nhg@x.net,bad\nhg2@x.net,good\n", {
      columns = columns,
      prepare = function(_, extra) if extra.note == "bad" then return "note: bad" end end,
      key = function(fields) return "K:" .. fields.service_user_id end,
    })
    assert.same({ "note: bad" }, items[1].problems)
    assert.are.equal("K:hg2@x.net", items[2].key)
    assert.is_not_nil(items[2].req)
  end)
end)

describe("recipe help and defaults", function()
  it("--help lists the request, the columns (required marked), defaults and outcome codes", function()
    local text = recipe.help{ name = "x_add", summary = "add x", request = "GroupHuntGroupAddInstanceRequest20",
      columns = { { "service_user_id", required = true, doc = "the id" }, { "agents", path = "agent_user_id" } },
      defaults = { { "policy", "Regular" }, { "service_instance_profile.calling_line_id_last_name",
        from = "service_instance_profile.name" } },
      codes = recipe.EXISTS, example = "scripts/examples/x.csv" }
    assert.matches("usage: ocip run x_add FILE", text)
    assert.matches("sends      GroupHuntGroupAddInstanceRequest20 per row", text)
    assert.matches("service_user_id %*%s+the id", text)
    assert.matches("agents%s+= agent_user_id", text)
    assert.matches("policy = Regular,%s+service_instance_profile%.calling_line_id_last_name = service_instance_profile%.name", text)
    assert.matches("exists %(error 4010%)", text)
    assert.matches("example: ocip run x_add scripts/examples/x%.csv %-%-dry%-run", text)
  end)

  it("bulk packs keep every session's documents full: 2 x sessions x batch in flight unless told", function()
    assert.are.equal(120, pack.auto_concurrency{})
    assert.are.equal(60, pack.auto_concurrency{ sessions = 2 })
    assert.are.equal(16, pack.auto_concurrency{ sessions = 8, batch = 1 })
    local p = pack.new{ name = "t", concurrency = "auto" }
    assert.is_nil(p:parse{}.concurrency)
    assert.are.equal(5, p:parse{ "--concurrency", "5" }.concurrency)
    assert.matches("2 x sessions x batch", p.help)
    assert.are.equal(pack.DEFAULT_CONCURRENCY, pack.new{ name = "u" }:parse{}.concurrency)
  end)
end)
