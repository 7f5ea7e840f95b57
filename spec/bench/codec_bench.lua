-- Codec figures for `make bench`, one case per process so that each peak RSS is its own.
-- Usage: BUILD/ocip spec/bench/codec_bench.lua CASE [BUILD]
--   CASE: encode        validate+encode UserAddRequest22V2, 20 fields (µs/op)
--         decode_user   decode a UserGetResponse23V2 document (µs/op)
--         decode_table  decode a 10,000-row x 15-column UserGetListInSystemResponse (ms/op)
--         decode_huge   decode a 150,000-row (54 MB) UserGetListInSystemResponse (ms per MB)
--         reject_hostile  refuse hostile documents (300,000 attributes, 2,000,000 undeclared
--                       prefixes, 60 x 60 namespace declarations, 3 MB each): the slowest, ms per MB
-- (also runs under stock lua5.4 when BUILD is given: ocip.so is then loaded from BUILD).
-- Prints one line: `CASE <median> <unit> <min> <peak_rss_kib> <bytes>` — the median and
-- min over batches of CPU time (os.clock) per operation, VmHWM read at the end.
local case, build = arg[1], arg[2]
if build then package.cpath = build .. "/?.so;" .. package.cpath end
local ocip = require "ocip"
local xml = require "ocip.xml"

-- Runs `batches` batches of `iters` calls of fn; returns the median and the minimum
-- CPU seconds per call.
local function measure(batches, iters, fn)
  local t = {}
  for b = 1, batches do
    local t0 = os.clock()
    for _ = 1, iters do fn() end
    t[b] = (os.clock() - t0) / iters
  end
  table.sort(t)
  local mid = #t // 2
  local median = #t % 2 == 1 and t[mid + 1] or (t[mid] + t[mid + 1]) / 2
  return median, t[1]
end

local function peak_rss_kib()
  local f = io.open("/proc/self/status", "r")
  if not f then return -1 end
  local s = f:read("a")
  f:close()
  return tonumber(s:match("VmHWM:%s*(%d+)")) or -1
end

local HEAD = '<?xml version="1.0" encoding="ISO-8859-1"?>\n<BroadsoftDocument protocol="OCI" xmlns="C" '
  .. 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><sessionId xmlns="">bench-session-0001</sessionId>'
local TAIL = "</BroadsoftDocument>\n"

local cases = {}

-- The 20 fields a provisioning script typically sets (nested address counts as one).
function cases.encode()
  local fields = {
    service_provider_id = "enterprise-01", group_id = "group-01", user_id = "alice.smith@example.net",
    last_name = "Müller", first_name = "Alice", calling_line_id_last_name = "Müller",
    calling_line_id_first_name = "Alice", password = "Secret-Passw0rd", language = "English",
    time_zone = "America/New_York", address = { address_line1 = "1 Main Street", city = "Springfield" },
    email_address = "alice.smith@example.net", extension = "0123", phone_number = "2025550123",
    title = "Account Manager", mobile_phone_number = "2025550999", pager_phone_number = "2025550888",
    yahoo_id = "asmith", network_class_of_service = "NCOS-default", is_place = false,
  }
  local build_req = ocip.commands.UserAddRequest22V2
  local doc = assert(xml.encode(build_req(fields), "bench-session-0001"))
  assert(doc:find("<isPlace>false</isPlace>", 1, true) and doc:find("M\xfcller", 1, true))
  local function op() return xml.encode(build_req(fields), "bench-session-0001") end
  local med, min = measure(9, 3000, op)
  return med * 1e6, "us", min * 1e6, #doc
end

