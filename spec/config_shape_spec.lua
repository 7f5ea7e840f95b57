-- ocip.config.shape: the catalog-driven rules between Get responses, files and requests.
local shape = require "ocip.config.shape"
local NIL = require("ocip").NIL

describe("configuration shapes", function()
  it("a Modify takes a field by name, as a replacement list, or inside a wrapper", function()
    local how, f = shape.accepts("UserModifyRequest22", "last_name")
    assert.equal("same", how)
    assert.equal("last_name", f.name)
    local inner
    how, f, inner = shape.accepts("UserModifyRequest22", "alias")
    assert.same({ "list", "sip_alias_list", "sip_alias" }, { how, f.name, inner.name })
    how, f, inner = shape.accepts("GroupHuntGroupModifyInstanceRequest", "agent_user_id")
    assert.same({ "list", "agent_user_id_list", "user_id" }, { how, f.name, inner.name })
    how, f, inner = shape.accepts("UserModifyRequest22", "access_device_endpoint")
    assert.same({ "wrap", "endpoint", "access_device_endpoint" }, { how, f.name, inner.name })
    assert.is_nil(shape.accepts("UserModifyRequest22", "user_count"))
  end)

  it("a file keeps what Add or Modify can set, without the group's own ids", function()
    local resp = { last_name = "L", user_count = 3, country_code = "1", time_zone_display_name = "x",
      default_alias = "sip:a@b", alias = { "sip:a@x" }, title = NIL,
      department = { _type = "GroupDepartmentKey", service_provider_id = "sp", group_id = "g", name = "Sales" },
      access_device_endpoint = { access_device = { device_level = "Group", device_name = "d" },
        line_port = "l@x", static_registration_capable = false, support_visual_device_management = false },
      address = {} }
    local out = shape.project(resp, { "UserAddRequest22V2", "UserModifyRequest22" },
      { service_provider_id = "sp", group_id = "g" })
    assert.same({ last_name = "L", alias = { "sip:a@x" },
      department = { _type = "GroupDepartmentKey", name = "Sales" },
      access_device_endpoint = { access_device = { device_level = "Group", device_name = "d" }, line_port = "l@x" } }, out)
    -- another group's department keeps its ids
    out = shape.project({ department = { _type = "GroupDepartmentKey", service_provider_id = "sp", group_id = "other", name = "X" } },
      { "UserAddRequest22V2" }, { service_provider_id = "sp", group_id = "g" })
    assert.equal("other", out.department.group_id)
  end)

  it("converts a file record to a Modify request, filling the target's ids", function()
    local bad = {}
    local out = shape.convert({ alias = { "sip:a@x" }, last_name = "L", title = NIL,
      department = { _type = "GroupDepartmentKey", name = "Sales" },
      access_device_endpoint = { access_device = { device_level = "Group", device_name = "d" }, line_port = "l@x" },
      shoe_size = 42 }, "UserModifyRequest22", { service_provider_id = "sp9", group_id = "g9" }, nil, bad)
    assert.same({ "shoe_size" }, bad)
    assert.same({ sip_alias = { "sip:a@x" } }, out.sip_alias_list)
    assert.equal(NIL, out.title)
    assert.same({ _type = "GroupDepartmentKey", service_provider_id = "sp9", group_id = "g9", name = "Sales" }, out.department)
    assert.equal("d", out.endpoint.access_device_endpoint.access_device.device_name)
    assert.is_truthy(require("ocip.catalog").build("UserModifyRequest22", (function()
      out.user_id = "u@x"
      return out
    end)()))
  end)

  it("knows which fields a Modify can clear", function()
    assert.is_true(shape.clearable("UserModifyRequest22", "title"))
    assert.is_true(shape.clearable("UserModifyRequest22", "alias"))       -- sip_alias_list is nillable
    assert.is_false(shape.clearable("UserModifyRequest22", "last_name"))
    assert.is_false(shape.clearable("UserModifyRequest22", "no_such_field"))
  end)
end)
