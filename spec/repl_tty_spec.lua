-- The REPL at a terminal: driven in a pseudo-terminal (spec/support/pty.c). Each
-- step waits for output (never for time), so a loaded machine only makes it slower.
-- A marker such as `"ok" .. 1` is typed and `ok1` awaited: the terminal echoes what
-- is typed, so only the REPL's answer can hold the joined text. Keys that act at once
-- (Ctrl-C, Ctrl-D, Tab) are sent only after the prompt shows ("\n> "): typed ahead,
-- while a result prints, they would meet the terminal in its ordinary line mode.
local pty = require "spec.support.pty"

local function expect(s) return { "expect", s } end
local function send(s) return { "send", s } end

describe("ocip repl at a terminal", function()
  it("writes large output in full and leaves the terminal blocking", function()
    local out, code, err = pty.run({
      expect "> ",
      -- 200 KB in one write: far beyond what a terminal buffers
      send 'r = table.pack(io.write(string.rep("x", 200000) .. "\\n"))\r',
      -- the next line only once the prompt is back: keys typed while the output is still
      -- being written are echoed into it by the terminal (a race in the spec, not the REPL)
      expect 'xxxxxxxxxxxxxxxx\n> ',
      send '=r[1] == io.stdout and "write" .. "-ok" or ("write failed: " .. tostring(r[2]))\r',
      expect "write-ok",
      -- a 1,002-row table printed without a pager
      send ':pager off\r',
      expect "pager off",
      send 't = {headings = {"User Id", "Last Name"}}\r',
      send 'for i = 1, 1002 do t[i] = {user_id = "u" .. i, last_name = "L" .. i} end\r',
      send 't\r',
      expect "(1002 rows)\n> ", -- the prompt first: keys typed earlier are echoed into the output
      send '"still" .. "-here"\r',
      expect "still-here\n> ",
      send "\4",
    })
    assert.are.equal(0, code, err)
    assert.are.equal("", err)
    assert.truthy(out:find("\n" .. string.rep("x", 200000) .. "\n", 1, true), "all 200,000 bytes")
    assert.matches("\nu1002%s+L1002\n%(1002 rows%)\n> ", out)
    for i = 1, 1002 do assert.truthy(out:find("\nu" .. i .. " ", 1, true), "row " .. i) end
  end)

  it("prints a 1,002-row list from the simulator in full, then the prompt", function()
    local out, code, err = pty.run({
      expect "> ",
      send "sim = ocip.sim.start{tcp_port=0, users=1002}\r",
      send('connect{host="127.0.0.1", port=sim.tcp_port, username=sim.admin, '
        .. 'password=sim.password, tls=false}\r'),
      expect "connected: ",
      send ":pager off\r",
      expect "pager off\n> ",
      send "c:UserGetListInSystemRequest{}\r",
      expect "(1002 rows;",
      expect "\n> ",
      send "\4",
    })
    assert.are.equal(0, code, err)
    assert.are.equal("", err)
    for i = 1, 1002 do
      assert.truthy(out:find(("\n    user%06d@example.net "):format(i), 1, true), "row " .. i)
    end
    local listing = out:match("\nUserGetListInSystemResponse\n(.-\n    %(1002 rows;[^\n]*)\n> ")
    assert.truthy(listing, out:sub(-2000))
    for line in listing:gmatch("[^\n]+") do
      if not line:match("^    %(") then assert.is_true(utf8.len(line) <= 80, line) end
    end
  end)

  it("drops the unfinished chunk on Ctrl-C at a continuation prompt", function()
    local out, code, err = pty.run({
      expect "> ",
      send "function f()\r",
      expect "\n>> ",
      send "local y =", -- typed on the continuation line, then dropped with the chunk
      expect "local y =",
      send "\3",
      expect "^C\n> ",
      -- with the chunk kept this would be line 2 of f's body, and ">> " again
      send '"fresh" .. "-start"\r',
      expect "fresh-start\n> ",
      send "f\r",
      expect "\nnil\n> ",
      send "\4",
    })
    assert.are.equal(0, code, err)
    assert.are.equal("", err)
    assert.is_nil(out:find(">> \"fresh\"", 1, true), out)
  end)

  it("completes field names on continuation lines, adding ' = '", function()
    local out, code, err = pty.run({
      expect "> ",
      send "x = ocip.commands.UserGetRequest23V2{\r",
      expect "\n>> ",
      send "us\t",
      expect "er_id = ", -- the completion, after the typed "us"
      send '"u" .. 1}\r',
      expect "\n> ",
      send '=x.userId .. "-done"\r',
      expect "u1-done\n> ",
      -- on the first line too; text already followed by "=" gets no second one
      send 'y = ocip.commands.UserGetRequest23V2{us = "u2"}\2\2\2\2\2\2\2\2\t\r',
      expect "\n> ",
      send '=y.userId .. "-done"\r',
      expect "u2-done\n> ",
      send "\4",
    })
    assert.are.equal(0, code, err)
    assert.are.equal("", err)
    assert.matches("\n>> us[^\n]*er_id = \"u\" %.%. 1}\n", out)
  end)
end)

