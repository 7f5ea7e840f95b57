-- The encoder: schema order, escaping, ISO-8859-1 with character references, nil,
-- abstract types, choices, the 15-command limit, and the exact document bytes.
local ocip = require "ocip"
local xml = require "ocip.xml"
local Error = require "ocip.error"
local C = ocip.commands
local NIL = ocip.NIL

local HEAD = '<?xml version="1.0" encoding="ISO-8859-1"?>\n'
  .. '<BroadsoftDocument protocol="OCI" xmlns="C" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
  .. '<sessionId xmlns="">S1</sessionId>'
local TAIL = "</BroadsoftDocument>\n"

local function body(req)
  local s = assert(xml.encode_command(req))
  return (s:gsub('^<command xmlns="" xsi:type="[%w]+">', ""):gsub("</command>$", ""))
end

local USER_ADD = {
  service_provider_id = "sp", group_id = "g", user_id = "alice@example.net",
  last_name = "Smith", first_name = "Alice",
  calling_line_id_last_name = "Smith", calling_line_id_first_name = "Alice",
}

describe("encode", function()
  it("writes the document bytes exactly as DESIGN.md specifies", function()
    local doc = assert(xml.encode({ C.UserGetRequest23V2 { user_id = "alice@example.net" } }, "S1"))
    assert.are.equal(HEAD
      .. '<command xmlns="" xsi:type="UserGetRequest23V2"><userId>alice@example.net</userId></command>'
      .. TAIL, doc)
  end)

  it("accepts a single request as well as an array", function()
    local one = assert(xml.encode(C.UserGetRequest23V2 { user_id = "a" }, "S1"))
    local arr = assert(xml.encode({ C.UserGetRequest23V2 { user_id = "a" } }, "S1"))
    assert.are.equal(arr, one)
  end)

  it("emits fields in schema order whatever the key order", function()
    local req = C.UserAddRequest22V2 {
      email_address = "a@b.c", calling_line_id_first_name = "A", first_name = "F", last_name = "L",
      calling_line_id_last_name = "C", user_id = "u", group_id = "g", service_provider_id = "sp",
      password = "pw", title = "T",
    }
    assert.are.equal("<serviceProviderId>sp</serviceProviderId><groupId>g</groupId><userId>u</userId>"
      .. "<lastName>L</lastName><firstName>F</firstName><callingLineIdLastName>C</callingLineIdLastName>"
      .. "<callingLineIdFirstName>A</callingLineIdFirstName><password>pw</password><title>T</title>"
      .. "<emailAddress>a@b.c</emailAddress>", body(req))
  end)

  it("escapes markup characters in text", function()
    local s = body(C.UserGetRequest23V2 { user_id = [[a&b<c>"d"'e]] })
    assert.are.equal([[<userId>a&amp;b&lt;c&gt;&quot;d&quot;'e</userId>]], s)
  end)

  it("escapes the echo attribute, quotes and apostrophes included", function()
    local req = C.UserGetRequest23V2 { user_id = "a", _echo = [[x"y'z<&]] }
    local s = assert(xml.encode_command(req))
    assert.are.equal([[<command xmlns="" xsi:type="UserGetRequest23V2" echo="x&quot;y&apos;z&lt;&amp;"><userId>a</userId></command>]], s)
  end)

  it("gives command i of a document the echo prefix .. i, over the requests' own _echo", function()
    local doc = assert(xml.encode({ C.UserGetRequest23V2 { user_id = "a", _echo = "mine" },
      C.UserGetRequest23V2 { user_id = "b" } }, "S1", "s1d7c"))
    assert.are.equal(HEAD
      .. '<command xmlns="" xsi:type="UserGetRequest23V2" echo="s1d7c1"><userId>a</userId></command>'
      .. '<command xmlns="" xsi:type="UserGetRequest23V2" echo="s1d7c2"><userId>b</userId></command>'
      .. TAIL, doc)
    local d = assert(xml.decode(doc))
    assert.are.equal("s1d7c1", d.responses[1]._echo)
    assert.are.equal("s1d7c2", d.responses[2]._echo)
    assert.matches('echo="a&amp;b1"', assert(xml.encode({ C.UserGetRequest23V2 { user_id = "a" } }, "S1", "a&b")), 1, true)
    local none, err = xml.encode({ C.UserGetRequest23V2 { user_id = "a" } }, "S1", 42)
    assert.is_nil(none)
    assert.are.equal("usage", err.kind)
  end)

  it("writes characters up to U+00FF as Latin-1 bytes and others as character references", function()
    local s = body(C.UserGetRequest23V2 { user_id = "Müller€東" })
    assert.are.equal("<userId>M\xFCller&#8364;&#26481;</userId>", s)
  end)

  it("keeps carriage returns through a character reference", function()
    local s = body(C.UserAddRequest22V2 {
      service_provider_id = "sp", group_id = "g", user_id = "u", last_name = "L", first_name = "F",
      calling_line_id_last_name = "C", calling_line_id_first_name = "A",
      address = { address_line1 = "a\r\nb" },
    })
    assert.truthy(s:find("<addressLine1>a&#13;\nb</addressLine1>", 1, true))
  end)

  it("encodes nested records, lists, integers and booleans", function()
    local fields = {}
    for k, v in pairs(USER_ADD) do fields[k] = v end
    fields.alias = { "a1@x", "a2@x" }
    fields.address = { city = "Paris", country = "FR" }
    fields.is_place = false
    local s = body(C.UserAddRequest22V2(fields))
    assert.truthy(s:find("<alias>a1@x</alias><alias>a2@x</alias>", 1, true))
    assert.truthy(s:find("<address><city>Paris</city><country>FR</country></address>", 1, true))
    assert.truthy(s:find("<isPlace>false</isPlace>", 1, true))
    local g = body(C.GroupGetListInServiceProviderRequest { service_provider_id = "sp", response_size_limit = 10.0 })
    assert.are.equal("<serviceProviderId>sp</serviceProviderId><responseSizeLimit>10</responseSizeLimit>", g)
  end)

  it("writes ocip.NIL as xsi:nil", function()
    local s = body(C.UserModifyRequest22 { user_id = "u", title = NIL })
    assert.are.equal('<userId>u</userId><title xsi:nil="true"/>', s)
  end)

  it("gives abstract types their concrete xsi:type", function()
    local s = body(C.UserModifyRequest22 { user_id = "u",
      department = { _type = "GroupDepartmentKey", service_provider_id = "sp", group_id = "g", name = "Sales" } })
    assert.are.equal('<userId>u</userId><department xsi:type="GroupDepartmentKey"><serviceProviderId>sp</serviceProviderId>'
      .. '<groupId>g</groupId><name>Sales</name></department>', s)
  end)

  it("writes ocip.NIL on an abstract field with a concrete xsi:type", function()
    local s = body(C.UserModifyRequest22 { user_id = "u", department = NIL })
    assert.are.equal('<userId>u</userId><department xsi:type="EnterpriseDepartmentKey" xsi:nil="true"/>', s)
    s = body(C.UserModifyRequest22 { user_id = "u", department = { _type = "GroupDepartmentKey", _nil = true } })
    assert.are.equal('<userId>u</userId><department xsi:type="GroupDepartmentKey" xsi:nil="true"/>', s)
  end)

  it("emits only the chosen branch of a choice, in the branch's order", function()
    local s = body(C.AuthenticationVerifyRequest22V4 { user_id = "u",
      sip_authentication_user_name = "s", sip_authentication_password = "p" })
    assert.are.equal("<sipAuthenticationUserName>s</sipAuthenticationUserName>"
      .. "<sipAuthenticationPassword>p</sipAuthenticationPassword><userId>u</userId>", s)
    s = body(C.AuthenticationVerifyRequest22V4 { password = "p", user_id = "u" })
    assert.are.equal("<userId>u</userId><password>p</password>", s)
  end)

  it("allows 1 to 15 commands per document", function()
    local reqs = {}
    for i = 1, 15 do reqs[i] = C.UserGetRequest23V2 { user_id = "u" .. i } end
    local doc = assert(xml.encode(reqs, "S1"))
    local _, n = doc:gsub("<command ", "")
    assert.are.equal(15, n)
    reqs[16] = C.UserGetRequest23V2 { user_id = "u16" }
    local none, err = xml.encode(reqs, "S1")
    assert.is_nil(none)
    assert.is_true(Error.is(err))
    assert.are.equal("limit", err.kind)
    none, err = xml.encode({}, "S1")
    assert.is_nil(none)
    assert.are.equal("usage", err.kind)
  end)

  it("validates plain tables with _type before encoding them", function()
    local s = assert(xml.encode_command { _type = "UserGetRequest23V2", user_id = "a" })
    assert.are.equal('<command xmlns="" xsi:type="UserGetRequest23V2"><userId>a</userId></command>', s)
    local none, err = xml.encode({ { _type = "UserGetRequest23V2" } }, "S1")
    assert.is_nil(none)
    assert.are.equal("validation", err.kind)
    assert.are.equal("UserGetRequest23V2.user_id", err.field)
  end)

  it("escapes the session id", function()
    local doc = assert(xml.encode({ C.UserGetRequest23V2 { user_id = "a" } }, "a<b"))
    assert.truthy(doc:find('<sessionId xmlns="">a&lt;b</sessionId>', 1, true))
  end)
end)
