-- conn:read(dec) / conn:finish(dec): a document decoded piece by piece as its bytes
-- arrive (issue 12). The result must equal core.decode of the same bytes whatever the
-- chunking; a decoding failure is reported by finish and leaves the stream in step;
-- rows mode hands rows over before the document's end.
local ocip = require "ocip"
local core = ocip.core
local helper = require "spec.support.client_helper"

local HEAD = '<?xml version="1.0" encoding="ISO-8859-1"?>\n<BroadsoftDocument protocol="OCI" xmlns="C" '
  .. 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><sessionId xmlns="">sid-1</sessionId>'

local function table_doc(rows, extra)
  local parts = { HEAD, '<command echo="e1" xsi:type="UserGetListInSystemResponse" xmlns=""><userTable>',
    "<colHeading>User Id</colHeading><colHeading>Last Name</colHeading>" }
  for i = 1, rows do
    parts[#parts + 1] = ("<row><col>u%d</col><col>L\xfc%d</col></row>"):format(i, i)
  end
  parts[#parts + 1] = "</userTable></command>" .. (extra or "") .. "</BroadsoftDocument>"
  return table.concat(parts)
end

-- A connected pair; fn(client, server).
local function with_pair(fn)
  helper.run(30, function()
    local srv = assert(core.tcp_listen { host = "127.0.0.1", port = 0 })
    local accepted
    local t = core.spawn(function() accepted = srv:accept() end)
    local c = assert(core.tcp_connect { host = "127.0.0.1", port = srv:port(), timeout = 5 })
    core.join(t)
    local ok, err = pcall(fn, c, accepted)
    c:close()
    accepted:close()
    srv:close()
    if not ok then error(err, 0) end
  end)
end

-- Writes doc in pieces of `size` bytes, `pause` seconds apart.
local function write_pieces(conn, doc, size, pause)
  for i = 1, #doc, size do
    assert(conn:write(doc:sub(i, i + size - 1)))
    assert(conn:flush())
    if pause then core.sleep(pause) end
  end
end

describe("conn:read(dec)", function()
  it("decodes a document written in pieces as core.decode does, for several chunkings", function()
    with_pair(function(c, s)
      local doc = table_doc(3000)
      local want = assert(core.decode(doc))
      local dec = core.decoder()
      for _, size in ipairs { #doc, 100000, 4096, 777 } do
        core.spawn(write_pieces, s, doc, size)
        assert.is_true(c:read(dec))
        local got = assert(c:finish(dec))
        assert.same(want, got)
      end
      -- a small document arriving whole, then two back to back
      local small = table_doc(2)
      assert(s:write(small .. "\n" .. small))
      for _ = 1, 2 do
        assert.is_true(c:read(dec))
        assert.same(assert(core.decode(small)), assert(c:finish(dec)))
      end
    end)
  end)

  it("reports a decoding failure from finish and reads the next document in step", function()
    with_pair(function(c, s)
      local bad = table_doc(3000):gsub("<col>u10</col>", "<col>u10</wrong>", 1)
      local good = table_doc(5)
      core.spawn(function()
        write_pieces(s, bad, 8192)
        assert(s:write(good))
      end)
      local dec = core.decoder()
      assert.is_true(c:read(dec))
      local r, err = c:finish(dec)
      assert.is_nil(r)
      assert.equal("protocol", err.kind)
      assert.is_true(c:read(dec))
      assert.same(assert(core.decode(good)), assert(c:finish(dec)))
    end)
  end)

  it("hands over rows before the document's end (rows mode), and the last ones with the result", function()
    with_pair(function(c, s)
      local doc = table_doc(20000)
      local writer_done = false
      core.spawn(function()
        write_pieces(s, doc, 65536, 0.01)
        writer_done = true
      end)
      local dec = core.decoder { rows = true }
      local seen, early = 0, 0
      while true do
        local ok, err = c:read(dec)
        assert.is_not_nil(ok, tostring(err))
        local rows, keys = dec:rows()
        if rows then
          if not writer_done then early = early + 1 end
          local sid, cmd, done = dec:head()
          assert.equal("sid-1", sid)
          assert.equal("UserGetListInSystemResponse", cmd._type)
          assert.equal("e1", cmd._echo)
          assert.equal(0, done)
          for i, row in ipairs(rows) do
            seen = seen + 1
            assert.equal("u" .. seen, row.user_id)
            assert.equal("user_table", keys[i])
          end
        end
        if ok then break end
      end
      assert.is_true(early > 0, "no rows before the end of the document")
      local r = assert(c:finish(dec))
      for i, row in ipairs(r.rows or {}) do
        seen = seen + 1
        assert.equal("u" .. seen, row.user_id)
        assert.equal("user_table", r.keys[i])
      end
      assert.equal(20000, seen)
      assert.equal(0, #r.responses[1].user_table)
      assert.same({ "User Id", "Last Name" }, r.responses[1].user_table.headings)
    end)
  end)

  it("times out with kind timeout, also for a deadline already past, and goes on with the document", function()
    with_pair(function(c, s)
      local dec = core.decoder()
      local r, err = c:read(dec, nil, 0.05)
      assert.is_nil(r)
      assert.equal("timeout", err.kind)
      r, err = c:read(dec, nil, -1) -- a deadline already past: at once, not never
      assert.is_nil(r)
      assert.equal("timeout", err.kind)
      local doc = table_doc(3000)
      assert(s:write(doc:sub(1, 50000)))
      r, err = c:read(dec, nil, 0.2) -- the first part is fed, then the time is up
      assert.is_nil(r)
      assert.equal("timeout", err.kind)
      assert(s:write(doc:sub(50001)))
      assert.is_true(c:read(dec, nil, 5))
      assert.same(assert(core.decode(doc)), assert(c:finish(dec)))
    end)
  end)

  it("after a cancelled read(dec), a plain read still gets the whole next document", function()
    with_pair(function(c, s)
      local dec = core.decoder()
      local ok, err = ocip.timeout(0.05, function() return c:read(dec) end)
      assert.is_nil(ok)
      assert.equal("timeout", err.kind)
      local doc = table_doc(3)
      assert(s:write(doc))
      assert.equal(doc, assert(c:read()))
    end)
  end)

  it("applies a per-document size limit and refuses a second read before finish", function()
    with_pair(function(c, s)
      local doc = table_doc(100)
      assert(s:write(doc))
      local dec = core.decoder()
      assert.is_true(c:read(dec))
      assert.has_error(function() c:read(dec) end)
      assert(c:finish(dec))
      core.spawn(write_pieces, s, table_doc(3000), 4096)
      local r, err = c:read(dec, 10000)
      assert.is_nil(r)
      assert.equal("limit", err.kind)
    end)
  end)
end)
