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
      send '=r[1] == io.stdout and "write" .. "-ok" or ("write failed: " .. tostring(r[2]))\r',
      expect "write-ok",
      -- a 1,002-row table printed without a pager
      send 't = {headings = {"User Id", "Last Name"}}\r',
      send 'for i = 1, 1002 do t[i] = {user_id = "u" .. i, last_name = "L" .. i} end\r',
      send 't\r',
      expect "(1002 rows)",
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

  it("drops the unfinished chunk on Ctrl-C at a continuation prompt", function()
    local out, code, err = pty.run({
      expect "> ",
      send "function f()\r",
      expect "\n>> ",
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
