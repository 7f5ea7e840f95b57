-- ocip.profile: named profiles, `profile = true`, flag checks; ocip.connect{ profile = ... }
-- merging the profile file and OCIP_* as the CLI does (in a child process: it reads the
-- real environment).
local helpers = require "spec.helpers"
local profile = require "ocip.profile"
local sim_process = require "spec.support.sim_process"

local q = helpers.shell_quote

local function write(path, text)
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
end

-- a config folder with profile.lua and profiles/prod.lua
local function config_dir()
  local dir = os.tmpname()
  os.remove(dir)
  assert(os.execute("mkdir -p " .. q(dir .. "/ocip/profiles")))
  write(dir .. "/ocip/profile.lua", 'host = "default.example"\nusername = "u0"\npassword = "p0"\n')
  write(dir .. "/ocip/profiles/prod.lua", 'return { host = "prod.example", username = "u1", password = "p1", port = 2209 }\n')
  return dir
end

local function env(t) return function(k) return t[k] end end

describe("ocip.profile", function()
  local dir
  setup(function() dir = config_dir() end)
  teardown(function() os.execute("rm -rf " .. q(dir)) end)

  it("a name reads <config>/ocip/profiles/NAME.lua", function()
    local s = assert(profile.settings({ profile = "prod" }, env { XDG_CONFIG_HOME = dir }))
    assert.are.same({ "prod.example", "u1", 2209 }, { s.host, s.username, s.port })
    -- HOME/.config when XDG_CONFIG_HOME is not set
    local home = os.tmpname()
    os.remove(home)
    assert(os.execute("mkdir -p " .. q(home .. "/.config") .. " && cp -r " .. q(dir .. "/ocip") .. " " .. q(home .. "/.config/")))
    s = assert(profile.settings({ profile = "prod" }, env { HOME = home }))
    os.execute("rm -rf " .. q(home))
    assert.are.equal("prod.example", s.host)
  end)

  it("OCIP_PROFILE takes a name too; true means the default profile", function()
    local s = assert(profile.settings({}, env { XDG_CONFIG_HOME = dir, OCIP_PROFILE = "prod" }))
    assert.are.equal("prod.example", s.host)
    s = assert(profile.settings({ profile = true }, env { XDG_CONFIG_HOME = dir }))
    assert.are.equal("default.example", s.host)
  end)

  it("a path still works; the environment and the flags win over the file", function()
    local s = assert(profile.settings({ profile = dir .. "/ocip/profiles/prod.lua", username = "flag" },
      env { OCIP_HOST = "env.example" }))
    assert.are.same({ "env.example", "flag", "p1" }, { s.host, s.username, s.password })
  end)

  it("an unknown name is a usage error naming where it looked", function()
    local s, err = profile.settings({ profile = "nope" }, env { XDG_CONFIG_HOME = dir })
    assert.is_nil(s)
    assert.are.equal("usage", err.kind)
    assert.truthy(err.message:find(dir .. "/ocip/profiles/nope.lua", 1, true), err.message)
  end)

  it("refuses non-positive numbers on the command line as usage errors", function()
    for _, args in ipairs { { "--rate", "-5" }, { "--rate=0" }, { "--sessions", "0" },
      { "--timeout", "-1" }, { "--port", "0" }, { "--port", "70000" }, { "--rate", "x" } } do
      local flags, err = profile.take_flags(args)
      assert.is_nil(flags, table.concat(args, " "))
      assert.are.equal("usage", err.kind)
      assert.matches(args[1]:match("^%-%-%a+"), err.message)
    end
    assert.are.equal(2.5, (profile.take_flags { "--rate", "2.5" }).rate)
  end)
end)

describe("ocip.connect{ profile = ... }", function()
  local sim, dir
  local PASSWORD = "Pw-profile-" .. tostring(os.time())
  setup(function()
    sim = sim_process.start{ users = 3, seconds = 30, password = PASSWORD }
    assert(sim.port, "simulator did not start: " .. tostring(sim.ready))
    dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -p " .. q(dir .. "/ocip/profiles")))
    write(dir .. "/ocip/profiles/lab.lua", ("host = '127.0.0.1'\nport = %d\ntls = false\nusername = 'admin'\npassword = %q\n")
      :format(sim.port, PASSWORD))
  end)
  teardown(function()
    if sim then sim.stop() end
    if dir then os.execute("rm -rf " .. q(dir)) end
  end)

  local SCRIPT = [[
local ocip = require "ocip"
local c, err = ocip.connect{ profile = %s, timeout = 5 }
if not c then io.stderr:write(tostring(err), "\n") os.exit(1) end
local u = assert(c:UserGetRequest23V2{ user_id = "user000001@example.net" })
print(u.user_id)
c:close()
]]

  local function run(profile_value, envs)
    local file = os.tmpname()
    write(file, SCRIPT:format(profile_value))
    local out, code, err = helpers.exec("env -i PATH=\"$PATH\" " .. envs .. " " .. q(helpers.host()) .. " " .. q(file))
    os.remove(file)
    return out, code, err
  end

  it("profile = NAME merges the named profile", function()
    local out, code, err = run('"lab"', "XDG_CONFIG_HOME=" .. q(dir))
    assert.are.equal(0, code, err)
    assert.are.equal("user000001@example.net\n", out)
  end)

  it("profile = true merges OCIP_* (and the default profile, absent here)", function()
    local out, code, err = run("true", ("XDG_CONFIG_HOME=%s OCIP_HOST=127.0.0.1 OCIP_PORT=%d OCIP_TLS=0 "
      .. "OCIP_USERNAME=admin OCIP_PASSWORD=%s"):format(q(dir), sim.port, q(PASSWORD)))
    assert.are.equal(0, code, err)
    assert.are.equal("user000001@example.net\n", out)
  end)

  it("without profile, OCIP_* are not read", function()
    local _, code, err = run("nil", ("OCIP_HOST=127.0.0.1 OCIP_PORT=%d OCIP_TLS=0 OCIP_USERNAME=admin "
      .. "OCIP_PASSWORD=%s"):format(sim.port, q(PASSWORD)))
    assert.are.equal(1, code)
    assert.matches("usage", err)
  end)
end)
