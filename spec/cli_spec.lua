-- ocip describe / ocip send as subprocesses of the built host, against a simulator
-- running as a child process.
local helpers = require "spec.helpers"
local sim_process = require "spec.support.sim_process"
local cjson = require "cjson"

local q = helpers.shell_quote
local HOST = q(helpers.host())
local PASSWORD = "Pw-n4-" .. tostring(os.time()) .. "-s3cr3t"

local function ocip(args) return helpers.exec(HOST .. " " .. args) end

describe("ocip describe", function()
  it("prints the fields of a request and its response type", function()
    local out, code = ocip("describe UserGetRequest23V2")
    assert.are.equal(0, code)
    assert.matches("UserGetRequest23V2 %(request%)", out)
    assert.matches("response: UserGetResponse23V2", out)
    assert.matches("user_id%s+userId%s+UserId%s+yes", out)
    assert.matches("length 1%.%.161", out)
  end)

  it("shows enum values, lists, choices and abstract types", function()
    local out, code = ocip("describe UserAddRequest17sp4")
    assert.are.equal(0, code)
    assert.matches("alias%s+alias%s+SIPURI%s+0%.%.3", out)
    assert.matches("abstract: EnterpriseDepartmentKey | GroupDepartmentKey", out)
    out = ocip("describe UserModifyRequest22")
    assert.matches("allow_video%s+allowVideo%s+xs:boolean", out)
    out = ocip("describe GroupCallCenterModifyInstanceRequest22")
    assert.matches("enum: ", out)
  end)

  it("shows the column hints of table fields", function()
    local out, code = ocip("describe UserGetListInGroupResponse")
    assert.are.equal(0, code)
    assert.matches("user_table%s+userTable%s+OCITable", out)
    assert.matches("\nuser_table columns: User Id, Last Name, First Name, Department, Phone Number,"
      .. " Phone Number Activated, Email Address, Hiragana Last Name, Hiragana First Name,"
      .. " In Trunk Group, Extension, Country Code, National Prefix\n", out, 1, true)
    out, code = ocip("describe GroupGetListInSystemResponse")
    assert.are.equal(0, code)
    assert.matches("group_table%s+groupTable%s+OCITable", out)
    assert.is_nil(out:find("columns:", 1, true))
  end)

  it("describes other types too", function()
    local out, code = ocip("describe DepartmentKey")
    assert.are.equal(0, code)
    assert.matches("concrete types: EnterpriseDepartmentKey, GroupDepartmentKey", out)
  end)

  it("rejects an unknown name with exit 2 and close matches", function()
    local out, code, err = ocip("describe UserGetReqest23V2")
    assert.are.equal(2, code)
    assert.are.equal("", out)
    assert.matches("unknown request or type 'UserGetReqest23V2'", err)
    assert.matches("did you mean:\n  UserGetRequest23V2\n", err)
  end)

  it("suggests only the name that differs in case alone", function()
    local out, code, err = ocip("describe usergetrequest23v2")
    assert.are.equal(2, code)
    assert.are.equal("", out)
    assert.truthy(err:find("did you mean:\n  UserGetRequest23V2\n$"), err)
    _, code, err = ocip("send UserGetRequest23v2 user_id=x")
    assert.are.equal(2, code)
    assert.truthy(err:find("did you mean: UserGetRequest23V2\n$"), err)
  end)

  it("--find lists matching request names", function()
    local out, code = ocip("describe --find UserGetListInSystem")
    assert.are.equal(0, code)
    local names = {}
    for l in out:gmatch("[^\n]+") do names[#names + 1] = l end
    assert.is_true(#names >= 1)
    for _, n in ipairs(names) do assert.matches("UserGetListInSystem", n) end
    local _, code2, err2 = ocip("describe --find NoSuchThingAtAll")
    assert.are.equal(1, code2)
    assert.matches("no request matches", err2)
  end)

  it("--find marks the newest version of a family and the deprecated ones", function()
    local out, code = ocip("describe --find UserGetRequest")
    assert.are.equal(0, code)
    assert.matches("\nUserGetRequest23V2 +newest\n", out)
    assert.matches("\nUserGetRequest23 +deprecated\n", out)
    assert.matches("\nUserGetRequest14 +deprecated\n", out)
    assert.matches("\nSystemInterceptUserGetRequest\n", out) -- one version, current: no mark
    local deprecated = 0
    for line in out:gmatch("[^\n]+") do
      if line:match("^UserGetRequest%w+ +deprecated$") then deprecated = deprecated + 1 end
    end
    assert.are.equal(23, deprecated)
  end)

  it("describe tells a request's version: deprecated, the newest, its family", function()
    local out, code = ocip("describe UserGetRequest22V5")
    assert.are.equal(0, code)
    assert.matches("^UserGetRequest22V5 %(request, deprecated%)", out)
    assert.matches("\nversion: 18 of 24 in family UserGetRequest; the newest is UserGetRequest23V2\n", out)
    out = ocip("describe UserGetRequest23V2")
    assert.matches("\nversion: 24 of 24 in family UserGetRequest, the newest\n", out)
    out = ocip("describe GroupAddRequest")
    assert.matches("^GroupAddRequest %(request, deprecated%)", out)
    assert.is_nil(out:find("version:", 1, true)) -- the only one of its family
    out = ocip("describe UserDeleteRequest")
    assert.matches("^UserDeleteRequest %(request%)", out)
    assert.is_nil(out:find("version:", 1, true))
  end)
end)

describe("ocip send (offline)", function()
  it("--dry-run prints a valid document without connecting", function()
    local out, code, err = ocip("send --dry-run UserModifyRequest22 user_id=u@x "
      .. q('last_name=O"Brien, Jr') .. " allow_video=true address.city=Paris "
      .. "department._type=GroupDepartmentKey department.service_provider_id=sp1 "
      .. "department.group_id=g1 department.name=Sales")
    assert.are.equal(0, code, err)
    assert.matches('^<%?xml version="1%.0" encoding="ISO%-8859%-1"%?>', out)
    assert.matches("<lastName>O&quot;Brien, Jr</lastName>", out, 1, true)
    assert.matches("<address><city>Paris</city></address>", out, 1, true)
    assert.matches("<allowVideo>true</allowVideo>", out, 1, true)
    local decoded = assert(require("ocip").xml.decode(out))
    assert.are.equal("UserModifyRequest22", decoded.responses[1]._type)
    local ok, why = require("ocip").core.xsd_validate(helpers.schema_dir() .. "/OCISchemaAS.xsd", out)
    assert.is_true(ok, why)
  end)

  it("repeated keys make a list", function()
    local out, code, err = ocip("send --dry-run UserServiceAssignListRequest user_id=u@x "
      .. q("service_name=Voice Messaging User") .. " " .. q("service_name=Call Forwarding Always"))
    assert.are.equal(0, code, err)
    local _, n = out:gsub("<serviceName>", "")
    assert.are.equal(2, n)
  end)

  it("an unknown field is a validation error naming it (exit 1)", function()
    local _, code, err = ocip("send --dry-run UserGetRequest23V2 user_id=u@x bogus_field=1")
    assert.are.equal(1, code)
    assert.matches("validation", err)
    assert.matches("bogus_field", err)
  end)

  it("reports every problem at once, on stderr and in --json's error.problems", function()
    local out, code, err = ocip("send --dry-run --json UserAddRequest22V2 user_id=u@x userid=v is_place=yes")
    assert.are.equal(1, code)
    assert.truthy(err:find("unknown field userid (did you mean user_id?)", 1, true), err)
    assert.truthy(err:find("UserAddRequest22V2.last_name: required field missing", 1, true), err)
    assert.truthy(err:find("is_place: boolean expected (true or false)", 1, true), err)
    local e = cjson.decode(out).error
    assert.are.equal("validation", e.kind)
    local fields = {}
    for i, p in ipairs(e.problems) do fields[i] = p.field end
    assert.are.same({ "UserAddRequest22V2.userid", "UserAddRequest22V2.service_provider_id",
      "UserAddRequest22V2.group_id", "UserAddRequest22V2.last_name", "UserAddRequest22V2.first_name",
      "UserAddRequest22V2.calling_line_id_last_name", "UserAddRequest22V2.calling_line_id_first_name",
      "UserAddRequest22V2.is_place" }, fields)
  end)

  it("an unknown request gives exit 2 with suggestions", function()
    local _, code, err = ocip("send UserGetRequst23V2 user_id=x")
    assert.are.equal(2, code)
    assert.matches("UserGetRequest23V2", err)
  end)

  it("suggests the newest versions of a bare base name first", function()
    local _, code, err = ocip("send UserGetRequest user_id=x")
    assert.are.equal(2, code)
    local list = err:match("did you mean: ([^\n]*)")
    assert.truthy(list, err)
    assert.matches("^UserGetRequest23V2, UserGetRequest23, UserGetRequest22V%d", list)
    assert.is_nil(list:find("UserGetRequest14", 1, true), list)
  end)

  it("--help lists --csv and the exit codes", function()
    local out, code = ocip("send --help")
    assert.are.equal(0, code)
    assert.matches("%-%-csv", out)
    assert.matches("3 could not connect or log in", out)
    assert.matches("2 usage", out)
  end)

  it("refuses a password flag", function()
    local out, code, err = ocip("send --password hunter2 UserGetRequest23V2 user_id=x")
    assert.are.equal(2, code)
    assert.matches("OCIP_PASSWORD", err)
    assert.is_nil((out .. err):find("hunter2", 1, true))
  end)
end)

describe("ocip sim (usage)", function()
  it("rejects a bare --faults key, naming it, and lists --no-tcp in its usage", function()
    local out, code, err = ocip("sim --for 0 --faults latency")
    assert.are.equal(2, code)
    assert.are.equal("", out)
    assert.truthy(err:find("'latency'", 1, true), err)
    assert.truthy(err:find("key=value", 1, true), err)
    assert.truthy(err:find("--no-tcp", 1, true), err)
  end)
end)

describe("profile files", function()
  for _, case in ipairs {
    { "a syntax error", 'host = "h"\npassword = "' .. PASSWORD .. '\n', "line 2" },
    { "a runtime error", 'host = "h"\npassword = "' .. PASSWORD .. '"\nerror(password)\n', "line 3" },
  } do
    it("reports " .. case[1] .. " with path and line, never the file's content", function()
      local path = os.tmpname()
      local f = assert(io.open(path, "w"))
      f:write(case[2])
      f:close()
      local r, err = require("ocip.profile").load_file(path, true)
      local out, code, stderr = helpers.exec("env -u OCIP_PASSWORD OCIP_PROFILE=" .. q(path) .. " "
        .. HOST .. " send UserGetRequest23V2 user_id=x")
      os.remove(path)
      assert.is_nil(r)
      assert.equal("usage", err.kind)
      assert.truthy(err.message:find(path, 1, true), err.message)
      assert.matches(case[3], err.message)
      assert.is_nil(err.message:find(PASSWORD:sub(1, 6), 1, true), err.message)
      assert.is_not.equal(0, code)
      assert.is_nil((out .. stderr):find(PASSWORD:sub(1, 6), 1, true), out .. stderr)
    end)
  end
end)

describe("ocip send (simulator)", function()
  local sim
  local outputs = {}
  local function run(args)
    local out, code, err = sim.sh(HOST .. " " .. args)
    outputs[#outputs + 1] = out .. err
    return out, code, err
  end

  setup(function()
    sim = sim_process.start{ users = 50, seconds = 30, password = PASSWORD }
    assert(sim.port, "simulator did not start: " .. tostring(sim.ready))
  end)
  teardown(function() if sim then sim.stop() end end)

  it("prints a response as a table", function()
    local out, code, err = run("send UserGetRequest23V2 user_id=user000007@example.net")
    assert.are.equal(0, code, err)
    assert.matches("^UserGetResponse23V2\n", out)
    assert.matches("\n  user_id%s+user000007@example%.net\n", out)
    -- schema order: service_provider_id before group_id before user_id
    assert.is_true(out:find("service_provider_id", 1, true) < out:find("  user_id", 1, true))
  end)

  it("prints an OCITable with its headings in order, aligned", function()
    local out, code, err = run("send UserGetListInSystemRequest response_size_limit=5")
    assert.are.equal(0, code, err)
    local lines = {}
    for l in out:gmatch("[^\n]+") do lines[#lines + 1] = l end
    local head = lines[3]
    assert.matches("^%s+User Id%s+Group Id%s+Service Provider Id%s+Last Name", head)
    local col = head:find("Group Id", 1, true)
    for i = 5, 9 do assert.are.equal("g1", lines[i]:sub(col, col + 1)) end
    assert.matches("%(5 rows%)", out)
  end)

  it("--json output parses back", function()
    local out, code, err = run("send --json UserGetListInSystemRequest response_size_limit=3")
    assert.are.equal(0, code, err)
    local t = cjson.decode(out)
    assert.are.equal("UserGetListInSystemResponse", t._type)
    assert.are.equal(3, #t.user_table)
    assert.are.equal("user000001@example.net", t.user_table[1].user_id)
    out = run("send --json UserGetRequest23V2 user_id=user000002@example.net")
    t = cjson.decode(out)
    assert.are.equal(false, t.allow_video)
    assert.are.equal("user000002@example.net", t.user_id)
  end)

  it("a server error prints the ocip.Error and exits 1", function()
    local out, code, err = run("send --json UserGetRequest23V2 user_id=nobody@example.net")
    assert.are.equal(1, code)
    assert.matches("4008", err)
    local t = cjson.decode(out)
    assert.are.equal("server", t.error.kind)
    assert.are.equal(4008, math.tointeger(t.error.code) or tonumber(t.error.code))
  end)

  it("writes, then reads back (boolean and nested values)", function()
    local _, code, err = run("send UserModifyRequest22 user_id=user000003@example.net "
      .. q('last_name=O"Brien') .. " allow_video=true")
    assert.are.equal(0, code, err)
    local out = run("send --json UserGetRequest23V2 user_id=user000003@example.net")
    local t = cjson.decode(out)
    assert.are.equal('O"Brien', t.last_name)
  end)

  it("takes its settings from a profile file", function()
    local out, code, err = helpers.exec("env -u OCIP_PASSWORD OCIP_PROFILE=" .. q(sim.profile) .. " "
      .. HOST .. " send UserGetRequest23V2 user_id=user000001@example.net")
    outputs[#outputs + 1] = out .. err
    assert.are.equal(0, code, err)
    assert.matches("user000001@example%.net", out)
  end)

  it("a wrong password is an auth error, and is not echoed", function()
    local _, code2, err2 = helpers.exec("sh -c " .. q("set -a; . " .. q(sim.env_file)
      .. "; OCIP_PASSWORD=wrong-$OCIP_PASSWORD; " .. HOST .. " send UserGetRequest23V2 user_id=x"))
    outputs[#outputs + 1] = err2
    assert.are.equal(3, code2) -- could not log in: nothing done
    assert.matches("auth", err2)
    assert.is_nil(err2:find("wrong-", 1, true))
    -- reported once, as the unsent command
    local _, n = err2:gsub("Invalid password", "")
    assert.are.equal(1, n, err2)
    assert.truthy(err2:find("login as ", 1, true), err2)
    assert.truthy(err2:find("UserGetRequest23V2", 1, true), err2)
    assert.truthy(err2:find("[not sent]", 1, true), err2)
    assert.is_nil(err2:find("may have reached", 1, true), err2)
  end)

  it("a refused connection exits 3, a bad --rate 2", function()
    local _, code, err = run("send --port 1 --timeout 5 UserGetRequest23V2 user_id=x")
    assert.are.equal(3, code, err)
    assert.matches("connect", err)
    _, code, err = run("send --rate -5 UserGetRequest23V2 user_id=x")
    assert.are.equal(2, code, err)
    assert.matches("%-%-rate: expected a positive number", err)
  end)

  it("--csv prints an OCITable as CSV, neutralising formula cells", function()
    local _, c0, e0 = run("send UserModifyRequest22 user_id=user000004@example.net " .. q("last_name=@SUM(A1)"))
    assert.are.equal(0, c0, e0)
    local out, code, err = run("send --csv UserGetListInSystemRequest response_size_limit=5")
    assert.are.equal(0, code, err)
    local _, rows = require("ocip.csv").records(out)
    local lines = {}
    for l in out:gmatch("[^\n]+") do lines[#lines + 1] = l end
    assert.matches("^user_id,group_id,service_provider_id,last_name,first_name,department,phone_number,", lines[1])
    assert.are.equal(6, #lines)
    assert.matches("\r$", lines[2])
    assert.are.equal("user000004@example.net", rows[4].user_id)
    assert.are.equal("@SUM(A1)", rows[4].last_name)           -- read back unchanged
    assert.truthy(lines[5]:find(",'@SUM(A1),", 1, true), lines[5]) -- written behind a quote
    assert.truthy(lines[2]:find(",'+1-", 1, true), lines[2])
  end)

  it("--csv prints a single response as one row, nested fields dotted", function()
    local _, c0, e0 = run("send UserModifyRequest22 user_id=user000002@example.net address.city=Paris")
    assert.are.equal(0, c0, e0)
    local out, code, err = run("send --csv UserGetRequest23V2 user_id=user000002@example.net")
    assert.are.equal(0, code, err)
    local header, rows = require("ocip.csv").records(out)
    assert.are.equal(1, #rows)
    assert.are.equal("service_provider_id", header[1])
    assert.are.equal("user000002@example.net", rows[1].user_id)
    assert.are.equal("false", rows[1].allow_video)
    assert.are.equal("Paris", rows[1]["address.city"])
  end)

  it("no password appears in any output or argv", function()
    assert.is_true(#outputs >= 6)
    for _, o in ipairs(outputs) do assert.is_nil(o:find(PASSWORD, 1, true)) end
    assert.is_nil(sim.argv():find(PASSWORD, 1, true))
    assert.matches("sim", sim.argv())
  end)
end)
