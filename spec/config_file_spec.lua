-- Configuration files (ocip.config.file): Lua data and JSON written for diffs (sorted keys,
-- one field per line, the same bytes for the same state), read back to the same state,
-- and loaded safely: a Lua file is data, never a program.
local file = require "ocip.config.file"

local STATE = {
  format = 1,
  group = { service_provider_id = "sp1", group_id = "g1" },
  profile = { group_name = "Group \"1\"\n", user_limit = 25, default_domain = "example.net" },
  departments = { Sales = { calling_line_id_name = "Sälès" } },
  numbers = { ["2025550002"] = {}, ["2025550001"] = {} },
  devices = {},
  users = {
    ["b@example.net"] = { last_name = "B", alias = { "sip:b2@x", "sip:b1@x" }, allow_video = false,
      address = { city = "Zürich", country = "CH" }, ["odd key"] = "x" },
    ["a@example.net"] = { last_name = "A", department = { _type = "GroupDepartmentKey", name = "Sales" },
      services = { "Call Waiting" } },
  },
}

local function lines(text)
  local out = {}
  for l in text:gmatch("[^\n]*") do out[#out + 1] = l end
  return out
end

describe("configuration files", function()
  it("write Lua data with sorted keys, entities by id, one field per line", function()
    local text = file.encode(STATE, "lua")
    assert.equal(text, file.encode(STATE, "lua")) -- the same bytes every time
    assert.matches("^%-%- ocip configuration of group sp1/g1", text)
    local l = lines(text)
    local function at(s)
      for i, x in ipairs(l) do if x == s then return i end end
      error("no line " .. s .. " in\n" .. text)
    end
    -- sections in dependency order, then keys sorted
    assert.is_true(at("  format = 1,") < at("  group = {"))
    assert.is_true(at("  profile = {") < at("  departments = {"))
    assert.is_true(at("  departments = {") < at("  numbers = {"))
    assert.is_true(at("  numbers = {") < at("  devices = {},"))
    assert.is_true(at('  users = {') < at('    ["a@example.net"] = {'))
    assert.is_true(at('    ["a@example.net"] = {') < at('    ["b@example.net"] = {'))
    assert.is_true(at('    "2025550001",') < at('    "2025550002",'))
    assert.is_true(at('      address = {') < at('      alias = {'))
    assert.is_true(at('      alias = {') < at('      allow_video = false,'))
    at('      ["odd key"] = "x",')
    at('    group_name = "Group \\"1\\"\\n",') -- escapes keep every value on one line
    at('      calling_line_id_name = "Sälès",') -- UTF-8 as it is
    at('        "sip:b2@x",') -- lists keep their order
  end)

  it("write JSON the same way, and both read back to the same state", function()
    local json = file.encode(STATE, "json")
    assert.equal(json, file.encode(STATE, "json"))
    assert.matches('\n  "format": 1,\n  "group": {', json)
    assert.matches('\n  "numbers": %[\n    "2025550001",\n    "2025550002"\n  %],', json)
    assert.matches('"devices": {},', json)
    local from_lua = assert(file.decode(file.encode(STATE, "lua"), "s.lua"))
    local from_json = assert(file.decode(json, "s.json"))
    assert.same(STATE, from_lua)
    assert.same(STATE, from_json)
    assert.equal("integer", math.type(from_json.profile.user_limit))
    -- and the round trip gives the same bytes
    assert.equal(file.encode(STATE, "lua"), file.encode(from_json, "lua"))
  end)

  it("a section left out stays out (it is not managed)", function()
    local s = assert(file.decode('return { format = 1, group = { service_provider_id = "s", group_id = "g" }, users = {} }', "x"))
    assert.same({}, s.users)
    assert.is_nil(s.devices)
    assert.is_nil(s.profile)
  end)

  it("load Lua files as data only: no globals, no string methods, no bytecode, bounded work", function()
    local function refused(text, pattern)
      local s, err = file.decode(text, "f.lua", "lua")
      assert.is_nil(s, "accepted: " .. text)
      assert.equal("usage", err.kind)
      assert.matches(pattern, err.message)
    end
    refused('os.execute("touch /tmp/ocip-config-spec-pwned") return {}', "global 'os'")
    refused('return { format = 1, x = ("x"):rep(2^40) }', "attempt to index a string")
    refused('return { format = 1, group = { service_provider_id = "s", group_id = "g" }, users = { u = { f = function() end } } }',
      "users.u.f: a function is not data")
    refused(string.dump(function() return {} end), "binary chunk")
    local budget = file.BUDGET
    file.BUDGET = 100000
    refused("while true do end", "too much work")
    file.BUDGET = budget
    refused('return { format = 1, group = {} }', "group = { service_provider_id")
    refused('return { format = 2, group = { service_provider_id = "s", group_id = "g" } }', "format 2 is not supported")
    refused('return { format = 1, group = { service_provider_id = "s", group_id = "g" }, userz = {} }',
      "unknown section userz %(did you mean users%?%)")
    refused('return { format = 1, group = { service_provider_id = "s", group_id = "g" }, users = { { last_name = "x" } } }',
      "users: entities keyed by id expected")
    refused('return {\n format = 1,\n group = ', "f.lua: line 3: ")
    -- the string methods are back afterwards
    assert.equal("xx", ("x"):rep(2))
  end)

  it("refuse JSON null and malformed JSON", function()
    local s, err = file.decode('{"format": 1, "group": {"service_provider_id": "s", "group_id": "g"}, "profile": {"group_name": null}}', "f.json")
    assert.is_nil(s)
    assert.matches("profile.group_name: null is not allowed", err.message)
    s, err = file.decode('{"format": 1,', "f.json")
    assert.is_nil(s)
    assert.equal("usage", err.kind)
  end)

  it("writes a file whole (FILE.part, then renamed)", function()
    local path = os.tmpname()
    assert(file.write(path, "return {}\n"))
    assert.equal("return {}\n", file.read(path))
    assert.is_nil(io.open(path .. ".part", "r"))
    os.remove(path)
    local ok, err = file.write("/nonexistent-dir/x.lua", "x")
    assert.is_nil(ok)
    assert.equal("usage", err.kind)
  end)
end)
