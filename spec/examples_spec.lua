-- The README's three first scripts (docs/examples/), run as a user would, against a
-- simulator in a child process: a group's users as CSV; add, modify and delete 500
-- users; users without a phone number.
local helpers = require "spec.helpers"
local sim_process = require "spec.support.sim_process"
local csv = require "ocip.csv"
local q = helpers.shell_quote

local PASSWORD = "examples-Secret-1"
local root, host = helpers.repo_root(), helpers.host()

local function example(name, args)
  return "timeout 60 " .. q(host) .. " " .. q(root .. "/docs/examples/" .. name) .. " " .. (args or "")
end

describe("docs/examples", function()
  local sim
  setup(function() sim = sim_process.start{ users = 20, seconds = 60, password = PASSWORD } end)
  teardown(function() if sim then sim.stop() end end)

  it("group_users_csv.lua writes the group's users as CSV", function()
    local out, code, err = sim.sh(example("group_users_csv.lua", "sp1 g1"))
    assert.equal(0, code, err)
    local header, rows = csv.records(out)
    assert.same({ "user_id", "last_name", "first_name", "phone_number", "extension", "email_address" }, header)
    assert.is_true(#rows > 0)
    for _, r in ipairs(rows) do assert.matches("@", r.user_id) end
    assert.matches(#rows .. " users", err)
  end)

  it("users_lifecycle.lua adds, modifies and deletes 500 users", function()
    local out, code, err = sim.sh(example("users_lifecycle.lua", "sp1 g1 500"))
    assert.equal(0, code, err)
    assert.equal("add    500 ok, 0 failed\nmodify 500 ok, 0 failed\ndelete 500 ok, 0 failed\n", out)
    -- all gone again: the group lists no lifecycle user
    local list = sim.sh(example("group_users_csv.lua", "sp1 g1"))
    assert.is_nil(list:find("lifecycle", 1, true))
  end)

  it("users_without_number.lua lists the users that have no phone number", function()
    local _, code, err = sim.sh(q(host) .. " send UserAddRequest22V2 service_provider_id=sp1 group_id=g1 " ..
      "user_id=nonumber@example.net last_name=Nonumber first_name=Nia " ..
      "calling_line_id_last_name=Nonumber calling_line_id_first_name=Nia")
    assert.equal(0, code, err)
    local out, c2, e2 = sim.sh(example("users_without_number.lua"))
    assert.equal(0, c2, e2)
    assert.matches("nonumber@example%.net\tg1\tNonumber\tNia\n", out)
    assert.matches("1 of %d+ users have no phone number", e2)
  end)

  it("each example prints its usage and exits 2 without its arguments", function()
    for _, name in ipairs { "group_users_csv.lua", "users_lifecycle.lua" } do
      local _, code, err = sim.sh(example(name))
      assert.equal(2, code)
      assert.matches("^usage: ocip " .. name:gsub("%p", "%%%0"), err)
    end
  end)
end)
