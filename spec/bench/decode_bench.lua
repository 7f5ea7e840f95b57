-- Decoder figures: a UserGetResponse23V2-like document (µs per decode) and a
-- 10,000-row x 15-column UserGetListInSystemResponse table (ms per decode).
-- Run: lua5.4 spec/bench/decode_bench.lua   (with ocip.so on LUA_CPATH) or build/ocip spec/bench/decode_bench.lua
require "ocip"
local core = require "ocip.core"

local function best_of(runs, iters, fn)
  local best = math.huge
  for _ = 1, runs do
    local t0 = os.clock()
    for _ = 1, iters do fn() end
    local dt = (os.clock() - t0) / iters
    if dt < best then best = dt end
  end
  return best
end

local HEAD = '<?xml version="1.0" encoding="ISO-8859-1"?>\n<BroadsoftDocument protocol="OCI" xmlns="C" '
  .. 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><sessionId xmlns="">bench-session-0001</sessionId>'

local user = HEAD .. [[<command echo="" xsi:type="UserGetResponse23V2" xmlns="">
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
<isPlace>false</isPlace></command></BroadsoftDocument>
]]

local HEADINGS = { "User Id", "Last Name", "First Name", "Department", "Phone Number", "Phone Number Activated",
  "Email Address", "Hiragana Last Name", "Hiragana First Name", "In Trunk Group", "Extension", "Country Code",
  "National Prefix", "User External Id", "Reseller Id" }
local parts = { HEAD, '<command xsi:type="UserGetListInSystemResponse" xmlns=""><userTable>' }
for _, h in ipairs(HEADINGS) do parts[#parts + 1] = "<colHeading>" .. h .. "</colHeading>" end
for i = 1, 10000 do
  parts[#parts + 1] = ("<row><col>user%05d@example.net</col><col>Last%d</col><col>First%d</col><col>Sales</col>"
    .. "<col>+1-20255%05d</col><col>true</col><col>user%05d@example.net</col><col/><col/><col>false</col>"
    .. "<col>%04d</col><col>1</col><col>1</col><col/><col/></row>"):format(i, i, i, i, i, i % 10000)
end
parts[#parts + 1] = "</userTable></command></BroadsoftDocument>\n"
local big = table.concat(parts)

local r = assert(core.decode(user)).responses[1]
assert(r.first_name == "Alice" and r.allow_video == true and #r.alias == 2)
local t = assert(core.decode(big)).responses[1].user_table
assert(#t == 10000 and t[10000].user_id == "user10000@example.net" and t[1].hiragana_last_name == nil)

local latin = user:gsub("<lastName>Smith", "<lastName>M\xFCller") -- non-ASCII: charset conversion
assert(core.decode(latin).responses[1].last_name == "M\xC3\xBCller")
local us = best_of(5, 20000, function() core.decode(user) end) * 1e6
local us_latin = best_of(5, 20000, function() core.decode(latin) end) * 1e6
local ms = best_of(5, 5, function() core.decode(big) end) * 1e3
print(("decode UserGetResponse23V2 (%d bytes): %.2f us/doc (target <= 20)"):format(#user, us))
print(("decode UserGetResponse23V2 with Latin-1 bytes: %.2f us/doc"):format(us_latin))
print(("decode 10,000 x 15 table (%.1f MiB): %.1f ms (target <= 40), %.0f MB/s"):format(
  #big / 1048576, ms, #big / (ms / 1e3) / 1e6))
