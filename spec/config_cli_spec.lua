-- ocip snapshot / plan / apply on the command line, against simulators in child processes:
-- a group copied to another system (and group id) with apply --yes; the second apply and
-- the plan after it find nothing to do, and the target simulator's run log proves that
-- no request was sent; exit codes; complete --help.
local helpers = require "spec.helpers"
local sim_process = require "spec.support.sim_process"
local seed = require "spec.support.config_seed"

local q = helpers.shell_quote
local HOST = q(helpers.host())
local PASSWORD = "Pw-config-" .. tostring(os.time())

local function read(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

local function lines(text)
  local n = 0
  for _ in (text or ""):gmatch("[^\n]+") do n = n + 1 end
  return n
end

describe("ocip snapshot, plan and apply", function()
  local a, dir
  setup(function()
    dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -m 700 " .. q(dir)))
    a = sim_process.start{ users = 0, seconds = 120, password = PASSWORD }
    helpers.run(function()
      local c = assert(require("ocip").connect{ profile = a.profile, log = false })
      seed.group(c, "sp1", "src")
      c:close()
    end)
  end)
  teardown(function()
    if a then a.stop() end
    os.execute("rm -rf " .. q(dir))
  end)

  -- src.lua: the seeded group's snapshot (each test may run alone)
  local function src_file()
    local file = dir .. "/src.lua"
    if not read(file) then
      local _, code, err = a.sh(HOST .. " snapshot --group sp1/src --out " .. q(file))
      assert.equal(0, code, err)
    end
    return file
  end

  it("each has a complete --help", function()
    for _, sub in ipairs { "snapshot", "plan", "apply" } do
      local out, code = helpers.exec(HOST .. " " .. sub .. " --help")
      assert.equal(0, code)
      assert.matches("^usage: ocip " .. sub, out)
      assert.matches("\nexit: ", out)
      assert.matches("connection: %-%-host", out) -- the connection flags
      local help_out = helpers.exec(HOST .. " help " .. sub)
      assert.equal(out, help_out)
    end
    local out = helpers.exec(HOST .. " snapshot --help")
    for _, s in ipairs { "--group SP/GROUP", "--out FILE", "--format lua|json", "passwords" } do
      assert.truthy(out:find(s, 1, true), s)
    end
    out = helpers.exec(HOST .. " plan --help")
    for _, s in ipairs { "--exit-code", "exit 5", "+ user", "~ user", "- device", "No changes.", "--group SP/GROUP" } do
      assert.truthy(out:find(s, 1, true), s)
    end
    out = helpers.exec(HOST .. " apply --help")
    for _, s in ipairs { "--yes", "--dry-run", "--report FILE", "130 interrupted", "dependency order", "SIGINT" } do
      assert.truthy(out:find(s, 1, true), s)
    end
    out = helpers.exec(HOST .. " --help")
    for _, sub in ipairs { "snapshot", "plan", "apply" } do assert.matches("\n  " .. sub .. " ", out) end
  end)

  it("snapshot writes Lua or JSON; plan of the same group finds no changes", function()
    local lua_file, json_file = dir .. "/src.lua", dir .. "/src.json"
    local _, code, err = a.sh(HOST .. " snapshot --group sp1/src --out " .. q(lua_file))
    assert.equal(0, code, err)
    assert.matches("sp1/src: .*src%.lua written %(%d+ entities%)", err)
    _, code, err = a.sh(HOST .. " snapshot --group sp1/src --out " .. q(json_file))
    assert.equal(0, code, err)
    assert.matches("^%-%- ocip configuration of group sp1/src", read(lua_file))
    assert.matches('^{\n  "format": 1,', read(json_file))
    local config = require "ocip.config"
    assert.same(assert(config.load(lua_file)), assert(config.load(json_file)))
    local out
    out, code = a.sh(HOST .. " snapshot --group sp1/src")
    assert.equal(0, code)
    assert.equal(read(lua_file), out) -- stdout without --out; the same bytes
    for _, f in ipairs { lua_file, json_file } do
      out, code, err = a.sh(HOST .. " plan " .. q(f) .. " --exit-code")
      assert.equal(0, code, err)
      assert.equal("No changes.\n", out)
    end
  end)

  it("copies the group to another system; a second apply and plan send no request", function()
    local file = src_file()
    local state = dir .. "/b-state.lua"
    local b = sim_process.start{ users = 0, seconds = 60, password = PASSWORD,
      args = "--state " .. q(state) .. " --run-log " .. q(dir .. "/b1.log") }
    local out, code, err = b.sh(HOST .. " plan " .. q(file) .. " --group sp1/copy --exit-code")
    assert.equal(5, code, err)
    assert.matches("^  %+ group sp1/copy\n", out)
    assert.matches("\nPlan: %d+ to add, 0 to change, 0 to delete%.\n$", out)
    local adds = tonumber(out:match("Plan: (%d+) to add"))
    -- without --yes: the plan, a refusal, exit 2
    out, code, err = b.sh(HOST .. " apply " .. q(file) .. " --group sp1/copy")
    assert.equal(2, code)
    assert.matches("Plan: " .. adds .. " to add", out)
    assert.matches("refusing to make " .. adds .. " change%(s%) to sp1/copy without %-%-yes", err)
    -- with it: every change done, each reported
    local report = dir .. "/apply.csv"
    out, code, err = b.sh(HOST .. " apply " .. q(file) .. " --group sp1/copy --yes --report " .. q(report))
    assert.equal(0, code, err .. out)
    assert.matches("\nApplying " .. adds .. " change%(s%) to sp1/copy:\n", out)
    assert.matches("\n  %+ user u01@example%.net: done\n", out)
    assert.matches("ocip apply: " .. adds .. " changes: " .. adds .. " ok, 0 failed", err)
    local rep = read(report)
    assert.equal(adds + 1, lines(rep))
    assert.matches("\n1,group sp1/copy,ok,", rep)
    b.stop() -- saves the state
    local log1 = read(dir .. "/b1.log")
    assert.matches("^GroupAddRequest\t", log1)
    assert.is_true(lines(log1) > adds) -- users with services take two requests

    -- the same system again: nothing to do, and nothing sent
    local b2 = sim_process.start{ users = 0, seconds = 60, password = PASSWORD,
      args = "--state " .. q(state) .. " --run-log " .. q(dir .. "/b2.log") }
    out, code, err = b2.sh(HOST .. " apply " .. q(file) .. " --group sp1/copy --yes")
    assert.equal(0, code, err)
    assert.equal("No changes.\n", out)
    assert.matches("sp1/copy matches .*, nothing sent", err)
    out, code = b2.sh(HOST .. " plan " .. q(file) .. " --group sp1/copy --exit-code")
    assert.equal(0, code)
    assert.equal("No changes.\n", out)
    out, code = b2.sh(HOST .. " snapshot --group sp1/copy")
    assert.equal(0, code)
    assert.equal((read(file):gsub("sp1/src", "sp1/copy"):gsub('group_id = "src"', 'group_id = "copy"')), out)
    b2.stop()
    assert.equal("", read(dir .. "/b2.log"))
  end)

  it("plan shows a live change field by field (exit 5), apply puts it back", function()
    local file = dir .. "/edit.lua"
    assert.equal(0, select(2, a.sh(HOST .. " snapshot --group sp1/src --out " .. q(file))))
    assert.equal(0, select(2, a.sh(HOST .. " send UserModifyRequest22 user_id=u08@example.net title=Oops")))
    local out, code = a.sh(HOST .. " plan " .. q(file) .. " --exit-code")
    assert.equal(5, code)
    assert.equal('  ~ user u08@example.net\n      title: "Oops" -> (none)\n\nPlan: 0 to add, 1 to change, 0 to delete.\n', out)
    out, code = a.sh(HOST .. " plan " .. q(file)) -- without --exit-code: 0
    assert.equal(0, code)
    local err
    out, code, err = a.sh(HOST .. " apply " .. q(file) .. " --yes")
    assert.equal(0, code, err)
    assert.matches("  ~ user u08@example%.net: done\n", out)
    out, code = a.sh(HOST .. " plan " .. q(file) .. " --exit-code")
    assert.equal(0, code)
  end)

  it("exit codes: 2 usage or unreadable file, 3 no connection, 1 unreadable group or refused values", function()
    local _, code, err = a.sh(HOST .. " snapshot")
    assert.equal(2, code)
    assert.matches("%-%-group SP/GROUP is required", err)
    _, code, err = a.sh(HOST .. " snapshot --group nogroup")
    assert.equal(2, code)
    assert.matches("expected SP/GROUP", err)
    _, code = a.sh(HOST .. " snapshot --group sp1/src --format xml")
    assert.equal(2, code)
    _, code = a.sh(HOST .. " plan")
    assert.equal(2, code)
    _, code, err = a.sh(HOST .. " plan " .. q(dir .. "/missing.lua"))
    assert.equal(2, code)
    assert.matches("missing%.lua", err)
    local bad = dir .. "/bad.lua"
    local f = assert(io.open(bad, "w"))
    f:write('return { format = 1, group = { service_provider_id = "sp1", group_id = "src" }, users = { ["u01@example.net"] = { last_name = 7 }, ["new@example.net"] = { first_name = "N" } } }\n')
    f:close()
    local out
    out, code, err = a.sh(HOST .. " plan " .. q(bad))
    assert.equal(1, code)
    assert.matches("user new@example%.net: UserAddRequest22V2%.last_name: required field missing", err)
    out, code, err = a.sh(HOST .. " apply " .. q(bad) .. " --yes")
    assert.equal(1, code)
    assert.matches("nothing was sent", err)
    assert.is_nil(out:find("Applying", 1, true))
    _, code, err = a.sh(HOST .. " snapshot --group sp1/nosuchgroup")
    assert.equal(1, code)
    assert.matches("Group not found", err)
    _, code, err = helpers.exec("OCIP_HOST=127.0.0.1 OCIP_PORT=1 OCIP_TLS=0 OCIP_USERNAME=x OCIP_PASSWORD=y "
      .. HOST .. " plan " .. q(src_file()))
    assert.equal(3, code, err)
    assert.matches("could not connect", err)
    _, code = helpers.exec("OCIP_HOST=127.0.0.1 OCIP_PORT=1 OCIP_TLS=0 OCIP_USERNAME=x OCIP_PASSWORD=y "
      .. HOST .. " apply " .. q(src_file()) .. " --yes")
    assert.equal(3, code)
  end)
end)

describe("ocip apply interrupted", function()
  local sim, dir
  setup(function()
    dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -m 700 " .. q(dir)))
    -- every document takes 100 ms: 100 users two at a time take 5 s
    sim = sim_process.start{ users = 0, seconds = 120, password = PASSWORD, latency = 100 }
  end)
  teardown(function()
    if sim then sim.stop() end
    os.execute("rm -rf " .. q(dir))
  end)

  -- ocip apply in the background: p.pid, p.wait() -> exit status, stdout, stderr
  local function spawn(args)
    local sh = dir .. "/run.sh"
    local f = assert(io.open(sh, "w"))
    f:write("set -a; . ", q(sim.env_file), "; set +a\n",
      "sh -c 'echo $$ > ", q(dir .. "/pid"), "; exec \"$@\"' sh ", HOST, " apply ", args,
      " > ", q(dir .. "/out"), " 2> ", q(dir .. "/err"), " < /dev/null\n",
      "echo $? > ", q(dir .. "/rc.tmp"), "; mv ", q(dir .. "/rc.tmp"), " ", q(dir .. "/rc"), "\n")
    f:close()
    os.remove(dir .. "/rc")
    os.remove(dir .. "/pid")
    assert(os.execute("sh " .. q(sh) .. " >/dev/null 2>&1 &"))
    local p = {}
    local function sleep(s) os.execute("sleep " .. s) end
    for _ = 1, 400 do
      p.pid = tonumber(read(dir .. "/pid") or "")
      if p.pid then break end
      sleep(0.05)
    end
    assert(p.pid, "apply did not start")
    function p.wait()
      for _ = 1, 1200 do
        local rc = read(dir .. "/rc")
        if rc then return tonumber(rc), read(dir .. "/out"), read(dir .. "/err") end
        sleep(0.05)
      end
      error("apply did not end")
    end
    function p.rows(path, n)
      for _ = 1, 1200 do
        if lines(read(path)) > n then return end
        sleep(0.05)
      end
      error("no " .. n .. " report rows")
    end
    return p
  end

  it("SIGINT: the changes in flight end, every change is reported, exit 130; apply again finishes", function()
    -- a file that manages only the users of sp1/g1 (no other section)
    local users = {}
    for i = 1, 100 do
      users[("int%03d@example.net"):format(i)] = { last_name = "L" .. i, first_name = "F",
        calling_line_id_last_name = "L", calling_line_id_first_name = "F" }
    end
    local config = require "ocip.config"
    local file = dir .. "/users.lua"
    assert(require("ocip.config.file").write(file, config.encode({ format = 1,
      group = { service_provider_id = "sp1", group_id = "g1" }, users = users }, "lua")))
    local report = dir .. "/apply.csv"
    local p = spawn(q(file) .. " --yes --concurrency 2 --report " .. q(report))
    p.rows(report, 4)
    os.execute("kill -INT " .. p.pid)
    local code, out, err = p.wait()
    assert.equal(130, code, err)
    assert.matches("SIGINT: stopping", err)
    assert.matches("ocip apply: interrupted by SIGINT: 100 changes: %d+ ok, 0 failed, 0 skipped, %d+ interrupted", err)
    assert.matches("ocip apply: to go on: the same ocip apply again", err)
    assert.is_nil(err:find("--resume", 1, true)) -- apply has no --resume
    local _, rows = require("ocip.csv").records(read(report))
    assert.equal(100, #rows)
    local done = 0
    for _, r in ipairs(rows) do
      if r.outcome == "ok" then done = done + 1 else assert.equal("interrupted", r.outcome) end
    end
    assert.is_true(done >= 4 and done < 100, tostring(done))
    assert.matches(": done\n", out)
    -- the plan is made afresh: only what is left
    code, out, err = spawn(q(file) .. " --yes --concurrency 16").wait()
    assert.equal(0, code, err)
    assert.matches("Plan: " .. (100 - done) .. " to add, 0 to change, 0 to delete%.", out)
    code, out = spawn(q(file) .. " --yes").wait()
    assert.equal(0, code)
    assert.equal("No changes.\n", out)
  end)
end)
