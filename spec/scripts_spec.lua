-- Script packs run with `ocip run` against a simulator child process.
local helpers = require "spec.helpers"
local sim_process = require "spec.support.sim_process"
local csv = require "ocip.csv"

local q = helpers.shell_quote
local HOST = q(helpers.host())
local SCRIPT = q(helpers.repo_root() .. "/scripts/users_export.lua")
local PASSWORD = "Pw-scripts-" .. tostring(os.time())

-- RFC 4180 reader (the spec's own, independent of the writer): records of fields.
local function parse_csv(text)
  local records, fields, i, n = {}, {}, 1, #text
  local field = {}
  while i <= n do
    local ch = text:sub(i, i)
    if ch == '"' and #field == 0 then
      local j = i + 1
      while true do
        local k = assert(text:find('"', j, true), "unterminated quote")
        if text:sub(k + 1, k + 1) == '"' then
          field[#field + 1] = text:sub(j, k)
          j = k + 2
        else
          field[#field + 1] = text:sub(j, k - 1)
          i = k + 1
          break
        end
      end
    elseif ch == "," then
      fields[#fields + 1] = table.concat(field); field = {}; i = i + 1
    elseif ch == "\r" and text:sub(i + 1, i + 1) == "\n" then
      fields[#fields + 1] = table.concat(field); field = {}
      records[#records + 1] = fields; fields = {}
      i = i + 2
    else
      assert(ch ~= '"', "quote inside an unquoted field at " .. i)
      assert(ch ~= "\n" and ch ~= "\r", "bare line break at " .. i)
      field[#field + 1] = ch; i = i + 1
    end
  end
  assert(#fields == 0 and #field == 0, "last record not terminated by CRLF")
  return records
end

describe("ocip.csv writer", function()
  it("quotes per RFC 4180", function()
    assert.are.equal("a,\"b,c\",\"say \"\"hi\"\"\",\"x\r\ny\",,1\r\n",
      csv.line({ "a", "b,c", 'say "hi"', "x\r\ny", nil, 1 }, 6))
  end)
end)

describe("scripts/users_export.lua", function()
  local sim
  setup(function()
    sim = sim_process.start{ users = 50, seconds = 30, password = PASSWORD }
    assert(sim.port, "simulator did not start: " .. tostring(sim.ready))
    -- a name that needs quoting
    local _, code, err = sim.sh(HOST .. " send UserModifyRequest22 user_id=user000010@example.net "
      .. q('last_name=O"Brien, Jr') .. " " .. q("first_name=Ann Marie"))
    assert(code == 0, err)
  end)
  teardown(function() if sim then sim.stop() end end)

  local function check(text)
    local recs = parse_csv(text)
    assert.are.equal(51, #recs)
    assert.are.same({ "user_id", "service_provider_id", "group_id", "last_name", "first_name",
      "department", "phone_number", "extension", "email_address", "user_external_id" }, recs[1])
    local seen = {}
    for i = 2, #recs do
      assert.are.equal(10, #recs[i])
      seen[recs[i][1]] = recs[i]
    end
    for i = 1, 50 do assert.is_truthy(seen[("user%06d@example.net"):format(i)]) end
    local r = seen["user000010@example.net"]
    assert.are.equal('O"Brien, Jr', r[4])
    assert.are.equal("Ann Marie", r[5])
    assert.are.equal("sp1", r[2])
    assert.are.equal("g1", r[3])
    assert.matches('\r\nuser000010@example%.net,sp1,g1,"O""Brien, Jr",Ann Marie,', text)
  end

  it("exports every user to stdout, summary on stderr", function()
    local out, code, err = sim.sh(HOST .. " run " .. SCRIPT .. " --rate 100")
    assert.are.equal(0, code, err)
    check(out)
    assert.matches("users_export: 50 users, 1 request, 0 failed", err)
    assert.is_nil((out .. err):find(PASSWORD, 1, true))
  end)

  it("exports per group to --out FILE", function()
    local file = os.tmpname()
    local out, code, err = sim.sh(HOST .. " run " .. SCRIPT .. " --per-group --out " .. q(file))
    assert.are.equal(0, code, err)
    assert.are.equal("", out)
    local f = assert(io.open(file, "rb"))
    local text = f:read("a")
    f:close()
    os.remove(file)
    check(text)
    assert.matches("50 users, 3 requests, 0 failed, to " .. file:gsub("%p", "%%%0"), err)
  end)

  it("--dry-run connects to nothing and writes no file", function()
    local file = os.tmpname()
    os.remove(file)
    local out, code, err = sim.sh(HOST .. " run " .. SCRIPT .. " --dry-run --rate 5 --out " .. q(file))
    assert.are.equal(0, code, err)
    assert.matches("dry run: would connect to tcp 127%.0%.0%.1:" .. sim.port .. " as admin at most 5 commands/s", out)
    assert.matches("UserGetListInSystemRequest", out)
    assert.is_nil(io.open(file, "r"))
    assert.is_nil((out .. err):find(PASSWORD, 1, true))
  end)

  it("a failed request exits 1 and is reported", function()
    local _, code, err = sim.sh(HOST .. " run " .. SCRIPT .. " --group sp1/nope")
    assert.are.equal(1, code)
    assert.matches("sp1/nope%) failed: .*4152", err)
    assert.matches("0 users, 1 request, 1 failed", err)
  end)

  it("usage errors exit 2", function()
    local _, code, err = sim.sh(HOST .. " run " .. SCRIPT .. " --bogus")
    assert.are.equal(2, code)
    assert.matches("unexpected argument %-%-bogus", err)
    _, code, err = sim.sh(HOST .. " run " .. SCRIPT .. " --password x")
    assert.are.equal(2, code)
    assert.matches("OCIP_PASSWORD", err)
  end)
end)

local function script(name) return q(helpers.repo_root() .. "/scripts/" .. name .. ".lua") end

local write_file = helpers.temp_file

local read_file = helpers.read_file

-- users of the simulator, by id, through users_export
local function export_users(sim)
  local out, code, err = sim.sh(HOST .. " run " .. SCRIPT)
  assert(code == 0, err)
  local recs = parse_csv(out)
  local by, n = {}, 0
  for i = 2, #recs do by[recs[i][1]] = recs[i]; n = n + 1 end
  return by, n
end

-- report CSV -> rows keyed by the report's columns
local function report_rows(path)
  local recs = parse_csv(read_file(path))
  assert.are.same({ "row", "key", "outcome", "error_kind", "error_code", "message" }, recs[1])
  local rows = {}
  for i = 2, #recs do
    local r = recs[i]
    rows[#rows + 1] = { row = tonumber(r[1]), key = r[2], outcome = r[3], kind = r[4], code = r[5], message = r[6] }
  end
  return rows
end

-- 30 rows: 27 new users (every 5th without phone, every 7th without e-mail), row 8 with
-- a one-character extension, row 15 with a 31-character last name, row 22 a user the
-- simulator already has.
local function users_csv()
  local lines = { "service_provider_id,group_id,user_id,last_name,first_name,password,phone_number,extension,email_address,department" }
  for i = 1, 30 do
    local uid = ("bulk%02d@example.net"):format(i)
    local last, ext = (i == 3 and 'O"Hara, Jr' or "Bulk" .. i), ("%04d"):format(100 + i)
    if i == 8 then ext = "7" end
    if i == 15 then last = ("L"):rep(31) end
    if i == 22 then uid = "user000001@example.net" end
    local phone = i % 5 == 0 and "" or tostring(3125550100 + i)
    local email = i % 7 == 0 and "" or ("bulk%d@example.net"):format(i)
    lines[#lines + 1] = table.concat({ "sp1", "g1", uid, '"' .. last:gsub('"', '""') .. '"', "First" .. i,
      "Secret-" .. i, phone, ext, email, i == 4 and '"Sales, East"' or "" }, ",")
  end
  return table.concat(lines, "\r\n") .. "\r\n"
end

describe("scripts/users_add.lua", function()
  local sim, input
  setup(function()
    sim = sim_process.start{ users = 50, seconds = 40, password = PASSWORD }
    assert(sim.port, "simulator did not start: " .. tostring(sim.ready))
    input = write_file(users_csv())
  end)
  teardown(function()
    if sim then sim.stop() end
    if input then os.remove(input) end
  end)

  it("--dry-run validates, prints what would be sent, sends nothing", function()
    local report = os.tmpname()
    local out, code, err = sim.sh(HOST .. " run " .. script("users_add") .. " " .. q(input)
      .. " --dry-run --report " .. q(report))
    assert.are.equal(1, code, err) -- two rows are invalid
    assert.matches("dry run: would connect to tcp 127%.0%.0%.1:" .. sim.port .. " as admin and send 28 UserAddRequest22V2", out)
    assert.matches("row 1: UserAddRequest22V2 service_provider_id=sp1 group_id=g1 user_id=bulk01@example%.net", out)
    assert.matches('row 3: [^\n]*last_name="O\\"Hara, Jr"', out)
    assert.matches("password=%*%*%*", out)
    assert.is_nil(out:find("Secret-", 1, true))
    assert.is_nil(out:find("row 8:", 1, true))
    assert.matches("dry run: 30 rows: 28 valid, 0 failed, 2 skipped", err)
    local rows = report_rows(report)
    os.remove(report)
    assert.are.equal(30, #rows)
    assert.are.equal("skipped", rows[8].outcome)
    assert.are.equal("valid", rows[1].outcome) -- never "ok": --resume must not skip it
    local _, n = export_users(sim)
    assert.are.equal(50, n)
    local by = export_users(sim)
    assert.is_nil(by["bulk01@example.net"])
  end)

  it("adds the valid rows and reports every row: 27 ok, 2 skipped, 1 exists", function()
    local report = os.tmpname()
    local out, code, err = sim.sh(HOST .. " run " .. script("users_add") .. " " .. q(input)
      .. " --report " .. q(report) .. " --rate 200 --concurrency 8")
    assert.are.equal(1, code, err)
    assert.are.equal("", out)
    assert.matches("users_add: 30 rows: 27 ok, 1 exists, 0 failed, 2 skipped", err)
    assert.is_nil(err:find("Secret-", 1, true))
    local rows = report_rows(report)
    os.remove(report)
    assert.are.equal(30, #rows)
    local count = { ok = 0, exists = 0, skipped = 0 }
    for i, r in ipairs(rows) do
      assert.are.equal(i, r.row)
      count[r.outcome] = count[r.outcome] + 1
    end
    assert.are.same({ ok = 27, exists = 1, skipped = 2 }, count)
    assert.are.same({ "skipped", "validation", "" }, { rows[8].outcome, rows[8].kind, rows[8].code })
    assert.matches("extension", rows[8].message)
    assert.are.same({ "skipped", "validation" }, { rows[15].outcome, rows[15].kind })
    assert.matches("last_name", rows[15].message)
    assert.are.same({ "exists", "server", "4010", "user000001@example.net" },
      { rows[22].outcome, rows[22].kind, rows[22].code, rows[22].key })
    assert.are.same({ "ok", "bulk01@example.net", "" }, { rows[1].outcome, rows[1].key, rows[1].kind })

    local by, n = export_users(sim)
    assert.are.equal(77, n)
    for i = 1, 30 do
      local uid = ("bulk%02d@example.net"):format(i)
      if i == 8 or i == 15 or i == 22 then assert.is_nil(by[uid], uid)
      else assert.is_truthy(by[uid], uid) end
    end
    local u3 = by["bulk03@example.net"]
    assert.are.same({ "sp1", "g1", 'O"Hara, Jr', "First3" }, { u3[2], u3[3], u3[4], u3[5] })
    assert.are.equal("Sales, East", by["bulk04@example.net"][6])
    assert.are.equal("bulk5@example.net", by["bulk05@example.net"][9])
  end)

  it("takes back what users_export wrote: export, add on another system, the same export", function()
    -- names a spreadsheet would run as formulas, and one that starts with a quote
    local names = { ["user000002@example.net"] = "=cmd|' /C calc'!A0", ["user000003@example.net"] = "'=x",
      ["user000004@example.net"] = "-Smith", ["user000005@example.net"] = "@Home" }
    for id, name in pairs(names) do
      local _, c, e = sim.sh(HOST .. " send UserModifyRequest22 user_id=" .. id .. " " .. q("last_name=" .. name))
      assert(c == 0, e)
    end
    local file = os.tmpname()
    local _, code0, err0 = sim.sh(HOST .. " run " .. SCRIPT .. " --group sp1/g1 --out " .. q(file))
    assert.are.equal(0, code0, err0)
    local text = read_file(file)
    -- no cell starts with what a spreadsheet runs; the neutralising quote is there
    for _, rec in ipairs(parse_csv(text)) do
      for _, cell in ipairs(rec) do assert.is_nil(cell:find("^[=+%-@\t\r]"), cell) end
    end
    assert.truthy(text:find(",'=cmd|' /C calc'!A0,", 1, true), text)
    assert.truthy(text:find(",''=x,", 1, true), text)
    assert.matches(",'%+1%-%d+,", text)

    local sim2 = sim_process.start{ users = 0, seconds = 30, password = PASSWORD }
    assert(sim2.port, "simulator did not start: " .. tostring(sim2.ready))
    local report = os.tmpname()
    local _, code, err = sim2.sh(HOST .. " run " .. script("users_add") .. " " .. q(file) .. " --report " .. q(report))
    assert.are.equal(0, code, err)
    assert.matches("ignoring column user_external_id", err)
    assert.matches("77 rows: 77 ok, 0 failed, 0 skipped", err)
    local file2 = os.tmpname()
    local _, code2, err2 = sim2.sh(HOST .. " run " .. SCRIPT .. " --group sp1/g1 --out " .. q(file2))
    local text2 = read_file(file2)
    sim2.stop()
    os.remove(file); os.remove(file2); os.remove(report)
    assert.are.equal(0, code2, err2)
    local function lines(t)
      local list = {}
      for l in t:gmatch("[^\r\n]+") do list[#list + 1] = l end
      table.sort(list)
      return list
    end
    assert.are.same(lines(text), lines(text2))
  end)

  it("a last name too long is reported as last_name, dry run or not", function()
    local long = write_file("service_provider_id,group_id,user_id,last_name,first_name\r\n"
      .. "sp1,g1,long1@example.net," .. ("L"):rep(31) .. ",Ann\r\n")
    for _, flag in ipairs { " --dry-run", "" } do
      for _ = 1, 3 do -- the validator's field order is not fixed: try a few times
        local _, code, err = sim.sh(HOST .. " run " .. script("users_add") .. " " .. q(long) .. flag)
        assert.are.equal(1, code, err)
        assert.matches("UserAddRequest22V2%.last_name: longer than 30", err)
        assert.is_nil(err:find("calling_line_id", 1, true), err)
        assert.matches("1 row: 0 " .. (flag == "" and "ok" or "valid") .. ", 0 failed, 1 skipped", err)
      end
    end
    os.remove(long)
  end)

  it("a CSV without a required column is a usage error", function()
    local bad = write_file("user_id,last_name\r\nx@y,L\r\n")
    local _, code, err = sim.sh(HOST .. " run " .. script("users_add") .. " " .. q(bad))
    os.remove(bad)
    assert.are.equal(2, code)
    assert.matches("missing column service_provider_id", err)
  end)
end)

describe("scripts/users_delete.lua", function()
  local sim, input
  setup(function()
    sim = sim_process.start{ users = 20, seconds = 30, password = PASSWORD }
    assert(sim.port, "simulator did not start: " .. tostring(sim.ready))
    input = write_file("user_id\r\nuser000003@example.net\r\nuser000004@example.net\r\nnobody@example.net\r\n")
  end)
  teardown(function()
    if sim then sim.stop() end
    if input then os.remove(input) end
  end)

  it("refuses without --yes and sends nothing", function()
    local _, code, err = sim.sh(HOST .. " run " .. script("users_delete") .. " " .. q(input))
    assert.are.equal(2, code)
    assert.matches("refusing to delete 3 user%(s%) without %-%-yes", err)
    local by, n = export_users(sim)
    assert.are.equal(20, n)
    assert.is_truthy(by["user000003@example.net"])
  end)

  it("--dry-run lists the deletions", function()
    local out, code, err = sim.sh(HOST .. " run " .. script("users_delete") .. " " .. q(input) .. " --dry-run")
    assert.are.equal(0, code, err)
    assert.matches("row 2: UserDeleteRequest user_id=user000004@example%.net", out)
    local _, n = export_users(sim)
    assert.are.equal(20, n)
  end)

  it("--yes deletes and reports the unknown user as absent (not a failure)", function()
    local report = os.tmpname()
    local _, code, err = sim.sh(HOST .. " run " .. script("users_delete") .. " " .. q(input)
      .. " --yes --report " .. q(report))
    assert.are.equal(0, code, err)
    assert.matches("3 rows: 2 ok, 1 absent, 0 failed, 0 skipped", err)
    local rows = report_rows(report)
    os.remove(report)
    assert.are.same({ "ok", "ok", "absent" }, { rows[1].outcome, rows[2].outcome, rows[3].outcome })
    assert.are.equal("4008", rows[3].code)
    local by, n = export_users(sim)
    assert.are.equal(18, n)
    assert.is_nil(by["user000003@example.net"])
  end)
end)

describe("scripts/group_audit.lua", function()
  local sim
  setup(function()
    sim = sim_process.start{ users = 20, seconds = 30, password = PASSWORD }
    assert(sim.port, "simulator did not start: " .. tostring(sim.ready))
    local input = write_file("service_provider_id,group_id,user_id,last_name,first_name,phone_number,email_address\r\n"
      .. "sp1,g1,a1@example.net,A,One,,\r\nsp1,g1,a2@example.net,A,Two,,a2@example.net\r\n"
      .. "sp1,g1,a3@example.net,A,Three,3125559999,\r\n")
    local _, code, err = sim.sh(HOST .. " run " .. script("users_add") .. " " .. q(input))
    os.remove(input)
    assert(code == 0, err)
  end)
  teardown(function() if sim then sim.stop() end end)

  it("counts users without phone number or e-mail per group", function()
    local out, code, err = sim.sh(HOST .. " run " .. script("group_audit"))
    assert.are.equal(0, code, err)
    assert.are.same({ { "service_provider_id", "group_id", "users", "without_phone", "without_email" },
      { "sp1", "g1", "23", "2", "2" } }, parse_csv(out))
    assert.matches("group_audit: 1 group: 1 ok, 0 failed, 0 skipped", err)
  end)

  it("--ids lists the users; --out writes a file; an unknown group fails", function()
    local file, report = os.tmpname(), os.tmpname()
    local out, code, err = sim.sh(HOST .. " run " .. script("group_audit") .. " --ids --group sp1/g1 --group sp1/nope --out "
      .. q(file) .. " --report " .. q(report))
    assert.are.equal(1, code, err)
    assert.are.equal("", out)
    local recs = parse_csv(read_file(file))
    assert.are.equal(2, #recs)
    assert.are.same({ "sp1", "g1", "23", "2", "2" }, { table.unpack(recs[2], 1, 5) })
    local no_phone, no_email = {}, {}
    for id in recs[2][6]:gmatch("[^;]+") do no_phone[#no_phone + 1] = id end
    for id in recs[2][7]:gmatch("[^;]+") do no_email[#no_email + 1] = id end
    table.sort(no_phone); table.sort(no_email)
    assert.are.same({ "a1@example.net", "a2@example.net" }, no_phone)
    assert.are.same({ "a1@example.net", "a3@example.net" }, no_email)
    local rows = report_rows(report)
    os.remove(file); os.remove(report)
    assert.are.same({ "ok", "failed", "4152" }, { rows[1].outcome, rows[2].outcome, rows[2].code })
    assert.are.equal("sp1/nope", rows[2].key)
  end)
end)
