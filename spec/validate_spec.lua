-- Validation before send: one spec per rule, each checking that the error is an
-- ocip.Error of kind "validation" whose `field` and message name the field path.
local ocip = require "ocip"
local catalog = require "ocip.catalog"
local Error = require "ocip.error"
local NIL = ocip.NIL

local function rejects(name, fields, path, text)
  local req, err = catalog.build(name, fields)
  assert.is_nil(req, "expected a validation error for " .. path)
  assert.is_true(Error.is(err), "error is an ocip.Error")
  assert.are.equal("validation", err.kind)
  assert.are.equal(path, err.field)
  assert.are.equal(name, err.command)
  assert.truthy(err.message:find(path, 1, true), "message names the path: " .. err.message)
  if text then
    assert.truthy(err.message:find(text, 1, true), ("message %q lacks %q"):format(err.message, text))
  end
  return err
end

local function accepts(name, fields)
  local req, err = catalog.build(name, fields)
  assert.is_nil(err, err and tostring(err))
  return req
end

local USER_ADD = {
  service_provider_id = "sp", group_id = "g", user_id = "alice@example.net",
  last_name = "Smith", first_name = "Alice",
  calling_line_id_last_name = "Smith", calling_line_id_first_name = "Alice",
}
local function user_add(extra)
  local t = {}
  for k, v in pairs(USER_ADD) do t[k] = v end
  for k, v in pairs(extra or {}) do t[k] = v end
  return t
end