function cases.decode_user()
  local doc = HEAD .. [[<command echo="" xsi:type="UserGetResponse23V2" xmlns="">
<serviceProviderId>enterprise-01</serviceProviderId><groupId>group-01</groupId><userId>alice.smith@example.net</userId>
<lastName>Smith</lastName><firstName>Alice</firstName><callingLineIdLastName>Smith</callingLineIdLastName>
<callingLineIdFirstName>Alice</callingLineIdFirstName><hiraganaLastName>Smith</hiraganaLastName>
<hiraganaFirstName>Alice</hiraganaFirstName><phoneNumber>+1-2025550123</phoneNumber><extension>0123</extension>
<callingLineIdPhoneNumber>+1-2025550123</callingLineIdPhoneNumber>
<department xsi:type="GroupDepartmentKey"><serviceProviderId>enterprise-01</serviceProviderId><groupId>group-01</groupId><name>Sales</name></department>
<departmentFullPath>Sales (group-01)</departmentFullPath><language>English</language><timeZone>America/New_York</timeZone>
<timeZoneDisplayName>(GMT-05:00) (US) Eastern Time</timeZoneDisplayName><defaultAlias>alice.smith@example.net</defaultAlias>
<alias>sip:alice@example.net</alias><alias>sip:asmith@example.net</alias>
<accessDeviceEndpoint><accessDevice><deviceLevel>Group</deviceLevel><deviceName>alice-vvx</deviceName></accessDevice>
<linePort>alice_lp@example.net</linePort><contact><sipContact>sip:alice@10.0.0.5:5060</sipContact></contact><portNumber>1</portNumber></accessDeviceEndpoint>
<title>Account Manager</title><mobilePhoneNumber>+1-2025550999</mobilePhoneNumber><emailAddress>alice.smith@example.net</emailAddress>
<addressLocation>Building 2</addressLocation><address><addressLine1>1 Main Street</addressLine1><city>Springfield</city>
<stateOrProvince>VA</stateOrProvince><zipOrPostalCode>22150</zipOrPostalCode><country>USA</country></address>
<countryCode>1</countryCode><nationalPrefix>1</nationalPrefix><networkClassOfService>NCOS-default</networkClassOfService>
<impId>alice@im.example.net</impId><allowVideo>true</allowVideo><userExternalId>ext-000123</userExternalId>
<isPlace>false</isPlace></command>]] .. TAIL
  local r = assert(xml.decode(doc)).responses[1]
  assert(r._type == "UserGetResponse23V2" and r.first_name == "Alice" and r.allow_video == true and #r.alias == 2)
  local med, min = measure(9, 5000, function() return xml.decode(doc) end)
  return med * 1e6, "us", min * 1e6, #doc
end

function cases.decode_table()
  local headings = { "User Id", "Last Name", "First Name", "Department", "Phone Number",
    "Phone Number Activated", "Email Address", "Hiragana Last Name", "Hiragana First Name",
    "In Trunk Group", "Extension", "Country Code", "National Prefix", "User External Id", "Reseller Id" }
  local parts = { HEAD, '<command xsi:type="UserGetListInSystemResponse" xmlns=""><userTable>' }
  for _, h in ipairs(headings) do parts[#parts + 1] = "<colHeading>" .. h .. "</colHeading>" end
  for i = 1, 10000 do
    parts[#parts + 1] = ("<row><col>user%05d@example.net</col><col>Last%d</col><col>First%d</col><col>Sales</col>"
      .. "<col>+1-20255%05d</col><col>true</col><col>user%05d@example.net</col><col/><col/><col>false</col>"
      .. "<col>%04d</col><col>1</col><col>1</col><col/><col/></row>"):format(i, i, i, i, i, i % 10000)
  end
  parts[#parts + 1] = "</userTable></command>" .. TAIL
  local doc = table.concat(parts)
  parts = nil
  local t = assert(xml.decode(doc)).responses[1].user_table
  assert(#t == 10000 and t[10000].user_id == "user10000@example.net" and t[1].last_name == "Last1"
    and t[1].hiragana_last_name == nil and t[1].phone_number_activated == "true")
  t = nil
  collectgarbage()
  local med, min = measure(7, 1, function() return xml.decode(doc) end)
  return med * 1e3, "ms", min * 1e3, #doc
end

-- The loop is busy for the whole decode of an answer: ms per MB of document is the
-- figure that says how long a big answer holds everything else up.
function cases.decode_huge()
  local big = require "spec.support.big_docs"
  local doc = big.user_list(150000)
  local t = assert(xml.decode(doc)).responses[1].user_table
  assert(#t == 150000 and t[150000].user_id == big.user_id(150000))
  t = nil
  collectgarbage()
  local med, min = measure(3, 1, function() return xml.decode(doc) end)
  local mb = #doc / 1e6
  return med * 1e3 / mb, "ms", min * 1e3 / mb, #doc
end

function cases.reject_hostile()
  local big = require "spec.support.big_docs"
  local open, close = {}, {}
  for i = 1, 60 do
    local at = {}
    for j = 1, 60 do at[j] = ('xmlns:p%d_%d="urn:x:%d"'):format(i, j, j) end
    open[i] = "<e " .. table.concat(at, " ") .. ">"
    close[i] = "</e>"
  end
  local function cmd(body)
    return HEAD .. '<command xsi:type="UserGetRequest23V2" xmlns="">' .. body .. "</command>" .. TAIL
  end
  local docs = {
    big.attributes(300000),
    cmd(("<q:a/>"):rep(500000)),
    cmd(table.concat(open) .. ("<p1_1:a/>"):rep(330000) .. table.concat(close)),
  }
  local worst, worst_min, bytes = 0, 0, 0
  for _, doc in ipairs(docs) do
    local r, err = xml.decode(doc)
    assert(r == nil and err.kind == "limit", "not refused as a limit")
    local med, min = measure(5, 3, function() return xml.decode(doc) end)
    local mb = #doc / 1e6
    if med / mb > worst then worst, worst_min, bytes = med / mb, min / mb, #doc end
  end
  return worst * 1e3, "ms", worst_min * 1e3, bytes
end

local fn = cases[case]
if not fn then
  io.stderr:write("usage: ocip spec/bench/codec_bench.lua encode|decode_user|decode_table|decode_huge|reject_hostile [BUILD]\n")
  os.exit(2)
end
local med, unit, min, bytes = fn()
print(("%s %.3f %s %.3f %d %d"):format(case, med, unit, min, peak_rss_kib(), bytes))
