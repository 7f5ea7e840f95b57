-- The catalog seen from Lua: describe, find, commands (lazy constructors, pairs),
-- snake and XML names, and lazy materialisation of type descriptions.
local ocip = require "ocip"
local catalog = require "ocip.catalog"
local Error = require "ocip.error"

local function field(d, name)
  for _, f in ipairs(d.fields) do
    if f.name == name then return f end
  end
end

describe("catalog", function()
  it("materialises type descriptions lazily, one at a time", function()
    local before = catalog.stats().types
    local _, _, type_count = catalog.release()
    assert.is_true(type_count > 5000, "the release has thousands of types")
    assert.is_true(before < 100, ("%d types materialised before any lookup"):format(before))
    assert.truthy(catalog.type("UserGetRequest23V2"))
    assert.is_true(catalog.stats().types - before <= 1)
    assert.are.equal(catalog.type("UserGetRequest23V2"), catalog.type("UserGetRequest23V2"), "cached")
    assert.is_nil(catalog.type("NoSuchType"))
  end)

  it("describes a request: kind, response and fields in schema order", function()
    local d = assert(catalog.describe("UserGetRequest23V2"))
    assert.are.equal("request", d.kind)
    assert.are.equal("UserGetResponse23V2", d.response)
    assert.are.equal(1, #d.fields)
    local f = d.fields[1]
    assert.are.equal("user_id", f.name)
    assert.are.equal("userId", f.xml_name)
    assert.are.equal("UserId", f.type)
    assert.is_true(f.required)
    assert.is_false(f.list)
    assert.are.equal(1, f.min_occurs)
    assert.are.equal(1, f.max_occurs)
    assert.are.equal(1, f.facets.min_length)
    assert.are.equal(161, f.facets.max_length)
  end)

  it("describes lists, nillable fields, abstract types and enums", function()
    local d = catalog.describe("UserModifyRequest22")
    local names = {}
    for i, f in ipairs(d.fields) do names[i] = f.name end
    assert.are.same({ "user_id", "last_name", "first_name" }, { names[1], names[2], names[3] })
    local title = field(d, "title")
    assert.is_true(title.nillable)
    assert.is_false(title.required)
    local dept = field(d, "department")
    assert.is_true(dept.abstract)
    assert.are.same({ "EnterpriseDepartmentKey", "GroupDepartmentKey" }, dept.subs)
    local add = catalog.describe("UserAddRequest22V2")
    local alias = field(add, "alias")
    assert.is_true(alias.list)
    assert.are.equal(3, alias.max_occurs)
    local mode = field(catalog.describe("SearchCriteriaUserLastName"), "mode")
    assert.truthy(mode.enum)
    assert.is_true(#mode.enum >= 3)
  end)

  it("describes choices with group ids and branches", function()
    local d = catalog.describe("AuthenticationVerifyRequest22V4")
    local f = field(d, "login_token")
    assert.truthy(f.choice)
    local ch = d.choices[f.choice]
    assert.is_true(ch.required)
    assert.is_true(#ch.branches >= 4)
    assert.is_false(f.required)
  end)

  it("describes data and simple types", function()
    local d = catalog.describe("GroupDepartmentKey")
    assert.are.equal("data", d.kind)
    assert.are.equal("DepartmentKey", d.base)
    assert.are.equal("table", catalog.describe("OCITable").kind)
    local s = catalog.describe("UserId")
    assert.are.equal("simple", s.kind)
    assert.are.equal(161, s.facets.max_length)
    local none, err = catalog.describe("Nope")
    assert.is_nil(none)
    assert.is_true(Error.is(err))
  end)

  it("finds requests by case-insensitive substring or Lua pattern, sorted", function()
    local hunt = catalog.find("huntgroup")
    assert.is_true(#hunt > 5)
    for i, name in ipairs(hunt) do
      assert.truthy(name:lower():find("huntgroup", 1, true))
      if i > 1 then assert.is_true(hunt[i - 1] < name) end
      assert.truthy(name:find("Request", 1, true))
    end
    local pat = catalog.find("^UserGetRequest%d+V%d$")
    assert.truthy(#pat >= 1)
    for _, name in ipairs(pat) do assert.truthy(name:match("^UserGetRequest%d+V%d$")) end
    assert.are.same({}, catalog.find("zzzNoSuchThing"))
  end)

  it("ocip.commands builds validated request objects with XML names", function()
    local req = ocip.commands.UserGetRequest23V2 { user_id = "alice" }
    assert.are.equal("UserGetRequest23V2", req._type)
    assert.are.equal("alice", req.userId)
    local same = ocip.commands.UserGetRequest23V2 { userId = "alice" }
    assert.are.equal("alice", same.userId)
    assert.are.equal(ocip.commands.UserGetRequest23V2, ocip.commands.UserGetRequest23V2, "constructor cached")
  end)

  it("ocip.commands has no entry for unknown names or non-requests", function()
    assert.is_nil(ocip.commands.NoSuchRequest)
    assert.is_nil(ocip.commands.UserGetResponse23V2)
    assert.is_nil(ocip.commands.GroupDepartmentKey)
    assert.has_error(function() ocip.commands.X = 1 end)
  end)

  it("pairs(ocip.commands) lists every request without materialising types", function()
    local before = catalog.stats().types
    local n, last = 0, ""
    for name, ctor in pairs(ocip.commands) do
      n = n + 1
      assert.is_true(name > last)
      last = name
      assert.are.equal("function", type(ctor))
    end
    local _, _, _, request_count = catalog.release()
    assert.are.equal(request_count, n)
    assert.is_true(n > 3000)
    assert.are.equal(before, catalog.stats().types)
  end)

  it("build returns nil, err instead of raising", function()
    local req, err = catalog.build("UserGetRequest23V2", { user_id = 5 })
    assert.truthy(req) -- numbers are accepted for string fields
    assert.are.equal("5", req.userId)
    req, err = catalog.build("UserGetRequest23V2", { nope = 1 })
    assert.is_nil(req)
    assert.are.equal("validation", err.kind)
  end)

  it("ocip.describe is the catalog's describe", function()
    assert.are.equal(catalog.describe("UserGetRequest23V2"), ocip.describe("UserGetRequest23V2"))
  end)
end)