describe("validation", function()
  it("accepts a valid request and normalises it to XML names", function()
    local req = accepts("UserGetRequest23V2", { user_id = "alice" })
    assert.are.equal("UserGetRequest23V2", req._type)
    assert.are.equal("alice", req.userId)
    assert.is_nil(req.user_id)
  end)

  it("accepts exact XML names as keys", function()
    local req = accepts("UserAddRequest22V2", user_add { emailAddress = "a@b.c" })
    assert.are.equal("a@b.c", req.emailAddress)
  end)

  it("rejects the same field given as snake and XML name", function()
    rejects("UserGetRequest23V2", { user_id = "a", userId = "a" }, "UserGetRequest23V2.user_id", "given twice")
  end)

  it("rejects an unknown field", function()
    rejects("UserGetRequest23V2", { user_id = "a", usr = "b" }, "UserGetRequest23V2.usr", "unknown field")
  end)

  it("rejects an unknown field inside a nested record", function()
    rejects("UserAddRequest22V2", user_add { address = { town = "x" } },
      "UserAddRequest22V2.address.town", "unknown field")
  end)

  it("rejects a missing required field", function()
    rejects("UserGetRequest23V2", {}, "UserGetRequest23V2.user_id", "required field missing")
  end)

  it("rejects a wrong Lua type: string expected", function()
    rejects("UserGetRequest23V2", { user_id = true }, "UserGetRequest23V2.user_id", "string expected")
    rejects("UserGetRequest23V2", { user_id = {} }, "UserGetRequest23V2.user_id", "string expected")
  end)

  it("accepts numbers for string fields, converted exactly", function()
    local req = accepts("UserAddRequest22V2", user_add { extension = 1234, phone_number = 5551234.0 })
    assert.are.equal("1234", req.extension)
    assert.are.equal("5551234", req.phoneNumber)
  end)

  it("rejects a wrong Lua type: integer expected", function()
    rejects("GroupGetListInServiceProviderRequest", { service_provider_id = "sp", response_size_limit = 1.5 },
      "GroupGetListInServiceProviderRequest.response_size_limit", "integer expected")
    rejects("GroupGetListInServiceProviderRequest", { service_provider_id = "sp", response_size_limit = "ten" },
      "GroupGetListInServiceProviderRequest.response_size_limit", "integer expected")
  end)

  it("accepts integral floats and integer strings for int fields", function()
    local req = accepts("GroupGetListInServiceProviderRequest", { service_provider_id = "sp", response_size_limit = 10.0 })
    assert.are.equal(10, req.responseSizeLimit)
    assert.are.equal("integer", math.type(req.responseSizeLimit))
    req = accepts("GroupGetListInServiceProviderRequest", { service_provider_id = "sp", response_size_limit = "25" })
    assert.are.equal(25, req.responseSizeLimit)
  end)

  it("rejects a wrong Lua type: boolean expected", function()
    rejects("UserModifyRequest22", { user_id = "u", allow_video = "true" },
      "UserModifyRequest22.allow_video", "boolean expected")
  end)

  it("lists only the real problems when a required boolean is false (snake_case key)", function()
    -- the collecting pass once read `false` under a snake_case key as absent
    local _, err = catalog.build("GroupHuntGroupAddInstanceRequest20", {
      service_provider_id = "sp", group_id = "g", service_user_id = "hg@x.net",
      service_instance_profile = { name = "H", calling_line_id_last_name = "H", calling_line_id_first_name = "H" },
      policy = "Regular", hunt_after_no_answer = false, no_answer_number_of_rings = 5,
      forward_after_timeout = false, forward_timeout_seconds = 0, allow_call_waiting_for_agents = false,
      use_system_hunt_group_clid_setting = true, include_hunt_group_name_in_clid = true,
      enable_not_reachable_forwarding = false, make_busy_when_not_reachable = false,
      allow_members_to_control_group_busy = false, enable_group_busy = false,
      apply_group_busy_when_terminating_to_agent = "no" })
    assert.are.equal(1, #err.problems, tostring(err))
    assert.are.equal("GroupHuntGroupAddInstanceRequest20.apply_group_busy_when_terminating_to_agent", err.field)
  end)

  it("rejects a wrong Lua type: table expected for a record", function()
    rejects("UserAddRequest22V2", user_add { address = "Paris" }, "UserAddRequest22V2.address", "table expected")
  end)

  it("rejects a non-array for a list of simple values; a single value is a one-item list", function()
    rejects("UserAddRequest22V2", user_add { alias = { a = "x" } }, "UserAddRequest22V2.alias", "array expected")
    local req = accepts("UserAddRequest22V2", user_add { alias = "a1@example.net" })
    assert.are.same({ "a1@example.net" }, req.alias)
  end)

  it("rejects an enum violation, listing the allowed values when few", function()
    local err = rejects("UserGetListInGroupRequest", {
      service_provider_id = "sp", group_id = "g",
      search_criteria_user_last_name = { { mode = "Sideways", value = "x", is_case_insensitive = true } },
    }, "UserGetListInGroupRequest.search_criteria_user_last_name[1].mode", "must be one of")
    assert.truthy(err.message:find("Starts With", 1, true))
  end)

  it("checks lengths in characters (UTF-8), not bytes", function()
    accepts("UserAddRequest22V2", user_add { address = { city = ("é"):rep(50) } })
    rejects("UserAddRequest22V2", user_add { address = { city = ("é"):rep(51) } },
      "UserAddRequest22V2.address.city", "longer than 50 characters")
  end)

  it("rejects an empty string where min_length is 1", function()
    rejects("UserGetRequest23V2", { user_id = "" }, "UserGetRequest23V2.user_id", "must not be empty")
  end)

  it("checks min_length above 1", function()
    rejects("UserModifyRequest22", { user_id = "u", extension = "1" }, "UserModifyRequest22.extension",
      "shorter than 2 characters")
  end)

  it("checks an exact length", function()
    local d = catalog.describe("SystemSIPDiversionReasonModifyRequest")
    local f
    for _, x in ipairs(d.fields) do if x.name == "cause_value" then f = x end end
    assert.truthy(f and f.facets.length, "cause_value has a length facet")
    rejects("SystemSIPDiversionReasonModifyRequest",
      { diversion_reason = "unknown", cause_value = ("1"):rep(f.facets.length + 1) },
      "SystemSIPDiversionReasonModifyRequest.cause_value", "exactly")
  end)

  it("checks min/max inclusive", function()
    rejects("GroupGetListInServiceProviderRequest", { service_provider_id = "sp", response_size_limit = 0 },
      "GroupGetListInServiceProviderRequest.response_size_limit", "less than 1")
    rejects("GroupGetListInServiceProviderRequest", { service_provider_id = "sp", response_size_limit = 2 ^ 31 },
      "GroupGetListInServiceProviderRequest.response_size_limit", "greater than 2147483647")
  end)

  it("checks XSD patterns with libxml2 regexps", function()
    accepts("ServiceProviderPreferredCarrierAddRequest", { service_provider_id = "sp", country_code = "44" })
    rejects("ServiceProviderPreferredCarrierAddRequest", { service_provider_id = "sp", country_code = "4a" },
      "ServiceProviderPreferredCarrierAddRequest.country_code", "does not match pattern")
  end)

  it("rejects invalid UTF-8 and characters XML 1.0 does not allow", function()
    rejects("UserGetRequest23V2", { user_id = "a\xffb" }, "UserGetRequest23V2.user_id", "invalid UTF-8")
    rejects("UserGetRequest23V2", { user_id = "a\1b" }, "UserGetRequest23V2.user_id", "not allowed in XML")
  end)

  it("rejects more items than max_occurs", function()
    local four = { "a1@x", "a2@x", "a3@x", "a4@x" }
    rejects("UserAddRequest22V2", user_add { alias = four }, "UserAddRequest22V2.alias", "at most 3 items")
  end)

  it("rejects an array with holes", function()
    rejects("UserAddRequest22V2", user_add { alias = { "a1@x", nil, "a3@x" } }, "UserAddRequest22V2.alias", "array expected")
  end)

  it("rejects a required choice with no branch", function()
    rejects("AuthenticationVerifyRequest22V4", {}, "AuthenticationVerifyRequest22V4.user_id", "required: one of")
  end)

  it("rejects two branches of a choice", function()
    rejects("AuthenticationVerifyRequest22V4", { user_id = "u", password = "p", login_token = "t" },
      "AuthenticationVerifyRequest22V4", "only one of")
  end)

  it("picks the branch holding every given key when a name is in two branches", function()
    local req = accepts("AuthenticationVerifyRequest22V4", { user_id = "u", sip_authentication_user_name = "s",
      sip_authentication_password = "p" })
    assert.are.equal("u", req.userId)
    accepts("AuthenticationVerifyRequest22V4", { user_id = "u", password = "p" })
  end)

  it("rejects an incomplete branch of a choice", function()
    rejects("AuthenticationVerifyRequest22V4", { phone_number = "123" },
      "AuthenticationVerifyRequest22V4.passcode", "required field missing")
  end)

  it("requires _type for an abstract type when several concrete types fit", function()
    rejects("UserModifyRequest22", { user_id = "u", department = { name = "Sales" } },
      "UserModifyRequest22.department", "set _type to one of EnterpriseDepartmentKey, GroupDepartmentKey")
  end)

  it("infers the concrete type from unique field names", function()
    local req = accepts("UserModifyRequest22", { user_id = "u",
      department = { service_provider_id = "sp", group_id = "g", name = "Sales" } })
    assert.are.equal("GroupDepartmentKey", req.department._type)
  end)

  it("infers the concrete type whose required fields are all given", function()
    -- both keys also exist in GroupDepartmentKey, but its group_id is required and missing
    local req = accepts("UserModifyRequest22", { user_id = "u",
      department = { service_provider_id = "sp", name = "Sales" } })
    assert.are.equal("EnterpriseDepartmentKey", req.department._type)
    assert.are.equal("sp", req.department.serviceProviderId)
  end)

  it("rejects a _type that does not derive from the declared type", function()
    rejects("UserModifyRequest22", { user_id = "u", department = { _type = "StreetAddress", name = "x" } },
      "UserModifyRequest22.department", "not a concrete type deriving from DepartmentKey")
  end)

  it("rejects ocip.NIL on a non-nillable field", function()
    rejects("UserModifyRequest22", { user_id = "u", last_name = NIL }, "UserModifyRequest22.last_name", "not nillable")
  end)

  it("accepts ocip.NIL on a nillable field", function()
    local req = accepts("UserModifyRequest22", { user_id = "u", title = NIL })
    assert.are.equal(NIL, req.title)
  end)

  it("gives plain ocip.NIL on an abstract field the first concrete type", function()
    local req = accepts("UserModifyRequest22", { user_id = "u", department = NIL })
    assert.are.same({ _type = "EnterpriseDepartmentKey", _nil = true }, req.department)
  end)

  it("accepts { _type = X, _nil = true } on a nillable abstract field, and checks X", function()
    local req = accepts("UserModifyRequest22", { user_id = "u", department = { _type = "GroupDepartmentKey", _nil = true } })
    assert.are.same({ _type = "GroupDepartmentKey", _nil = true }, req.department)
    rejects("UserModifyRequest22", { user_id = "u", department = { _type = "GroupDepartmentKey", _nil = true, name = "x" } },
      "UserModifyRequest22.department.name", "not allowed with _nil")
  end)

  it("rejects a non-table of fields and an unknown request", function()
    local req, err = catalog.build("UserGetRequest23V2", "alice")
    assert.is_nil(req)
    assert.are.equal("validation", err.kind)
    req, err = catalog.build("NoSuchRequest", {})
    assert.is_nil(req)
    assert.are.equal("usage", err.kind)
  end)

  it("constructors raise the validation error; build returns it", function()
    local ok, err = pcall(ocip.commands.UserGetRequest23V2, { bogus = 1 })
    assert.is_false(ok)
    assert.is_true(Error.is(err))
    assert.are.equal("UserGetRequest23V2.bogus", err.field)
  end)
end)

describe("validation reports every problem at once", function()
  local REQ = "UserAddRequest22V2"

  local function fields_of(err)
    local out = {}
    for i, p in ipairs(err.problems) do out[i] = p.field end
    return out
  end

  it("lists four missing required fields in one error, in schema order", function()
    local req, err = catalog.build(REQ, { service_provider_id = "sp", group_id = "g", user_id = "u" })
    assert.is_nil(req)
    assert.are.equal("validation", err.kind)
    assert.are.same({ REQ .. ".last_name", REQ .. ".first_name", REQ .. ".calling_line_id_last_name",
      REQ .. ".calling_line_id_first_name" }, fields_of(err))
    for _, p in ipairs(err.problems) do assert.are.equal("required field missing", p.message) end
    -- the first problem stays the error's field; the message names every problem on one line
    assert.are.equal(REQ .. ".last_name", err.field)
    assert.is_nil(err.message:find("\n", 1, true), err.message)
    assert.truthy(err.message:find("4 problems", 1, true), err.message)
    for _, p in ipairs(err.problems) do
      assert.truthy(err.message:find(p.field .. ": " .. p.message, 1, true), err.message)
    end
    -- tostring: a summary line, then one line per problem
    local lines = {}
    for line in tostring(err):gmatch("[^\n]+") do lines[#lines + 1] = line end
    assert.are.equal(5, #lines, tostring(err))
    assert.truthy(lines[1]:find("ocip.validation error in " .. REQ .. ": 4 problems", 1, true), lines[1])
    for i, p in ipairs(err.problems) do
      assert.are.equal("  " .. p.field .. ": " .. p.message, lines[i + 1])
    end
  end)

  it("does not list a required boolean given as false (snake key) among the missing fields", function()
    local R = "GroupDepartmentGetListRequest18"
    local _, err = catalog.build(R, { service_provider_id = "sp", group_id = "g",
      include_enterprise_departments = false, zzz = 1 })
    assert.are.same({ R .. ".zzz" }, fields_of(err))
    _, err = catalog.build(R, { service_provider_id = "sp", includeEnterpriseDepartments = false, zzz = 1 })
    assert.are.same({ R .. ".zzz", R .. ".group_id" }, fields_of(err))
  end)

  it("keeps a single problem on one line, as before", function()
    local _, err = catalog.build("UserGetRequest23V2", {})
    assert.are.equal(1, #err.problems)
    assert.are.same({ field = "UserGetRequest23V2.user_id", message = "required field missing" }, err.problems[1])
    assert.are.equal("UserGetRequest23V2.user_id: required field missing", err.message)
    assert.is_nil(tostring(err):find("\n", 1, true))
  end)

  it("orders problems by the schema, nested ones at their field, unknown keys first and sorted", function()
    local _, err = catalog.build(REQ, {
      service_provider_id = "sp", group_id = "g", user_id = "u", first_name = "A",
      calling_line_id_last_name = "S", calling_line_id_first_name = "A",
      zzz = 1, aaa = 2, is_place = "yes", phone_number = true,
      address = { town = "x", city = ("é"):rep(51) },
      alternate_user_id = { { alternate_user_id = "a@x", description = ("d"):rep(200) }, { nope = 1 } },
    })
    assert.are.same({
      REQ .. ".aaa", REQ .. ".zzz",
      REQ .. ".last_name", REQ .. ".phone_number",
      REQ .. ".address.town", REQ .. ".address.city",
      REQ .. ".alternate_user_id[1].description",
      REQ .. ".alternate_user_id[2].nope", REQ .. ".alternate_user_id[2].alternate_user_id",
      REQ .. ".is_place",
    }, fields_of(err))
  end)

  it("gives the same problems whatever order the keys were inserted in", function()
    local keys = { "zzz", "aaa", "is_place", "phone_number", "extension", "service_provider_id", "title",
      "qqq", "mobile_phone_number", "email_address" }
    local values = { zzz = 1, aaa = 2, is_place = "yes", phone_number = true, extension = "1",
      service_provider_id = "sp", title = ("t"):rep(51), qqq = 3, mobile_phone_number = {},
      email_address = false }
    local first
    for round = 1, 12 do
      local t = {}
      for i = 1, #keys do
        local k = keys[(i * round) % #keys + 1]
        if t[k] == nil then t[k] = values[k] end
      end
      for _, k in ipairs(keys) do if t[k] == nil then t[k] = values[k] end end
      local _, err = catalog.build(REQ, t)
      if first then assert.are.equal(first, tostring(err)) else first = tostring(err) end
    end
  end)

  it("gives the same problems in every process (string hashes are seeded per state)", function()
    local helpers = require "spec.helpers"
    local code = [[local _, e = require("ocip.catalog").build("UserAddRequest22V2", { a1 = 1, b2 = 2, c3 = 3,
      d4 = 4, e5 = 5, is_place = "no", extension = "1", title = true, yahoo_id = {}, group_id = 7.5 })
      io.write(tostring(e))]]
    local first
    for _ = 1, 6 do
      local out, status = helpers.exec(helpers.shell_quote(helpers.host()) .. " -e " .. helpers.shell_quote(code))
      assert.are.equal(0, status)
      assert.truthy(out:find("problems", 1, true), out)
      if first then assert.are.equal(first, out) else first = out end
    end
  end)

  it("suggests the field meant by an unknown key", function()
    local _, err = catalog.build("UserGetRequest23V2", { userid = "alice" })
    local by = {}
    for _, p in ipairs(err.problems) do by[p.field] = p.message end
    assert.are.equal("unknown field userid (did you mean user_id?)", by["UserGetRequest23V2.userid"])
    assert.are.equal("required field missing", by["UserGetRequest23V2.user_id"])
    _, err = catalog.build(REQ, { service_provider_id = "sp", group_id = "g", user_id = "u",
      lastname = "S", first_name = "A", calling_line_id_last_name = "S", calling_line_id_first_name = "A",
      emailAdress = "a@b.c" })
    by = {}
    for _, p in ipairs(err.problems) do by[p.field] = p.message end
    assert.are.equal("unknown field lastname (did you mean last_name?)", by[REQ .. ".lastname"])
    assert.are.equal("unknown field emailAdress (did you mean email_address?)", by[REQ .. ".emailAdress"])
    -- nothing close: no suggestion
    _, err = catalog.build("UserGetRequest23V2", { user_id = "a", xyzzy = 1 })
    assert.are.equal("unknown field xyzzy", err.problems[1].message)
  end)

  it("counts a field given under both names as given twice, even as an empty list", function()
    local base = { service_provider_id = "sp", group_id = "g", user_id = "u", last_name = "S",
      first_name = "A", calling_line_id_last_name = "S", calling_line_id_first_name = "A" }
    for _, pair in ipairs { { {}, { { alternate_user_id = "a@x" } } }, { { { alternate_user_id = "a@x" } }, {} } } do
      local t = {}
      for k, v in pairs(base) do t[k] = v end
      t.alternate_user_id, t.alternateUserId = pair[1], pair[2]
      local _, err = catalog.build(REQ, t)
      assert.are.equal(REQ .. ".alternate_user_id", err.field)
      assert.truthy(err.message:find("given twice", 1, true), err.message)
    end
  end)

  it("finds at least one problem wherever the first pass found one, across the catalog", function()
    -- every 10th request: no fields, and every field given a value of the wrong kind
    local names = catalog.requests()
    for i = 1, #names, 10 do
      local name = names[i]
      local d = catalog.describe(name)
      local wrong = {}
      for _, f in ipairs(d.fields) do wrong[f.name] = f.prim == "boolean" and "yes" or true end
      for _, fields in ipairs { {}, wrong } do
        local ok, req, err = pcall(catalog.build, name, fields)
        assert.is_true(ok, name .. ": " .. tostring(req))
        if not req then
          assert.is_true(#err.problems >= 1, name)
          assert.are.equal(err.problems[1].field, err.field)
        end
      end
    end
  end)

  it("says a boolean field takes true or false", function()
    local _, err = catalog.build("UserModifyRequest22", { user_id = "u", allow_video = "yes" })
    assert.are.equal("UserModifyRequest22.allow_video", err.field)
    assert.truthy(err.message:find("true or false", 1, true), err.message)
    assert.truthy(err.message:find('"yes"', 1, true), err.message)
  end)

  it("bounds what tostring prints for thousands of problems; problems keeps them all", function()
    local many = {}
    for i = 1, 2000 do many[i] = { min_phone_number = i, max_phone_number = "" } end
    local _, err = catalog.build("GroupDnAssignListRequest", { service_provider_id = "sp", group_id = "g",
      dn_range = many })
    assert.are.equal(2000, #err.problems)
    assert.are.equal("GroupDnAssignListRequest.dn_range[2000].max_phone_number", err.problems[2000].field)
    local text = tostring(err)
    local n = select(2, text:gsub("\n", ""))
    assert.is_true(n <= 60, "lines: " .. n)
    assert.truthy(text:find("more", 1, true))
    assert.is_true(#err.message < 2000, "message length " .. #err.message)
  end)
end)

describe("validation fuzz findings", function()
  it("an _echo that is not XML text (invalid UTF-8, control characters) is a validation error", function()
    for _, echo in ipairs { "\255", "a\1b" } do
      local r, err = ocip.catalog.build("UserGetRequest23V2", { user_id = "u@x", _echo = echo })
      assert.is_nil(r)
      assert.equal("validation", err.kind)
      assert.equal("UserGetRequest23V2._echo", err.problems[1].field)
    end
    local r = assert(ocip.catalog.build("UserGetRequest23V2", { user_id = "u@x", _echo = "ok é" }))
    assert.equal("ok é", r._echo)
  end)
end)

describe("validation fuzz findings (2)", function()
  it("a false given under the snake_case key of a non-boolean field is that field's problem", function()
    local r, err = ocip.catalog.build("SystemCommunicationBarringCriteriaModifyRequest",
      { name = "a", holiday_schedule = false })
    assert.is_nil(r)
    assert.equal("validation", err.kind)
    assert.equal("SystemCommunicationBarringCriteriaModifyRequest.holiday_schedule", err.problems[1].field)
    assert.matches("string expected, got boolean", err.problems[1].message)
  end)
end)
