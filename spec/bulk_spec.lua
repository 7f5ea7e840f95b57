-- ocip bulk REQUEST FILE against a simulator in a child process: 200+ row CSV and NDJSON
-- files with bad rows (missing field, unknown field, duplicate, a row the server refuses,
-- non-ASCII names, commas and quotes); the report lists every row, the simulator holds
-- exactly the good rows, and --dry-run sends nothing.
local helpers = require "spec.helpers"
local sim_process = require "spec.support.sim_process"
local csv = require "ocip.csv"
local cjson = require "cjson"

local q = helpers.shell_quote
local HOST = q(helpers.host())
local PASSWORD = "Pw-bulk-" .. tostring(os.time())

local write_file = helpers.temp_file

local read_file = helpers.read_file

local LAST = { "Ährens", "Smith, Jr.", 'O"Brien', "Łukasz", "Nguyễn", "=cmd|' /C calc'!A0", "Plain" }

-- The CSV fixture: n good users, plus bad rows at known places. Returns the text and
-- the expectations { [user_id] = last_name } for the good rows, and the bad rows' outcomes.
local function fixture(n, prefix)
  local header = "user_id,last_name,first_name,calling_line_id_last_name,calling_line_id_first_name,group_id,alias"
  local lines, good, bad = { header }, {}, {}
  local function row(cells)
    local out = {}
    for i, c in ipairs(cells) do out[i] = csv.field(c) end
    lines[#lines + 1] = table.concat(out, ",")
    return #lines - 1
  end
  for i = 1, n do
    local id = ("%s%03d@example.net"):format(prefix, i)
    local last = LAST[i % #LAST + 1] .. (i % 5 == 0 and "" or tostring(i))
    local alias = i % 10 == 0 and ("sip:%sa%d@example.net;sip:%sb%d@example.net"):format(prefix, i, prefix, i) or ""
    row { id, last, "Fïrst" .. i, "CL", "Id", "g1", alias }
    good[id] = last
    if i == 50 then bad[row { prefix .. "nofirst@example.net", "X", "", "CL", "Id", "g1", "" }] = "skipped" end
    if i == 60 then bad[row { id, last, "Fïrst" .. i, "CL", "Id", "g1", alias }] = "skipped" end -- duplicate
    if i == 70 then bad[row { prefix .. "nogroup@example.net", "X", "Y", "CL", "Id", "nosuchgroup", "" }] = "failed" end
  end
  return table.concat(lines, "\r\n") .. "\r\n", good, bad
end

-- users of sp1/g1 in the simulator: { [user_id] = last_name }
local function group_users(sim)
  local out, code, err = sim.sh(HOST .. " send --json UserGetListInGroupRequest service_provider_id=sp1 group_id=g1")
  assert(code == 0, err)
  local users = {}
  for _, r in ipairs(cjson.decode(out).user_table) do users[r.user_id] = r.last_name end
  return users
end

local function report(path)
  local _, rows = csv.records(read_file(path))
  return rows
end

describe("ocip bulk", function()
  local sim
  setup(function() sim = sim_process.start{ users = 10, seconds = 120, password = PASSWORD } end)
  teardown(function() if sim then sim.stop() end end)

  it("sends the good rows of a 200+ row CSV, skips or fails the bad ones, reports every row", function()
    local text, good, bad = fixture(210, "csv")
    local file, rep = write_file(text), os.tmpname()
    local out, code, err = sim.sh(HOST .. " bulk UserAddRequest22V2 " .. q(file) ..
      " --set service_provider_id=sp1 --report " .. q(rep))
    assert.equal(1, code, out .. err) -- some rows failed or were skipped
    local rows = report(rep)
    assert.equal(213, #rows)
    for i, r in ipairs(rows) do
      assert.equal(tostring(i), r.row)
      assert.equal(bad[i] or "ok", r.outcome, "row " .. i .. ": " .. tostring(r.message))
    end
    assert.matches("first_name: required field missing", rows[51].message)
    assert.matches("duplicate of row", rows[62].message)
    assert.equal("4152", rows[73].error_code)
    assert.matches("210 ok, 1 failed, 2 skipped", err)
    -- the simulator holds exactly the good rows, names as written (non-ASCII, commas, quotes)
    local users = group_users(sim)
    for id, last in pairs(good) do assert.equal(last, users[id], id) end
    assert.is_nil(users["csvnofirst@example.net"])
    assert.is_nil(users["csvnogroup@example.net"])
    -- a second run: every good row "exists", nothing else changes; exit 1 (bad rows again)
    local _, code2, err2 = sim.sh(HOST .. " bulk UserAddRequest22V2 " .. q(file) .. " --set service_provider_id=sp1")
    assert.equal(1, code2)
    assert.matches("0 ok, 210 exists, 1 failed, 2 skipped", err2)
    os.remove(file)
    os.remove(rep)
  end)

  it("reads NDJSON: an unknown field is that row's problem, listed with its row number", function()
    local lines = {}
    for i = 1, 205 do
      local o = { user_id = ("nd%03d@example.net"):format(i), last_name = "Nd" .. i, first_name = "N",
        calling_line_id_last_name = "C", calling_line_id_first_name = "I" }
      if i == 7 then o.no_such_field = "x" end
      lines[i] = cjson.encode(o)
    end
    local file = write_file(table.concat(lines, "\n") .. "\n")
    local _, code, err = sim.sh(HOST .. " bulk UserAddRequest22V2 " .. q(file) ..
      " --set service_provider_id=sp1 --set group_id=g1")
    assert.equal(1, code)
    assert.matches("row 7 %(nd007@example%.net%) skipped: validation: .*no_such_field", err)
    assert.matches("204 ok, 0 failed, 1 skipped", err)
    local users = group_users(sim)
    assert.equal("Nd205", users["nd205@example.net"])
    assert.is_nil(users["nd007@example.net"])
    -- delete them again: --yes needed; the absent one is not a failure
    local _, c2, e2 = sim.sh(HOST .. " bulk UserDeleteRequest " .. q(file) .. " --ignore-unknown-columns")
    assert.equal(2, c2)
    assert.matches("without %-%-yes", e2)
    local _, c3, e3 = sim.sh(HOST .. " bulk UserDeleteRequest --input ndjson " .. q(file) ..
      " --yes --ignore-unknown-columns")
    assert.equal(0, c3, e3)
    assert.matches("204 ok, 1 absent, 0 failed, 0 skipped", e3)
    assert.same({}, (function()
      local left = {}
      for id in pairs(group_users(sim)) do if id:match("^nd") then left[#left + 1] = id end end
      return left
    end)())
    os.remove(file)
  end)

  it("lists every problem of the file itself and sends nothing (exit 2)", function()
    local file = write_file("user_id,lastname,frist_name\nx@example.net,A,B\n")
    local _, code, err = sim.sh(HOST .. " bulk UserAddRequest22V2 " .. q(file))
    assert.equal(2, code)
    assert.matches("unknown column 'frist_name'.*did you mean first_name", err)
    assert.matches("nothing sent", err)
    os.remove(file)
  end)

  it("--dry-run connects to nothing and reports every row valid or skipped", function()
    local text = fixture(200, "dry")
    local file, rep = write_file(text), os.tmpname()
    local before = group_users(sim)
    -- settings pointing at a closed port: a dry run must not even try to connect
    local out, code, err = helpers.exec("OCIP_HOST=127.0.0.1 OCIP_PORT=1 OCIP_TLS=0 OCIP_USERNAME=x OCIP_PASSWORD=x " ..
      HOST .. " bulk UserAddRequest22V2 " .. q(file) .. " --set service_provider_id=sp1 --dry-run --report " ..
      q(rep) .. " </dev/null")
    assert.equal(1, code, err) -- two rows skipped
    assert.matches("would connect to tcp 127%.0%.0%.1:1", out)
    local rows = report(rep)
    assert.equal(203, #rows)
    local valid = 0
    for _, r in ipairs(rows) do if r.outcome == "valid" then valid = valid + 1 end end
    assert.equal(201, valid) -- the nosuchgroup row is valid until the server says otherwise
    assert.same(before, group_users(sim))
    os.remove(file)
    os.remove(rep)
  end)
end)
