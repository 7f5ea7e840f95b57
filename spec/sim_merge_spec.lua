-- ocip.sim.merge: how a Modify request lands on a stored object.
local merge = require "ocip.sim.merge"
local NIL = require("ocip.sentinel").NIL

describe("ocip.sim.merge", function()
  it("replaces fields, clears nil ones, keeps the rest, skips what it is told to", function()
    local o = { a = 1, b = "x", c = true, id = "k" }
    merge.merge(o, { a = 2, b = NIL, id = "other", _type = "X" }, { id = true })
    assert.same({ a = 2, c = true, id = "k" }, o)
  end)

  it("merges nested records field by field, normalising their replacement lists", function()
    local o = { profile = { name = "A", extension = "10", alias = { "a@x" } } }
    merge.merge(o, { profile = { name = "B", extension = NIL, sip_alias_list = { sip_alias = { "b@x", "c@x" } } } })
    assert.same({ profile = { name = "B", alias = { "b@x", "c@x" } } }, o)
    -- a record that was not there comes in whole, its wrappers normalised too
    merge.merge(o, { endpoint = { contact_list = { contact = { "sip:1" } } } })
    assert.same({ contact = { "sip:1" } }, o.endpoint)
  end)

  it("replaces the Add request's list from a replacement list; nil empties it", function()
    local o = { agent_user_id = { "a", "b" } }
    merge.merge(o, { agent_user_id_list = { user_id = { "c" } } })
    assert.same({ agent_user_id = { "c" } }, o)
    merge.merge(o, { agent_user_id_list = NIL })
    assert.same({}, o)
  end)

  it("merges keyed records by key: change, add, remove (nil entry), sorted by key", function()
    local o = { keys = { { key = "1", entry = { action = "A", description = "one" } },
      { key = "2", entry = { action = "B" } } } }
    merge.merge(o, { keys = { { key = "1", entry = { action = "C" } }, { key = "2", entry = NIL },
      { key = "0", entry = { action = "D" } } } })
    assert.same({ { key = "0", entry = { action = "D" } },
      { key = "1", entry = { action = "C", description = "one" } } }, o.keys)
  end)

  it("replaces an abstract record of another type instead of mixing the two", function()
    local o = { department = { _type = "GroupDepartmentKey", group_id = "g1", name = "S" } }
    merge.merge(o, { department = { _type = "EnterpriseDepartmentKey", service_provider_id = "sp", name = "E" } })
    assert.same({ _type = "EnterpriseDepartmentKey", service_provider_id = "sp", name = "E" }, o.department)
  end)

  it("copies what it stores: later changes to the request do not reach the object", function()
    local req = { list = { "a" }, rec = { x = 1 } }
    local o = {}
    merge.merge(o, req)
    req.list[1], req.rec.x = "changed", 2
    assert.same({ list = { "a" }, rec = { x = 1 } }, o)
  end)
end)