describe("ocip repl pager", function()
  -- a table of n rows, built at the prompt
  local function table_of(n)
    return send(('t = {headings = {"User Id", "Last Name"}}; for i = 1, %d do t[i] = '
      .. '{user_id = "u" .. i, last_name = "L" .. i} end\r'):format(n))
  end

  it("pages results taller than the screen through $PAGER; :pager off/on", function()
    local out, code, err = pty.run({
      expect "> ",
      table_of(100),
      send "t\r",
      expect "P:(100 rows)\n> ", -- every line went through the pager
      send '#t .. "-short"\r', -- one line: printed directly
      expect "100-short\n> ",
      send ":pager off\r",
      expect "pager off\n> ",
      send "t\r",
      expect "\nu100     L100\n(100 rows)\n> ",
      send ":pager on\r",
      expect "pager on: sed s/^/P:/\n> ",
      send "t\r",
      expect "P:u100     L100\nP:(100 rows)\n> ",
      send "\4",
    }, { env = { PAGER = "sed s/^/P:/" } })
    assert.are.equal(0, code, err)
    assert.are.equal("", err)
    assert.is_nil(out:find("P:100-short", 1, true), out)
    local _, paged = out:gsub("\nP:u%d+ ", "")
    assert.are.equal(200, paged)
  end)

  it("runs less -FRX by default, the terminal restored after it", function()
    local out, code, err = pty.run({
      expect "> ",
      table_of(100),
      send "t\r",
      expect "\n:", -- less's prompt at the bottom of the first page
      send "\3", -- Ctrl-C reaches less and ocip alike: neither ends
      send "q",
      expect "> ", -- less -X leaves the cursor at the start of its cleared prompt line
      send '"after" .. "-less"\r',
      expect "after-less\n> ",
      send "\4",
    }, { env = { PAGER = false, LESS = false, LESSOPEN = false, LESSCLOSE = false } })
    assert.are.equal(0, code, err)
    assert.are.equal("", err) -- the driver found echo, canonical mode and blocking mode back
    assert.truthy(out:find("u1       L1", 1, true))
    assert.is_nil(out:find("(100 rows)", 1, true), "only the first page was shown")
  end)

  it("prints the result itself when the pager cannot run", function()
    local out, code, err = pty.run({
      expect "> ",
      table_of(100),
      send "t\r",
      expect "(100 rows)\n> ",
      send "\4",
    }, { env = { PAGER = "no-such-pager-here" } })
    assert.are.equal(0, code, err)
    assert.matches("ocip: pager 'no%-such%-pager%-here' failed", out)
    assert.truthy(out:find("\nu100     L100\n", 1, true))
  end)

  it("fits wide tables to the terminal and leaves out empty columns", function()
    local out, code, err = pty.run({
      expect "> ",
      send 'w = {headings = {"User Id", "Department", "Email Address", "Title"}}\r',
      send('for i = 1, 3 do w[i] = {user_id = "user" .. i .. "@example.com", '
        .. 'email_address = string.rep("e", 70) .. i, title = "t" .. i} end\r'),
      send "w\r",
      expect "rows;",
      expect "\n> ",
      send "\4",
    }, { cols = 60 })
    assert.are.equal(0, code, err)
    assert.are.equal("", err)
    local shown = out:match("\n(User Id[^\n]*\n.-%(3 rows;[^\n]*)\n")
    assert.truthy(shown, out)
    for line in shown:gmatch("[^\n]+") do
      if not line:match("^%(") then assert.is_true(utf8.len(line) <= 60, line) end
    end
    assert.is_nil(shown:match("^[^\n]*Department"), "the empty column is left out")
    assert.matches("1 empty column not shown: Department", shown)
    assert.matches("cut to 60 columns", shown)
    assert.matches("\nuser1@example%.com  eeee[e]*…  t1\n", shown)
  end)
end)
