-- The catalog seen from Lua: describe, find, commands (lazy constructors, pairs),
-- snake and XML names, and lazy materialisation of type descriptions.
local ocip = require "ocip"
local catalog = require "ocip.catalog"
local Error = require "ocip.error"

local function repo_root()
  local src = debug.getinfo(1, "S").source:gsub("^@", "")
  return src:match("^(.*)/spec/[^/]*$") or "."
end

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

  it("ocip.commands raises a usage error for unknown names and non-requests; is_request tells", function()
    for _, name in ipairs { "NoSuchRequest", "UserGetResponse23V2", "GroupDepartmentKey" } do
      local ok, err = pcall(function() return ocip.commands[name] end)
      assert.is_false(ok, name)
      assert.is_true(Error.is(err), name)
      assert.are.equal("usage", err.kind)
      assert.truthy(err.message:find(name, 1, true), err.message)
      assert.is_false(catalog.is_request(name))
    end
    assert.is_nil(rawget(ocip.commands, "NoSuchRequest"))
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

  it("table fields carry the column hints of their own type (particles are shared)", function()
    local in_group = field(assert(catalog.describe("UserGetListInGroupResponse")), "user_table")
    local in_system = field(assert(catalog.describe("UserGetListInSystemResponse")), "user_table")
    assert.are.equal("OCITable", in_group.type)
    assert.are.same({ "User Id", "Last Name", "First Name", "Department", "Phone Number",
      "Phone Number Activated", "Email Address", "Hiragana Last Name", "Hiragana First Name",
      "In Trunk Group", "Extension", "Country Code", "National Prefix" }, in_group.columns)
    assert.are.equal(15, #in_system.columns)
    assert.are.equal("Service Provider Id", in_system.columns[3])
    -- no hint: nil; non-table fields never have columns
    assert.is_nil(field(catalog.describe("GroupGetListInSystemResponse"), "group_table").columns)
    assert.is_nil(field(catalog.describe("UserGetRequest23V2"), "user_id").columns)
    -- the raw description has them on the element particle
    local raw = catalog.type("GroupGetListInServiceProviderResponse")
    local found
    local function walk(p)
      if p.kind == "element" then
        if p.name == "groupTable" then found = p end
      else
        for _, k in ipairs(p.items) do walk(k) end
      end
    end
    walk(raw.content)
    assert.are.same({ "Group Id", "Group Name", "User Limit" }, found.columns)
  end)

  it("every hint of schemas/columns.lua is in the compiled catalog", function()
    local hints = dofile(repo_root() .. "/schemas/columns.lua")
    local n = 0
    for key, cols in pairs(hints) do
      n = n + 1
      local tname, elem = key:match("^([^.]+)%.([^.]+)$")
      local d = assert(catalog.describe(tname), key)
      local f
      for _, x in ipairs(d.fields) do if x.xml_name == elem then f = x end end
      assert.truthy(f, key)
      assert.are.same(cols, f.columns, key)
    end
    assert.is_true(n >= 17)
  end)

  it("ocip.describe is the catalog's describe", function()
    assert.are.equal(catalog.describe("UserGetRequest23V2"), ocip.describe("UserGetRequest23V2"))
  end)
end)

describe("request names: did you mean", function()
  local function raised(fn)
    local ok, err = pcall(fn)
    assert.is_false(ok, "expected an error")
    assert.is_true(Error.is(err), tostring(err))
    return err
  end

  it("ocip.commands suggests the request meant (case first, then edit distance)", function()
    local err = raised(function() return ocip.commands.UserGetRequest23v2 end)
    assert.are.equal("usage", err.kind)
    assert.are.equal("unknown request UserGetRequest23v2 (did you mean UserGetRequest23V2?)", err.message)
    assert.are.same({ "UserGetRequest23V2" }, err.suggestions)
    err = raised(function() return ocip.commands.UserGetRequst23V2 end)
    assert.are.equal("UserGetRequest23V2", err.suggestions[1])
    err = raised(function() return ocip.commands.UserGetResponse23V2 end)
    assert.truthy(err.message:find("UserGetResponse23V2 is a response, not a request", 1, true), err.message)
    assert.are.equal("UserGetRequest23V2", err.suggestions[1])
    err = raised(function() return ocip.commands.Zzqxv end)
    assert.are.equal("unknown request Zzqxv", err.message)
    assert.are.same({}, err.suggestions)
  end)

  it("c:Name with a mistyped request raises the same error; methods and other keys are untouched", function()
    local c = assert(ocip.client { host = "127.0.0.1", port = 1, username = "u", password = "p", log = false })
    local err = raised(function() return c:UserGetRequest23v2 { user_id = "a" } end)
    assert.are.equal("usage", err.kind)
    assert.truthy(err.message:find("did you mean UserGetRequest23V2?", 1, true), err.message)
    assert.are.equal("function", type(c.UserGetRequest23V2))
    assert.are.equal("function", type(c.raw_command))
    assert.is_nil(c.no_such_method)
    c:close()
  end)

  it("catalog.build and raw_command name the suggestion for an unknown request", function()
    local req, err = catalog.build("usergetrequest23v2", {})
    assert.is_nil(req)
    assert.are.equal("usage", err.kind)
    assert.truthy(err.message:find("did you mean UserGetRequest23V2?", 1, true), err.message)
  end)

  it("suggests the newest versions first for a family's base name; work is bounded", function()
    local s = catalog.suggest("UserGetRequest", 3)
    assert.are.same({ "UserGetRequest23V2", "UserGetRequest23", "UserGetRequest22V9" }, s)
    assert.are.same({}, catalog.suggest(("x"):rep(10000)))
    assert.are.same({}, catalog.suggest(""))
  end)
end)

describe("request families: newest and deprecated versions", function()
  it("parses family and version from the name and orders versions", function()
    local fam, members = catalog.family("UserGetRequest22V5")
    assert.are.equal("UserGetRequest", fam)
    assert.are.equal(24, #members)
    assert.are.same({ "UserGetRequest14", "UserGetRequest14sp4", "UserGetRequest14sp9" },
      { members[1], members[2], members[3] })
    assert.are.same({ "UserGetRequest22V9", "UserGetRequest23", "UserGetRequest23V2" },
      { members[22], members[23], members[24] })
    assert.are.same({ catalog.family("UserGetRequest") }, { catalog.family("UserGetRequest23V2") })
    -- sp < V within a release; "A" after its base version; "mp"/"Mp"; no suffix first; RI last
    local _, trunk = catalog.family("GroupTrunkGroupGetInstanceRequest")
    local pos = {}
    for i, n in ipairs(trunk) do pos[n] = i end
    local function before(a, b) assert.is_true(pos[a] < pos[b], a .. " before " .. b) end
    before("GroupTrunkGroupGetInstanceRequest14sp9", "GroupTrunkGroupGetInstanceRequest14sp9A")
    before("GroupTrunkGroupGetInstanceRequest14sp9A", "GroupTrunkGroupGetInstanceRequest15")
    before("GroupTrunkGroupGetInstanceRequest17sp4", "GroupTrunkGroupGetInstanceRequest17sp4V2")
    before("GroupTrunkGroupGetInstanceRequest19V2", "GroupTrunkGroupGetInstanceRequest19sp1")
    local _, pw = catalog.family("SystemPasswordRulesGetRequest")
    assert.are.equal("SystemPasswordRulesGetRequest13mp2", pw[1])
    assert.are.equal("SystemPasswordRulesGetRequestRI", pw[#pw])
    local _, login = catalog.family("UserGetLoginInfoRequest")
    assert.are.equal("UserGetLoginInfoRequest", login[1])
    assert.is_true(catalog.newer("UserGetRequest23V2", "UserGetRequest23"))
    assert.is_false(catalog.newer("UserGetRequest23", "UserGetRequest23V2"))
    assert.is_false(catalog.newer("UserGetRequest23V2", "UserAddRequest22V2")) -- other family
    assert.is_nil(catalog.family("NoSuchRequest"))
  end)

  it("core.catalog_requests(prefix) lists the requests starting with prefix", function()
    local core = require "ocip.core"
    local all = core.catalog_requests()
    assert.are.same(all, core.catalog_requests(""))
    local some = core.catalog_requests("UserGetRequest")
    assert.are.equal(24, #some)
    for _, n in ipairs(some) do assert.are.equal("UserGetRequest", n:sub(1, 14)) end
    assert.are.same({ "UserGetRequest23V2" }, core.catalog_requests("UserGetRequest23V2"))
    assert.are.same({}, core.catalog_requests("UserGetRequest23V2x"))
    assert.are.same({}, core.catalog_requests("zzz"))
    assert.are.same({}, core.catalog_requests("\0"))
    assert.are.equal(all[1], core.catalog_requests(all[1])[1])
    assert.are.equal(all[#all], core.catalog_requests(all[#all])[1])
  end)

  it("marks the requests of the deprecated schema files", function()
    assert.is_true(catalog.is_deprecated("UserGetRequest22V5"))
    assert.is_true(catalog.is_deprecated("UserGetRequest14sp4"))
    assert.is_false(catalog.is_deprecated("UserGetRequest23V2"))
    assert.is_false(catalog.is_deprecated("NoSuchRequest"))
    assert.is_true(catalog.type("UserGetRequest22V5").deprecated)
    assert.is_nil(catalog.type("UserGetRequest23V2").deprecated)
    local d = catalog.describe("UserGetRequest22V5")
    assert.is_true(d.deprecated)
    assert.are.equal("UserGetRequest", d.family)
    assert.are.equal("UserGetRequest23V2", d.latest)
    assert.is_nil(catalog.describe("UserGetRequest23V2").deprecated)
  end)

  it("latest gives the newest version that is not deprecated", function()
    assert.are.equal("UserGetRequest23V2", catalog.latest "UserGetRequest")
    assert.are.equal("UserGetRequest23V2", catalog.latest "UserGetRequest14sp4")
    assert.are.equal("UserAddRequest22V2", catalog.latest "UserAddRequest")
    assert.are.equal("UserModifyRequest22", catalog.latest "UserModifyRequest")
    assert.are.equal("GroupTrunkGroupGetInstanceRequest23", catalog.latest "GroupTrunkGroupGetInstanceRequest")
    assert.are.equal("SystemPasswordRulesGetRequestRI", catalog.latest "SystemPasswordRulesGetRequest")
    assert.are.equal("UserGetLoginInfoRequestRI", catalog.latest "UserGetLoginInfoRequest")
    assert.is_true(catalog.is_deprecated "UserGetLoginInfoRequest22V4")
    assert.are.equal("UserDeleteRequest", catalog.latest "UserDeleteRequest") -- one version
    -- every version deprecated: nil, err naming the newest
    local name, err = catalog.latest "GroupAddRequest"
    assert.is_nil(name)
    assert.are.equal("usage", err.kind)
    assert.truthy(err.message:find("deprecated", 1, true), err.message)
    -- unknown: nil, err with suggestions
    name, err = catalog.latest "UserGetReqest"
    assert.is_nil(name)
    assert.are.equal("usage", err.kind)
    assert.are.equal("UserGetRequest", err.suggestions[1])
    assert.truthy(err.message:find("did you mean UserGetRequest", 1, true), err.message)
  end)

  it("no family's newest version is deprecated while a current one exists", function()
    local seen = {}
    for _, name in ipairs(catalog.requests()) do
      local fam, members = catalog.family(name)
      if not seen[fam] then
        seen[fam] = true
        local latest = catalog.latest(fam)
        if latest then
          assert.is_false(catalog.is_deprecated(latest), fam)
          assert.are.equal(latest, members[#members], fam)
        end
      end
    end
  end)

  it("find marks the newest version of a family and the deprecated ones", function()
    local names, marks = catalog.find("UserGetRequest")
    assert.are.equal("newest", marks.UserGetRequest23V2)
    assert.are.equal("deprecated", marks.UserGetRequest23)
    assert.are.equal("deprecated", marks.UserGetRequest14)
    local n = 0
    for _, name in ipairs(names) do
      if name:match("^UserGetRequest") then n = n + 1 end
    end
    assert.are.equal(24, n)
    assert.is_nil(marks.UserDeleteRequest) -- a family of one: nothing to tell
    local _, m2 = catalog.find("^UserDeleteRequest$")
    assert.is_nil(m2.UserDeleteRequest)
  end)
end)

-- The generator's column-hint checks (gen/columns.lua), on a tiny hand-made model.
describe("catalog generator: column hints", function()
  local columns = dofile(repo_root() .. "/gen/columns.lua")
  local defs = {
    OCITable = { name = "OCITable", kind = "complex", role = "table" },
    Name = { name = "Name", kind = "simple" },
    BaseResponse = { name = "BaseResponse", kind = "complex", role = "response",
      model = { kind = "sequence", min = 1, max = 1, kids = {
        { kind = "element", name = "inherited", type = "OCITable", min = 1, max = 1 } } } },
    ListResponse = { name = "ListResponse", kind = "complex", role = "response", base = "BaseResponse",
      model = { kind = "sequence", min = 1, max = 1, kids = {
        { kind = "choice", min = 1, max = 1, kids = {
          { kind = "element", name = "aTable", type = "OCITable", min = 1, max = 1 },
          { kind = "element", name = "name", type = "Name", min = 1, max = 1 } } } } } },
  }
  local function err_of(hints)
    local ok, e = pcall(columns.resolve, defs, hints)
    assert.is_false(ok, "expected a failure")
    return e
  end

  it("resolves hints sorted by type and element, inherited elements included", function()
    local r = columns.resolve(defs, {
      ["ListResponse.inherited"] = { "B" },
      ["ListResponse.aTable"] = { "X", "Y" },
      ["BaseResponse.inherited"] = { "A" },
    })
    assert.are.same({
      { type = "BaseResponse", element = "inherited", columns = { "A" } },
      { type = "ListResponse", element = "aTable", columns = { "X", "Y" } },
      { type = "ListResponse", element = "inherited", columns = { "B" } },
    }, r)
  end)

  it("fails with the key when a hint does not fit the schema", function()
    assert.matches('"Nope.aTable": no type Nope', err_of { ["Nope.aTable"] = { "A" } })
    assert.matches('"ListResponse.bTable": type ListResponse has no element bTable',
      err_of { ["ListResponse.bTable"] = { "A" } })
    assert.matches('"ListResponse.name": element name is of type Name, not OCITable',
      err_of { ["ListResponse.name"] = { "A" } })
    assert.matches("not a complex type", err_of { ["Name.x"] = { "A" } })
    assert.matches('not "Type.element"', err_of { ListResponse = { "A" } })
    assert.matches("non%-empty array", err_of { ["ListResponse.aTable"] = {} })
    assert.matches("non%-empty array", err_of { ["ListResponse.aTable"] = "A, B" })
    assert.matches('heading "A" appears twice', err_of { ["ListResponse.aTable"] = { "A", "A" } })
    assert.matches("heading 2 must be", err_of { ["ListResponse.aTable"] = { "A", 2 } })
    assert.matches("must be an array", err_of { ["ListResponse.aTable"] = { "A", x = "B" } })
  end)

  it("the generator exits non-zero on a bad hint and writes nothing", function()
    local root = repo_root()
    local schema_dir = os.getenv("OCIP_SCHEMA_DIR") or (root .. "/../shared/schemas/ocip-r25")
    if not io.open(schema_dir .. "/OCISchemaAS.xsd", "rb") then
      pending("XSD release not found at " .. schema_dir)
      return
    end
    local bad, out = os.tmpname(), os.tmpname()
    os.remove(out)
    local f = assert(io.open(bad, "wb"))
    f:write('return { ["UserGetListInGroupResponse.userTablex"] = { "User Id" } }\n')
    f:close()
    local q = function(s) return "'" .. s:gsub("'", "'\\''") .. "'" end
    local p = assert(io.popen(("%s %s %s %s %s 2>&1"):format(os.getenv("LUA") or "lua5.4",
      q(root .. "/gen/gen.lua"), q(schema_dir), q(out), q(bad))))
    local text = p:read("a")
    local ok, _, code = p:close()
    os.remove(bad)
    assert.is_falsy(ok)
    assert.are.equal(1, code)
    assert.matches('gen: columns: "UserGetListInGroupResponse.userTablex": type '
      .. "UserGetListInGroupResponse has no element userTablex", text, 1, true)
    assert.is_nil(io.open(out, "rb"))
  end)
end)
