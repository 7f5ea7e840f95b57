-- client:rows: table rows handed to the script as they are decoded (issue 12), against a
-- scripted server (spec/support/hostile_oci.lua). Rows must be exactly the rows of the
-- answer, in order; an answer found wrong before the first row hands out none, one
-- found wrong later raises from the loop after its rows; such a command is never sent
-- again; leaving the loop early leaves the session usable.
package.path = "spec/support/?.lua;" .. package.path
local ocip = require "ocip"
local helper = require "client_helper"

local has_net = ocip.core.tcp_listen ~= nil and ocip.core.tcp_connect ~= nil

local function connect(srv, extra)
  local o = { host = "127.0.0.1", port = srv.port, tls = false, username = "admin", password = "pw",
    sessions = 1, timeout = 5, log = false }
  for k, v in pairs(extra or {}) do o[k] = v end
  return assert(ocip.connect(o))
end

local LIST = ocip.commands.UserGetListInSystemRequest {}

-- Runs fn(srv) against a fresh scripted server inside ocip.run.
local function with_server(fn)
  local hostile = require "hostile_oci"
  helper.run(60, function()
    local srv = hostile.start()
    local ok, err = pcall(fn, srv)
    srv.stop()
    if not ok then error(err, 0) end
  end)
end

-- Iterates c:rows(LIST) under pcall; returns the rows seen and the error raised (or nil).
-- Seeing a row releases the rest of a "slow" answer (srv.release).
local function collect(c, srv)
  local seen = {}
  local ok, err = pcall(function()
    for row, key in c:rows(LIST) do
      assert.equal("user_table", key)
      seen[#seen + 1] = row
      if srv then srv.release = true end
    end
  end)
  return seen, (not ok) and err or nil
end

local function usable(c)
  local r, e = c:UserGetRequest23V2 { user_id = "after" }
  assert.is_truthy(r, "client not usable afterwards: " .. tostring(e))
  assert.equal("after", r.first_name)
end

local function assert_rows(seen, n)
  assert.equal(n, #seen)
  for i = 1, n do
    local r = seen[i]
    assert.same({ user_id = "u" .. i, last_name = "L" .. i, first_name = "F" .. i }, r)
  end
end

describe("client:rows", function()
  if not has_net then pending("needs core.tcp_listen") return end

  it("hands over exactly the rows c:command returns, in order, and the response without them", function()
    with_server(function(srv)
      local c = connect(srv)
      local whole = assert(c:command(LIST)).user_table
      assert.equal(2000, #whole)
      local seen, err = collect(c)
      assert.is_nil(err)
      assert.equal(#whole, #seen)
      for i = 1, #whole do assert.same(whole[i], seen[i]) end
      assert_rows(seen, 2000)
      local n = 0
      local r = assert(c:rows(LIST, function(row, key)
        n = n + 1
        assert.equal("u" .. n, row.user_id)
        assert.equal("user_table", key)
      end))
      assert.equal(2000, n)
      assert.equal("UserGetListInSystemResponse", r._type)
      assert.equal(0, #r.user_table)
      assert.same({ "User Id", "Last Name", "First Name" }, r.user_table.headings)
      assert.is_nil(r._echo)
      usable(c)
      c:close()
    end)
  end)

  it("hands out rows while the answer still arrives (decoding overlaps the transfer)", function()
    with_server(function(srv)
      srv.table_rows = 20000
      local c = connect(srv)
      srv.script = { "slow" }
      local before_end, n = nil, 0
      for row in c:rows(LIST) do
        n = n + 1
        if before_end == nil then before_end = srv.end_written == false end
        srv.release = true
      end
      assert.equal(20000, n)
      assert.is_true(before_end, "the first row came only after the whole answer was written")
      usable(c)
      c:close()
    end)
  end)

  it("hands out no row of an answer that is not this command's (echo, session id, type)", function()
    with_server(function(srv)
      local c = connect(srv)
      for _, fault in ipairs { "wrong_echo", "wrong_sid", "wrong_type" } do
        srv.script = { fault }
        local seen, err = collect(c)
        assert.equal(0, #seen, fault)
        assert.is_table(err, fault)
        assert.equal("protocol", err.kind, fault)
        assert.is_true(err.sent, fault)
        usable(c)
      end
      c:close()
    end)
  end)

  it("raises from the loop when the answer turns out wrong after its rows were handed out", function()
    with_server(function(srv)
      srv.table_rows = 20000
      local c = connect(srv)
      srv.script = { "slow_more" } -- a second command follows the table, after rows went out
      local seen, err = collect(c, srv)
      assert.is_true(#seen > 0, "no row was handed out before the end")
      for i = 1, #seen do assert.equal("u" .. i, seen[i].user_id) end
      assert.is_table(err)
      assert.equal("protocol", err.kind)
      assert.matches("command", err.message)
      -- the on_row form returns the error instead
      srv.script = { "slow_more" }
      local n = 0
      local r, e = c:rows(LIST, function() n = n + 1; srv.release = true end)
      assert.is_nil(r)
      assert.is_true(n > 0)
      assert.equal("protocol", e.kind)
      -- a wrong whole answer hands out none (checked before its rows)
      srv.table_rows = 100
      srv.script = { "more" }
      seen, err = collect(c)
      assert.equal(0, #seen)
      assert.equal("protocol", err.kind)
      usable(c)
      c:close()
    end)
  end)

  it("does not send a read again once rows were handed out (connection lost mid-answer)", function()
    with_server(function(srv)
      srv.table_rows = 20000
      local c = connect(srv)
      srv.lists = 0
      srv.script = { "cut" }
      local seen, err = collect(c)
      assert.is_true(#seen > 0 and #seen < 20000, "rows before the cut: " .. #seen)
      for i = 1, #seen do assert.equal("u" .. i, seen[i].user_id) end
      assert.is_table(err)
      assert.equal("closed", err.kind)
      assert.is_true(err.sent)
      assert.equal(1, srv.lists, "the command was sent again after rows were handed out")
      usable(c)
      c:close()
    end)
  end)

  it("leaves the session usable when the loop is left early; the answer is read and dropped", function()
    with_server(function(srv)
      srv.table_rows = 20000
      local c = connect(srv)
      for row in c:rows(LIST) do
        assert.equal("u1", row.user_id)
        break
      end
      usable(c)
      assert.equal(1, srv.accepted, "a new connection was needed")
      c:close()
    end)
  end)

  it("is not bounded by max_document (nothing is held), unlike c:command", function()
    with_server(function(srv)
      srv.table_rows = 5000 -- ~200 KB
      local c = connect(srv, { max_document = 64 * 1024 })
      local r, e = c:command(LIST)
      assert.is_nil(r)
      assert.equal("limit", e.kind)
      local seen, err = collect(c)
      assert.is_nil(err)
      assert_rows(seen, 5000)
      c:close()
    end)
  end)

  it("keeps its deadline while the consumer is slow and rows keep coming", function()
    with_server(function(srv)
      srv.table_rows = 30000
      connect(srv, { timeout = 60 }):close() -- first-use work done (slow under valgrind)
      local c = connect(srv, { timeout = 3 })
      local n, t0 = 0, ocip.now()
      for row in c:rows(LIST) do
        n = n + 1
        if n % 1000 == 0 then ocip.sleep(0.25) end -- 7.5 s in all, 2.5 times the timeout
      end
      assert.equal(30000, n)
      assert.is_true(ocip.now() - t0 > 6)
      usable(c)
      c:close()
    end)
  end)

  it("gives the same rows when the answer is read whole (trace logging on)", function()
    with_server(function(srv)
      local lines = 0
      local c = connect(srv, { log = ocip.log.fn(function() lines = lines + 1 end, "trace") })
      local seen, err = collect(c)
      assert.is_nil(err)
      assert_rows(seen, 2000)
      assert.is_true(lines > 0)
      c:close()
    end)
  end)
end)
