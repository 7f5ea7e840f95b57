-- The streaming decoder: core.decode/core.decoder and ocip.xml.decode/decoder,
-- against hand-written response (and request) documents in spec/fixtures/responses.
local ocip = require "ocip"
local core = require "ocip.core"
local xml = require "ocip.xml"
local NIL = require("ocip.sentinel").NIL
local big = require "spec.support.big_docs"

local function fixture(name)
  local f = assert(io.open("spec/fixtures/responses/" .. name, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

local HEAD = '<?xml version="1.0" encoding="ISO-8859-1"?>'
  .. '<BroadsoftDocument protocol="OCI" xmlns="C" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
  .. '<sessionId xmlns="">s</sessionId>'
local TAIL = "</BroadsoftDocument>\n"

-- One command document around `body` (the <command> element's content).
local function doc1(xsi_type, body)
  return HEAD .. '<command xmlns="" xsi:type="' .. xsi_type .. '">' .. body .. "</command>" .. TAIL
end

local function decode1(xsi_type, body)
  local d = assert(core.decode(doc1(xsi_type, body)))
  return d.responses[1]
end

describe("decoder", function()
  describe("typed values", function()
    local u
    setup(function()
      u = assert(core.decode(fixture("user_get23v2.xml"))).responses[1]
    end)

    it("names the response type and keeps the echo attribute", function()
      assert.equal("UserGetResponse23V2", u._type)
      assert.equal("req-1", u._echo)
    end)

    it("uses snake_case keys from the catalog", function()
      assert.equal("ent1", u.service_provider_id)
      assert.equal("jmuller@example.net", u.user_id)
      assert.equal("+1-2025550100", u.phone_number)
    end)

    it("keeps leaf text exactly: double spaces, CDATA, entities, leading zeros", function()
      assert.equal("Müller  Jr", u.calling_line_id_last_name)
      assert.equal("Jérôme <J> & co", u.calling_line_id_first_name)
      assert.equal("0100", u.extension)
    end)

    it("converts ISO-8859-1 bytes to UTF-8", function()
      assert.equal("M\xC3\xBCller", u.last_name)
      assert.equal("J\xC3\xA9r\xC3\xB4me", u.first_name)
    end)

    it("turns xs:boolean into booleans ('true' and '0')", function()
      assert.is_true(u.allow_video)
      assert.is_false(u.is_place)
    end)

    it("decodes nested complex types, with their concrete xsi:type", function()
      assert.same({ _type = "GroupDepartmentKey", service_provider_id = "ent1",
                    group_id = "grp1", name = "Sales & Support" }, u.department)
      local ep = u.access_device_endpoint
      assert.same({ device_level = "Group", device_name = "dev-1" }, ep.access_device)
      assert.equal("jm_lp@example.net", ep.line_port)
      assert.equal("1 Main St", u.address.address_line1)
      assert.equal("Springfield", u.address.city)
    end)

    it("makes list fields arrays even with one item", function()
      assert.same({ "sip:jm1@example.net" }, u.alias)
      assert.same({ { alternate_user_id = "alt1@example.net", description = "first" } },
        u.alternate_user_id)
    end)

    it("gives xsi:nil='true' as ocip.NIL", function()
      assert.equal(NIL, u.title)
      assert.equal(ocip.NIL, u.title)
    end)

    it("leaves absent optional fields nil", function()
      assert.is_nil(u.mobile_phone_number)
      assert.is_nil(u.trunk_addressing)
    end)

    it("turns xs:int into Lua integers and nested choice types into tables", function()
      local d = assert(core.decode(fixture("no_declaration.xml"))).responses[1]
      assert.equal("GroupAccessDeviceGetResponse18sp1", d._type)
      assert.equal(2, d.number_of_assigned_ports)
      assert.equal("integer", math.type(d.number_of_assigned_ports))
      assert.equal(6, d.number_of_ports.quantity)
      assert.equal("integer", math.type(d.number_of_ports.quantity))
      assert.is_false(d.use_custom_user_name_password)
      assert.equal("Polycom VVX 400", d.device_type)
    end)

    it("keeps an int field that does not parse as its text", function()
      local d = decode1("GroupAccessDeviceGetResponse18sp1",
        "<numberOfAssignedPorts>lots</numberOfAssignedPorts>")
      assert.equal("lots", d.number_of_assigned_ports)
    end)

    it("decodes an empty complex element as an empty table and an empty string leaf as ''", function()
      local d = decode1("UserGetResponse23V2", "<trunkAddressing/><title></title>")
      assert.same({}, d.trunk_addressing)
      assert.equal("", d.title)
    end)
  end)

  describe("tables", function()
    it("gives an array of records keyed by normalised headings, keeping headings", function()
      local r = assert(core.decode(fixture("user_list.xml"))).responses[1]
      local t = r.user_table
      assert.equal(2, #t)
      assert.same({ "User Id", "Group Id", "Last Name", "Line/Port", "Phone Number" }, t.headings)
      assert.same({ user_id = "u1@example.net", group_id = "grp1", last_name = "Doe  Smith",
                    phone_number = "+1-2025550101" }, t[1])
      assert.same({ user_id = "u2@example.net", group_id = "grp1", last_name = "Ng",
                    line_port = "u2_lp@example.net" }, t[2])
    end)

    it("leaves the key of an empty <col/> absent", function()
      local t = assert(core.decode(fixture("user_list.xml"))).responses[1].user_table
      assert.is_nil(t[1].line_port)
      assert.is_nil(t[2].phone_number)
    end)

    it("decodes a table of one row as an array of one record", function()
      local t = assert(core.decode(fixture("table_one_row.xml"))).responses[1].group_table
      assert.equal(1, #t)
      assert.same({ group_name = "Main", group_id = "grp1", user_limit = "25" }, t[1])
      assert.same({ "Group Name", "Group Id", "User Limit" }, t.headings)
    end)

    it("decodes a table without rows as an empty array that still has headings", function()
      local t = assert(core.decode(fixture("table_empty.xml"))).responses[1].user_table
      assert.equal(0, #t)
      assert.same({ "User Id", "Last Name" }, t.headings)
    end)

    it("never assumes column order", function()
      local t = decode1("UserGetListInSystemResponse",
        "<userTable><colHeading>Last Name</colHeading><colHeading>User Id</colHeading>"
        .. "<row><col>Doe</col><col>a@x</col></row></userTable>").user_table
      assert.same({ last_name = "Doe", user_id = "a@x" }, t[1])
    end)

    it("normalises odd headings and keeps duplicate ones apart", function()
      local t = decode1("UserGetListInSystemResponse",
        "<userTable><colHeading>Phone Number (E.164)</colHeading><colHeading>MAC  Address</colHeading>"
        .. "<colHeading>Is Active?</colHeading><colHeading>Is-Active</colHeading>"
        .. "<row><col>1</col><col>2</col><col>3</col><col>4</col><col>5</col></row></userTable>").user_table
      assert.same({ phone_number_e_164 = "1", mac_address = "2", is_active = "3",
                    is_active_2 = "4", col_5 = "5" }, t[1])
      assert.same({ "Phone Number (E.164)", "MAC  Address", "Is Active?", "Is-Active" }, t.headings)
    end)
  end)

  describe("ErrorResponse", function()
    it("takes the code from errorCode, with a declared c: prefix and an ns0: root", function()
      local r = assert(core.decode(fixture("error_code.xml"))).responses[1]
      assert.same({ _type = "ErrorResponse", _echo = "x", error_code = 4008, type = "Error",
                    summary = "Session not authorized", summary_english = "Session not authorized",
                    detail = "login first" }, r)
    end)

    it("parses '[Error 4152]' from the summary when errorCode is absent", function()
      local r = assert(core.decode(fixture("error_text_code.xml"))).responses[1]
      assert.equal("ErrorResponse", r._type)
      assert.equal(4152, r.error_code)
      assert.equal("Error", r.type)
    end)

    it("resolves an undeclared c: prefix, keeps Warning severity", function()
      local r = assert(core.decode(fixture("warning_undeclared_prefix.xml"))).responses[1]
      assert.equal("ErrorResponse", r._type)
      assert.equal("Warning", r.type)
      assert.is_nil(r.error_code)
      assert.equal("Service assigned with limits", r.summary_english)
    end)

    it("becomes an ocip.Error of kind server in ocip.xml.decode", function()
      local d = assert(xml.decode(fixture("error_text_code.xml")))
      local e = d.responses[1]
      assert.is_true(ocip.Error.is(e))
      assert.equal("server", e.kind)
      assert.equal(4152, e.code)
      assert.equal("Error", e.severity)
      assert.equal("[Error 4152] User not found: nobody@example.net", e.summary)
      assert.equal(e.summary_english, e.message)
      assert.matches("4152", tostring(e))
      local w = assert(xml.decode(fixture("warning_undeclared_prefix.xml"))).responses[1]
      assert.equal("Warning", w.severity)
      assert.equal("Service assigned with limits", w.message)
      local c = assert(xml.decode(fixture("error_code.xml"))).responses[1]
      assert.equal(4008, c.code)
      assert.equal("login first", c.detail)
    end)
  end)

  describe("documents", function()
    it("decodes two commands in order; an error answers only its own command", function()
      local d = assert(xml.decode(fixture("two_commands.xml")))
      assert.equal("s2", d.session_id)
      assert.equal(2, #d.responses)
      assert.same({ _type = "SuccessResponse" }, d.responses[1])
      assert.is_true(ocip.Error.is(d.responses[2]))
      assert.equal(4152, d.responses[2].code)
    end)

    it("decodes ISO-8859-2", function()
      local r = assert(core.decode(fixture("latin2.xml"))).responses[1]
      assert.equal("\xC5\xBB\xC3\xB3\xC5\x82\xC4\x87", r.last_name) -- Żółć
      assert.equal("\xC5\x81ukasz", r.first_name)                   -- Łukasz
      assert.is_false(r.allow_video)
    end)

    it("decodes UTF-8 with a BOM", function()
      local r = assert(core.decode(fixture("utf8_bom.xml"))).responses[1]
      assert.equal("M\xC3\xBCller", r.last_name)
      assert.equal("\xE5\x90\x8D\xE5\x89\x8D", r.first_name)
      assert.is_true(r.allow_video)
    end)

    it("decodes a lowercase encoding name and a document without declaration", function()
      assert.truthy(core.decode(fixture("warning_undeclared_prefix.xml")))
      assert.equal("Polycom VVX 400", assert(core.decode(fixture("no_declaration.xml"))).responses[1].device_type)
    end)

    it("honours a forced encoding (a document unescaped from a UTF-8 SOAP envelope)", function()
      local latin = fixture("user_get23v2.xml")
      local utf8 = latin:gsub("\xFC", "\xC3\xBC"):gsub("\xE9", "\xC3\xA9"):gsub("\xF4", "\xC3\xB4")
      local r = assert(core.decode(utf8, { encoding = "UTF-8" })).responses[1]
      assert.equal("M\xC3\xBCller", r.last_name)
      assert.has_error(function() core.decode(utf8, { encoding = "no-such-charset" }) end)
    end)

    it("keeps elements the catalog does not know, as strings or nested tables", function()
      local r = assert(core.decode(fixture("no_declaration.xml"))).responses[1]
      assert.equal("from R26", r.future_field)
      assert.same({ inner = { "a", "b" }, deep = { leaf = "c" } }, r.future_group)
    end)

    it("matches elements by local name, prefixes declared or not", function()
      local d = assert(core.decode('<ns0:BroadsoftDocument protocol="OCI"><c:sessionId>p</c:sessionId>'
        .. '<x:command xsi:type="c:UserGetRequest23V2"><c:userId>u</c:userId></x:command>'
        .. "</ns0:BroadsoftDocument>"))
      assert.equal("p", d.session_id)
      assert.same({ _type = "UserGetRequest23V2", user_id = "u" }, d.responses[1])
    end)

    it("decodes a 7-bit document and then a Latin-1 one correctly (shared decoder state)", function()
      assert.truthy(core.decode(fixture("table_one_row.xml")))
      local r = assert(core.decode(fixture("user_get23v2.xml"))).responses[1]
      assert.equal("M\xC3\xBCller", r.last_name)
      local bad = fixture("table_one_row.xml"):gsub("ISO%-8859%-1", "ISO-8860-1")
      local _, err = core.decode(bad)
      assert.equal("protocol", err.kind)
    end)

    it("decodes a response type the catalog does not know", function()
      local r = decode1("UserGetResponse99", "<userId>a</userId><someNewThing>1</someNewThing>")
      assert.same({ _type = "UserGetResponse99", user_id = "a", some_new_thing = "1" }, r)
    end)

    it("decodes a document fed in 1-byte chunks to the same result", function()
      for _, name in ipairs { "user_get23v2.xml", "user_list.xml", "utf8_bom.xml", "latin2.xml",
                              "error_code.xml", "two_commands.xml" } do
        local s = fixture(name)
        local d = core.decoder()
        for i = 1, #s do assert(d:feed(s:sub(i, i))) end
        local got = assert(d:finish())
        assert.same(assert(core.decode(s)), got)
      end
    end)

    it("ocip.xml.decoder feeds chunks and converts errors", function()
      local s = fixture("two_commands.xml")
      local d = xml.decoder()
      for i = 1, #s, 7 do assert(d:feed(s:sub(i, i + 6))) end
      local got = assert(d:finish())
      assert.equal("SuccessResponse", got.responses[1]._type)
      assert.equal("server", got.responses[2].kind)
    end)

    it("decodes request documents (for the simulator): nil, nested, typed", function()
      local d = assert(core.decode(fixture("request_modify.xml")))
      assert.equal("req-sess", d.session_id)
      local m = d.responses[1]
      assert.equal("UserModifyRequest22", m._type)
      assert.equal("jm@example.net", m.user_id)
      assert.equal("M\xC3\xBCller", m.last_name)
      assert.equal(NIL, m.phone_number)
      assert.equal(NIL, m.department)
      assert.equal("2 Side St", m.address.address_line1)
      assert.equal(NIL, m.address.city)
      assert.is_false(m.allow_video)
      assert.same({ _type = "UserGetRequest23V2", user_id = "jm@example.net" }, d.responses[2])
    end)
  end)

  describe("resource bounds", function()
    local function table_doc(inner)
      return doc1("GroupGetListInServiceProviderResponse", "<groupTable>" .. inner .. "</groupTable>")
    end

    it("handles many duplicate headings quickly, or refuses them as a limit", function()
      local doc = table_doc(string.rep("<colHeading>a</colHeading>", 4000))
      local t0 = os.clock()
      local r, err = core.decode(doc)
      assert.is_true(os.clock() - t0 < 0.5)
      if not r then assert.equal("limit", err.kind) end
    end)

    it("handles a row with very many columns quickly, or refuses it as a limit", function()
      local doc = table_doc("<row>" .. string.rep("<col/>", 80000) .. "</row>")
      local t0 = os.clock()
      local r, err = core.decode(doc)
      assert.is_true(os.clock() - t0 < 0.5)
      if not r then assert.equal("limit", err.kind) end
    end)

    it("keeps duplicate heading keys unique", function()
      local r = decode1("GroupGetListInServiceProviderResponse", "<groupTable>"
        .. "<colHeading>a</colHeading><colHeading>a</colHeading><colHeading>a_2</colHeading>"
        .. "<colHeading>a</colHeading><row><col>1</col><col>2</col><col>3</col><col>4</col></row>"
        .. "</groupTable>")
      local row = r.group_table[1]
      assert.same({ a = "1", a_2 = "2", a_2_2 = "3", a_3 = "4" }, row)
    end)

    it("does not pre-size empty rows to a wide heading list", function()
      local doc = table_doc("<row>" .. string.rep("<col/>", 1000) .. "</row>"
        .. string.rep("<row/>", 10000))
      collectgarbage()
      collectgarbage("stop")
      local before = collectgarbage("count")
      local r = core.decode(doc)
      local grown = collectgarbage("count") - before
      collectgarbage("restart")
      assert.is_truthy(r)
      assert.is_true(grown < 16 * 1024, ("grew %d KiB"):format(grown // 1)) -- KiB
    end)
  end)

  describe("huge and hostile documents", function()
    local function refused(kind, pattern, doc, opts)
      local r, err = core.decode(doc, opts)
      assert.is_nil(r)
      assert.equal(kind, err.kind)
      if pattern then assert.matches(pattern, err.message) end
      return err
    end

    -- Feeds doc to a fresh core.decoder in `size`-byte chunks; returns finish()'s results.
    local function chunked(doc, size)
      local d = core.decoder()
      for i = 1, #doc, size do
        local ok, err = d:feed(doc:sub(i, i + size - 1))
        if not ok then return nil, err end
      end
      return d:finish()
    end

    it("decodes a 45,000-user answer (13 MB, past libxml2's 10 MB lookup limit) completely", function()
      local doc = big.user_list(45000)
      assert.is_true(#doc > 13 * 1000 * 1000)
      for _, r in ipairs { assert(core.decode(doc)), assert(chunked(doc, 1000003)) } do
        local t = r.responses[1].user_table
        assert.equal(45000, #t)
        big.check_user_row(t[1], 1)
        big.check_user_row(t[22222], 22222)
        big.check_user_row(t[45000], 45000)
      end
    end)

    it("keeps a leaf text, a CDATA section and a comment of 12 MB", function()
      local text = ("0123456789abcde>"):rep(12 * 1024 * 1024 // 16)
      local r = decode1("UserGetRequest23V2", "<userId>" .. text .. "</userId>")
      assert.equal(text, r.user_id)
      r = decode1("UserGetRequest23V2", "<userId><![CDATA[" .. text .. "]]></userId>")
      assert.equal(text, r.user_id)
      r = decode1("UserGetRequest23V2", "<!--" .. text .. "--><userId>u</userId>")
      assert.equal("u", r.user_id)
    end)

    it("refuses an element with more than 64 attributes as a limit, in linear time", function()
      assert.truthy(core.decode(big.attributes(64)))
      refused("limit", "more than 64 attributes", big.attributes(65))
      local doc = big.attributes(300000) -- 3.3 MB; libxml2 alone takes ~20 s (quadratic)
      local t0 = os.clock()
      refused("limit", "more than 64 attributes", doc)
      local r, err = chunked(doc, 65536)
      assert.is_nil(r)
      assert.equal("limit", err.kind)
      assert.is_true(os.clock() - t0 < 2, "took " .. os.clock() - t0 .. " s")
    end)

    it("refuses a start or end tag longer than 64 KiB as a limit", function()
      local ok = decode1("UserGetRequest23V2", '<userId a="' .. ("v"):rep(60000) .. '">u</userId>')
      assert.equal("u", ok.user_id)
      refused("limit", "tag longer than 65536 bytes",
        doc1("UserGetRequest23V2", '<userId a="' .. ("v"):rep(70000) .. '">u</userId>'))
      local name = ("n"):rep(70000)
      refused("limit", "tag longer", doc1("UserGetRequest23V2", "<" .. name .. "/>"))
      refused("limit", "tag longer", doc1("UserGetRequest23V2", "<a></a" .. (" "):rep(70000) .. ">"))
    end)

    it("refuses more than 64 namespace declarations in scope, in linear time", function()
      -- libxml2 looks every prefix up by a linear search of the declarations in scope
      local function nested(levels, per)
        local open, close = {}, {}
        for i = 1, levels do
          local at = {}
          for j = 1, per do at[j] = ('xmlns:p%d_%d="urn:x:%d"'):format(i, j, j) end
          open[i] = "<e " .. table.concat(at, " ") .. ">"
          close[i] = "</e>"
        end
        return table.concat(open), table.concat(close)
      end
      local open, close = nested(7, 8) -- 56 + the 3 of the document itself
      assert.truthy(core.decode(doc1("UserGetRequest23V2", open .. ("<p1_1:a/>"):rep(1000) .. close)))
      -- siblings: declarations go out of scope with their element
      assert.truthy(core.decode(doc1("UserGetRequest23V2", (open .. close):rep(100))))
      open, close = nested(60, 60)
      local t0 = os.clock()
      refused("limit", "namespace declarations", doc1("UserGetRequest23V2",
        open .. ("<p1_1:a/>"):rep(2 * 1000 * 1000) .. close))
      assert.is_true(os.clock() - t0 < 2, "took " .. os.clock() - t0 .. " s")
    end)

    it("refuses a document made of namespace errors as a limit, in linear time", function()
      -- one undeclared prefix is tolerated (servers send them); each costs libxml2 a message
      assert.truthy(core.decode(doc1("UserGetRequest23V2", ("<q:userId>u</q:userId>"))))
      local t0 = os.clock()
      refused("limit", "namespace errors", doc1("UserGetRequest23V2", ("<q:a/>"):rep(3 * 1000 * 1000)))
      assert.is_true(os.clock() - t0 < 2, "took " .. os.clock() - t0 .. " s")
    end)

    it("decodes correctly after a document of 30,000 distinct names (its parser is replaced)", function()
      local names = {}
      for i = 1, 30000 do names[i] = ("<n%d>v</n%d>"):format(i, i) end
      local user = fixture("user_get23v2.xml")
      local before = assert(core.decode(user)).responses[1]
      for _ = 1, 2 do
        local r = assert(core.decode(doc1("UserGetRequest23V2", table.concat(names)))).responses[1]
        assert.equal("v", r.n29999)
        assert.same(before, assert(core.decode(user)).responses[1])
      end
    end)

    it("gives the same answer for any chunking around markup (cuts never split a tag)", function()
      local doc = fixture("user_get23v2.xml")
      local whole = assert(core.decode(doc))
      for _, size in ipairs { 1, 2, 3, 7, 64, 1000 } do
        assert.same(whole, assert(chunked(doc, size)))
      end
    end)
  end)

  describe("failures", function()
    local function fails(kind, pattern, ...)
      local r, err = core.decode(...)
      assert.is_nil(r)
      assert.is_true(ocip.Error.is(err))
      assert.equal(kind, err.kind)
      if pattern then assert.matches(pattern, err.message) end
      return err
    end

    it("reports malformed XML as protocol", function()
      fails("protocol", "malformed", HEAD .. "<command xsi:type='SuccessResponse'></comand>" .. TAIL)
      fails("protocol", nil, HEAD .. "<command xsi:type='SuccessResponse'/>")
      fails("protocol", nil, "")
      fails("protocol", "BroadsoftDocument", "<html><body/></html>")
    end)

    it("rejects DOCTYPE and entity declarations (billion laughs) without expanding them", function()
      fails("protocol", "DOCTYPE", fixture("doctype_laughs.xml"))
      fails("protocol", "DOCTYPE", fixture("external_entity.xml"))
    end)

    it("rejects undeclared entity references", function()
      fails("protocol", nil, doc1("UserGetRequest23V2", "<userId>&foo;</userId>"))
    end)

    it("enforces max_size", function()
      local s = fixture("user_list.xml")
      local err = fails("limit", "max_size", s, { max_size = 100 })
      assert.matches("100", err.message)
      assert.truthy(core.decode(s, { max_size = #s }))
      local d = core.decoder { max_size = 50 }
      assert(d:feed(s:sub(1, 40)))
      local r, e = d:feed(s:sub(41, 60))
      assert.is_nil(r)
      assert.equal("limit", e.kind)
      r, e = d:finish()
      assert.is_nil(r)
      assert.equal("limit", e.kind)
    end)

    it("enforces max_depth (default 64)", function()
      local deep = string.rep("<a>", 70) .. "x" .. string.rep("</a>", 70)
      fails("limit", "max_depth", doc1("UserGetRequest23V2", deep))
      fails("limit", "max_depth", fixture("user_get23v2.xml"), { max_depth = 3 })
      assert.truthy(core.decode(fixture("user_get23v2.xml"), { max_depth = 5 }))
    end)

    it("requires xsi:type on commands", function()
      fails("protocol", "xsi:type", HEAD .. "<command/>" .. TAIL)
    end)

    it("ocip.xml.decode returns nil, err too", function()
      local r, err = xml.decode("<BroadsoftDocument>")
      assert.is_nil(r)
      assert.equal("protocol", err.kind)
    end)
  end)
end)
