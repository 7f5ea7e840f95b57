-- Script packs run with `ocip run` against a simulator child process.
local helpers = require "spec.helpers"
local sim_process = require "spec.support.sim_process"
local csv = require "ocip.cli.csv"

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

describe("ocip.cli.csv", function()
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
    assert.matches("users_export: 50 users, 1 requests, 0 failed", err)
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
    assert.matches("sp1/nope: .*4007", err)
    assert.matches("0 users, 1 requests, 1 failed", err)
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
