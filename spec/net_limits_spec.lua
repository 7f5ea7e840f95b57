-- Huge answers and hostile documents through real loopback connections: the client
-- (ocip.connect) against a minimal OCI-P server (spec/support/oci_peer.lua), and the
-- simulator against a peer that never logs in. Time bounds are the commands' own
-- timeouts, not speed targets (names saying "in linear time" are left out of
-- `make valgrind`). Memory: spec/net_memory_spec.lua.
local ocip = require "ocip"
local core = ocip.core
local big = require "spec.support.big_docs"
local oci_peer = require "spec.support.oci_peer"
local helper = require "spec.support.client_helper"

local MiB = 1024 * 1024

local user_answer = oci_peer.user_answer

describe("through real connections", function()
  it("a 50 MB, 150,000-row UserGetListInSystemResponse decodes completely, in linear time", function()
    helper.run(120, function()
      local counter = {}
      local peer = oci_peer.start(function(name)
        if name == "UserGetListInSystemRequest" then
          return "UserGetListInSystemResponse", big.user_table_pieces(150000, counter)
        end
        return "SuccessResponse"
      end)
      local c = assert(ocip.connect(oci_peer.options(peer, { timeout = 60 })))
      local r = assert(c:UserGetListInSystemRequest {})
      assert.is_true(counter.bytes >= 50 * 1000 * 1000, counter.bytes .. " bytes")
      local t = r.user_table
      assert.equal(150000, #t)
      assert.same(big.USER_HEADINGS, t.headings)
      big.check_user_row(t[1], 1)
      big.check_user_row(t[75000], 75000)
      big.check_user_row(t[150000], 150000)
      c:close()
      peer.stop()
    end)
  end)

  it("an answer over max_document fails its command; the connection is dropped and the client carries on", function()
    helper.run(30, function()
      local peer = oci_peer.start(function(name, body)
        if body:find("huge@", 1, true) then return "UserGetResponse23V2", { big.filler(2 * MiB) } end
        return user_answer(body:match("<userId>(.-)</userId>"))
      end)
      local c = assert(ocip.connect(oci_peer.options(peer, { max_document = MiB })))
      assert.equal("a@x", assert(c:UserGetRequest23V2 { user_id = "a@x" }).user_id)
      local r, err = c:UserGetRequest23V2 { user_id = "huge@x" }
      assert.is_nil(r)
      assert.matches("max_document", err.message)
      assert.equal("limit", err.kind) -- over the limit: kind limit, not retried
      local before = peer.connections
      assert.equal("b@x", assert(c:UserGetRequest23V2 { user_id = "b@x" }).user_id)
      assert.is_true(peer.connections >= 2 and peer.connections >= before)
      c:close()
      peer.stop()
    end)
  end)

  it("an answer nested deeper than max_depth fails its command; the client carries on", function()
    helper.run(30, function()
      local peer = oci_peer.start(function(name, body)
        if body:find("deep@", 1, true) then
          return "UserGetResponse23V2", { ("<a>"):rep(100) .. ("</a>"):rep(100) }
        end
        return user_answer(body:match("<userId>(.-)</userId>"))
      end)
      local c = assert(ocip.connect(oci_peer.options(peer)))
      local r, err = c:UserGetRequest23V2 { user_id = "deep@x" }
      assert.is_nil(r)
      assert.matches("max_depth", err.message)
      assert.equal("limit", err.kind)
      assert.equal("b@x", assert(c:UserGetRequest23V2 { user_id = "b@x" }).user_id)
      c:close()
      peer.stop()
    end)
  end)

  it("a 300,000-attribute answer (3.3 MB) is refused in linear time, within the command's timeout; the client carries on", function()
    helper.run(120, function()
      local hostile = big.attributes(300000)
      local peer = oci_peer.start(function(name, body)
        if body:find("attrs@", 1, true) then
          return "UserGetResponse23V2", { hostile:match("<x .-/>") }
        end
        return user_answer(body:match("<userId>(.-)</userId>"))
      end)
      local c = assert(ocip.connect(oci_peer.options(peer, { timeout = 3 })))
      assert(c:UserGetRequest23V2 { user_id = "a@x" })
      local t0 = core.now()
      local r, err = c:UserGetRequest23V2 { user_id = "attrs@x" }
      local took = core.now() - t0
      assert.is_nil(r)
      assert.matches("attributes", err.message)
      assert.equal("limit", err.kind)
      assert.is_true(took < 3, ("failed after %.1f s, past its 3 s timeout"):format(took))
      assert.equal("b@x", assert(c:UserGetRequest23V2 { user_id = "b@x" }).user_id)
      c:close()
      peer.stop()
    end)
  end)

  it("ocip sim refuses a 300,000-attribute document from a peer that never logs in in linear time, and keeps serving", function()
    helper.with_sim({ users = 3 }, function(sim)
      local c = assert(ocip.connect { host = "127.0.0.1", port = sim.tcp_port, tls = false,
        username = sim.admin, password = sim.password, timeout = 3, sessions = 1, log = false })
      local uid = "user000001@example.net"
      assert(c:UserGetRequest23V2 { user_id = uid })
      local raw = assert(core.tcp_connect { host = "127.0.0.1", port = sim.tcp_port, timeout = 5 })
      assert(raw:write(big.attributes(300000, "never-logged-in")))
      local t0 = core.now()
      for _ = 1, 3 do assert(c:UserGetRequest23V2 { user_id = uid }) end
      local took = core.now() - t0
      assert.is_true(took < 3, ("the simulator answered after %.1f s"):format(took))
      -- the hostile peer gets an end: an error answer or a closed connection
      local ended = ocip.timeout(3, function()
        while raw:read() do end
        return true
      end)
      assert.is_true(ended)
      raw:close()
      c:close()
    end, 120)
  end)
end)
