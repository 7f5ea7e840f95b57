-- The REPL: completion (a pure function) and the prompt driven through a pipe
-- (`ocip repl` / `ocip -i` with stdin not a terminal: plain line reading on the loop).
local helpers = require "spec.helpers"
local complete = require("ocip.repl.complete").complete
local prefixed = require("ocip.repl.complete").prefixed
local history = require "ocip.repl.history"

local q = helpers.shell_quote
local HOST = q(helpers.host())

local function client_env(extra)
  local env = { c = { raw_command = function() end, command = function() end }, ocip = require "ocip" }
  for k, v in pairs(extra or {}) do env[k] = v end
  return env
end

local function has(list, v)
  for _, x in ipairs(list) do if x == v then return true end end
  return false
end

describe("repl completion", function()
  it("offers request names after c: (a client) and ocip.commands.", function()
    local r = complete("c:UserGetReq", client_env())
    assert.is_true(has(r, "UserGetRequest23V2"))
    assert.is_true(has(r, "UserGetRequest14sp4"))
    for _, name in ipairs(r) do assert.are.equal("UserGetReq", name:sub(1, 10)) end
    r = complete("x = ocip.commands.UserGetRequest23", client_env())
    assert.are.same({ "UserGetRequest23", "UserGetRequest23V2" }, r)
    assert.is_true(#complete("c:", client_env()) > 3900, "every request after c:")
    assert.is_true(has(complete("c:ra", client_env()), "raw_command"), "client methods too")
  end)

  it("offers a request's field names inside its braces, nested types too", function()
    local env = client_env()
    assert.are.same({ "user_id" }, complete("c:UserGetRequest23V2{ us", env))
    local r = complete('c:UserAddRequest22V2{ user_id = "a{,", first', env)
    assert.is_true(has(r, "first_name"))
    assert.is_false(has(r, "last_name"))
    assert.is_true(has(complete("c:UserAddRequest22V2{ address = { ci", env), "city"))
    -- a value position is not a field position
    assert.is_false(has(complete("c:UserGetRequest23V2{ user_id = us", env), "user_id"))
  end)

  it("inserts ' = ' after a sole field name, unless '=' follows already", function()
    local candidates = require("ocip.repl.complete").candidates
    local env = client_env()
    assert.are.same({ "user_id = " }, candidates("c:UserGetRequest23V2{ us", "", env))
    assert.are.same({ "user_id = " }, candidates("c:UserGetRequest23V2{ user_id", "}", env))
    assert.are.same({ "user_id" }, candidates("c:UserGetRequest23V2{ us", ' = "x" }', env))
    assert.are.same({ "user_id" }, candidates("c:UserGetRequest23V2{ us", '="x" }', env))
    -- several candidates: the names alone (libedit inserts their common prefix)
    local r = candidates("c:UserAddRequest22V2{ user_id = 'u',\n  la", "", env)
    assert.is_true(#r > 1 and has(r, "last_name"))
    for _, w in ipairs(r) do assert.is_nil(w:find("=", 1, true)) end
    -- not a field position: no " = "
    assert.are.same({ "UserGetRequest23V2" }, candidates("c:UserGetRequest23V", "", env))
  end)

  it("offers module fields after ocip. and globals for plain identifiers", function()
    local env = client_env({ print = print, pairs = pairs })
    local r = complete("ocip.s", env)
    assert.is_true(has(r, "sim") and has(r, "sleep") and has(r, "spawn"))
    assert.are.same({ "print" }, complete("pr", env))
    assert.is_true(has(complete("fun", env), "function"))
    assert.are.same({}, complete("x = 12", env))
  end)

  it("finds names by bisection on the sorted list, fast", function()
    assert.are.same({ "ab", "abc" }, prefixed({ "a", "ab", "abc", "b" }, "ab"))
    assert.are.same({}, prefixed({ "a", "b" }, "c"))
    local t0 = os.clock()
    for _ = 1, 200 do complete("c:Group", client_env()) end
    assert.is_true(os.clock() - t0 < 2, "200 completions over 3,987 names in under 2 s")
  end)
end)

describe("repl history", function()
  it("keeps lines without secrets and round-trips multi-line entries", function()
    assert.is_false(history.keep('connect{ password = "x" }'))
    assert.is_false(history.keep("   "))
    assert.is_true(history.keep("1 + 1"))
    for _, secret in ipairs {
      'c:UserPortalPasscodeModifyRequest{user_id="u1", new_passcode="4321"}',
      'c:UserModifyRequest22{user_id="u1", pin="4321"}',
      "x.newPin = 1", "set PIN 4321", "{ pin_code = 1 }",
    } do
      assert.is_false(history.keep(secret), secret)
    end
    assert.is_true(history.keep("spinner(pinned)"))
    local path = os.tmpname()
    os.remove(path)
    assert(history.append(path, "function f()\n  return '\\n'\nend"))
    assert(history.append(path, "f()"))
    assert.are.same({ "function f()\n  return '\\n'\nend", "f()" }, history.load(path))
    os.remove(path)
  end)

  it("creates the history file with mode 0600, whatever the umask", function()
    local dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -m 700 " .. q(dir)))
    local path = dir .. "/hist"
    -- no chmod afterwards (a window where others could open it): the mode is set at creation
    local execute = os.execute
    os.execute = function() return nil end -- luacheck: ignore
    local ok, err = pcall(history.append, path, "1 + 1")
    os.execute = execute -- luacheck: ignore
    assert(ok and err, tostring(err))
    local p = assert(io.popen("stat -c %a " .. q(path)))
    local mode = p:read("l")
    p:close()
    os.execute("rm -rf " .. q(dir))
    assert.equal("600", mode)
  end)
end)

describe("ocip repl through a pipe", function()
  local dir
  before_each(function()
    dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -p " .. q(dir)))
  end)
  after_each(function() os.execute("rm -rf " .. q(dir)) end)

  local function repl(input, args)
    local infile = dir .. "/in.lua"
    local f = assert(io.open(infile, "w"))
    f:write(input)
    f:close()
    -- `cat |` makes stdin a pipe (polled on the loop), not a regular file
    return helpers.exec(("cat %s | HOME=%s OCIP_HISTORY= timeout 30 %s %s"):format(
      q(infile), q(dir), HOST, args or "repl"))
  end

  it("prints expressions, multi-line chunks, and survives errors", function()
    local out, code, err = repl(table.concat({
      "1 + 1", "=2 * 3", "function f(x)", "  return x * 2", "end", "f(21)",
      'error("boom")', "{1, 2, a = 3}", "'still' .. ' here'", "",
    }, "\n"))
    assert.are.equal(0, code)
    assert.are.equal('2\n6\n42\n{1, 2, a = 3}\nstill here\n', out)
    assert.matches("stdin:1: boom", err)
  end)

  it("runs a command against a simulator started at the prompt", function()
    local out, code, err = repl(table.concat({
      "sim = ocip.sim.start{tcp_port=0}",
      'connect{host="127.0.0.1", port=sim.tcp_port, username=sim.admin, password=sim.password, tls=false}',
      "list = c:UserGetListInSystemRequest{response_size_limit=2}",
      "#list.user_table",
      "c:UserGetRequest23V2{user_id=list.user_table[1].user_id}",
      'c:UserGetRequest23V2{user_id="nobody@example.net"}',
      "",
    }, "\n"))
    assert.are.equal(0, code, err)
    assert.matches("connected: tcp 127%.0%.0%.1:%d+ as admin", out)
    assert.matches("\n2\n", out)
    assert.matches("UserGetResponse23V2\n  service_provider_id%s+%S+", out)
    assert.matches("user_id%s+user%d+@", out)
    assert.matches("\nnil, ocip%.server error in UserGetRequest23V2 %[4008%]", out)
    local _, once = out:gsub("User not found", "")
    assert.are.equal(1, once, out)
    assert.is_nil(out:find("error: ocip.server", 1, true), out)
    -- the history file is written, without the line holding the password
    local f = assert(io.open(dir .. "/.ocip_history"))
    local hist = f:read("a")
    f:close()
    assert.matches("sim = ocip.sim.start{tcp_port=0}\n", hist, 1, true)
    assert.matches("#list.user_table", hist, 1, true)
    assert.is_nil(hist:find("password", 1, true))
  end)

  it(":json, :csv and :table switch how results print", function()
    local out, code, err = repl(table.concat({
      "sim = ocip.sim.start{tcp_port=0}",
      'connect{host="127.0.0.1", port=sim.tcp_port, username=sim.admin, password=sim.password, tls=false}',
      "u = c:UserGetListInSystemRequest{response_size_limit=2}.user_table[1]",
      ":json",
      "c:UserGetRequest23V2{user_id=u.user_id}",
      "{1, 2.5, true, ocip.NIL, 'a\"b\\n'}",
      ":csv",
      "c:UserGetListInGroupRequest{service_provider_id=u.service_provider_id, group_id=u.group_id, response_size_limit=2}",
      "c:UserGetRequest23V2{user_id=u.user_id}",
      ":table",
      "{x = 1}",
      ":nonsense",
      "",
    }, "\n"))
    assert.are.equal(0, code, err)
    -- JSON: schema order, _type first, null for ocip.NIL
    assert.matches('\nresults print as json\n{\n  "_type": "UserGetResponse23V2",\n  "service_provider_id": "sp1",\n'
      .. '  "group_id": "g1",\n  "user_id": "user000001@example.net",\n  "last_name": "', out)
    assert.matches('\n  "allow_video": false\n}\n', out)
    assert.truthy(out:find('[\n  1,\n  2.5,\n  true,\n  null,\n  "a\\"b\\n"\n]\n', 1, true), out)
    -- CSV: a response holding one table prints that table; a record prints one row
    assert.truthy(out:find("\nresults print as csv\nUser Id,Last Name,First Name,Department,Phone Number,", 1, true), out)
    -- (cells are ocip.csv's business: only plain ones are checked here)
    assert.matches("\nuser000001@example%.net,Nelson,Erin,,[^,]*,true,", out)
    assert.matches("\nservice_provider_id,group_id,user_id,last_name,first_name,", out)
    assert.matches("\nsp1,g1,user000001@example%.net,Nelson,Erin,", out)
    assert.matches("\nresults print as table\n{x = 1}\n", out)
    assert.matches("unknown command :nonsense %(:help lists them%)", err)
  end)

  it("never pages when stdout is not a terminal", function()
    local infile = dir .. "/in.lua"
    local f = assert(io.open(infile, "w"))
    f:write('t = {headings = {"Id"}}; for i = 1, 500 do t[i] = {id = "r" .. i} end\nt\n')
    f:close()
    local out, code = helpers.exec(("cat %s | PAGER='sed s/^/P:/' HOME=%s OCIP_HISTORY= timeout 30 %s repl"):format(
      q(infile), q(dir), HOST))
    assert.are.equal(0, code)
    assert.matches("\nr500\n%(500 rows%)\n$", out)
    assert.is_nil(out:find("P:", 1, true))
  end)

  it("keeps the loop running while the prompt waits for input", function()
    -- the last line is sent only once the background task has ticked 10 times (it
    -- creates a file then): only a loop that runs while read() waits gets there; a
    -- blocked one would wait for that line until the shell gives up (20 s)
    local mark = dir .. "/ticked"
    local lines = {
      "n = 0",
      ("t = ocip.spawn(function() while true do n = n + 1; if n == 10 then io.open(%q, 'w'):close() end; ocip.sleep(0.01) end end)")
        :format(mark),
    }
    local infile = dir .. "/in.lua"
    local f = assert(io.open(infile, "w"))
    f:write(table.concat(lines, "\n"), "\n")
    f:close()
    local out, code = helpers.exec(([[(cat %s; i=0; while [ ! -f %s ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done; printf 'n >= 10\n') | HOME=%s OCIP_HISTORY= timeout 30 %s repl]])
      :format(q(infile), q(mark), q(dir), HOST))
    assert.are.equal(0, code)
    assert.are.equal("true\n", out)
  end)

  it("reports a chunk left incomplete at the end of input", function()
    local out, code, err = repl("function g()\n  return 1\n")
    assert.are.equal(0, code)
    assert.are.equal("", out)
    assert.matches("<eof>", err)
  end)

  it("ocip -i runs the script, then the prompt", function()
    local script = dir .. "/s.lua"
    local f = assert(io.open(script, "w"))
    f:write("x = 41\n")
    f:close()
    local out, code = repl("x + 1\n", "-i " .. q(script))
    assert.are.equal(0, code)
    assert.matches("^ocip [^\n]*\n42\n$", out)
  end)
end)
describe("repl output modes (ocip.repl.show)", function()
  local show = require("ocip.repl.show").value
  local NIL = require("ocip").NIL

  it("JSON: escapes, null, nested records and OCITables in heading order", function()
    local t = { headings = { "B Col", "A Col" }, { a_col = "1", b_col = "x" }, { b_col = "y" } }
    assert.are.equal('[\n  {\n    "b_col": "x",\n    "a_col": "1"\n  },\n  {\n    "b_col": "y"\n  }\n]', show(t, "json"))
    assert.are.equal('"tab\\there \\"q\\" \\u0001"', show('tab\there "q" \1', "json"))
    assert.are.equal('{\n  "a": null,\n  "b": {\n    "c": [\n      1,\n      2\n    ]\n  }\n}',
      show({ a = NIL, b = { c = { 1, 2 } } }, "json"))
    assert.are.equal("[]", show({}, "json"))
    local cyc = {}
    cyc.self = cyc
    assert.are.equal('{\n  "self": "(cycle)"\n}', show(cyc, "json"))
  end)

  it("CSV: a record as one row (nested fields flattened), its tables after it", function()
    local r = { _type = "XResponse", name = "n, 1", address = { city = "Paris" }, tags = { "a", "b" },
      list = { headings = { "Id" }, { id = "1" }, { id = "2" } } }
    assert.are.equal('address.city,name,tags\nParis,"n, 1",a;b\n\nlist:\nId\n1\n2', show(r, "csv"))
    -- a response holding only one table is that table
    assert.are.equal("Id\n1\n2", show({ _type = "YResponse", list = r.list }, "csv"))
    -- an array of records: every key seen, in first-seen order
    assert.are.equal("a,b\n1,\n,2", show({ { a = 1 }, { b = 2 } }, "csv"))
    -- values without a CSV form show as text
    assert.are.equal("42", show(42, "csv"))
  end)
end)
