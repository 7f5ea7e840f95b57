-- Memory of closed connections, through real loopback connections: a connection's
-- buffers (framer, read buffer, TLS) are freed when it closes, not when the garbage
-- collector finalizes its userdata. Its own file: RSS is measured for the whole
-- process, which must not carry what other specs left behind.
local ocip = require "ocip"
local core = ocip.core
local big = require "spec.support.big_docs"
local oci_peer = require "spec.support.oci_peer"
local helper = require "spec.support.client_helper"

local MiB = 1024 * 1024

local user_answer = oci_peer.user_answer

-- Runs fn with the garbage collector stopped: memory that comes back meanwhile was
-- freed by C at close, not by a finalizer.
local function without_gc(fn)
  collectgarbage("stop")
  local ok, err = pcall(fn)
  collectgarbage("restart")
  if not ok then error(err, 0) end
end

describe("memory of closed connections", function()
  -- 100 MB of RSS for the whole process, busted and the catalog included. Documents
  -- are limited to 16 MiB here: the one connection receiving counts too, and with
  -- the default 64 MiB its buffer alone would fill most of the budget.
  local LIMIT_KIB = 100 * 1024

  it("20 oversized answers in a row: the client's RSS stays under 100 MB", function()
    helper.run(120, function()
      local peer = oci_peer.start(function(name, body)
        if body:find("huge@", 1, true) then return "SuccessResponse", { big.filler(16 * MiB + 1) } end
        return user_answer(body:match("<userId>(.-)</userId>"))
      end)
      local c = assert(ocip.connect(oci_peer.options(peer, { max_document = 16 * MiB })))
      assert(c:UserGetRequest23V2 { user_id = "warm@x" })
      local peak = 0
      without_gc(function()
        for i = 1, 20 do
          -- a write: not sent again after the lost connection, so one oversized answer each
          local r, err = c:UserModifyRequest22 { user_id = "huge@x", last_name = "N" .. i }
          assert.is_nil(r)
          assert.matches("max_document", err.message)
          peak = math.max(peak, big.rss_kib())
        end
      end)
      assert.equal("b@x", assert(c:UserGetRequest23V2 { user_id = "b@x" }).user_id)
      assert.is_true(peer.connections >= 21)
      assert.is_true(peak < LIMIT_KIB, ("RSS reached %d MiB"):format(peak // 1024))
      c:close()
      peer.stop()
    end)
  end)

  it("a server receiving 20 oversized documents in a row keeps its RSS under 100 MB", function()
    helper.run(120, function()
      local srv = assert(core.tcp_listen { host = "127.0.0.1", port = 0, max_document = 16 * MiB })
      local refused = 0
      local server = core.spawn(function()
        while true do
          local conn = srv:accept()
          if not conn then return end
          local doc, err = conn:read()
          assert.is_nil(doc)
          assert.equal("limit", err.kind)
          refused = refused + 1
          conn:close()
        end
      end)
      local chunk = "<BroadsoftDocument>" .. ("x"):rep(256 * 1024)
      local peak = 0
      without_gc(function()
        for _ = 1, 20 do
          local conn = assert(core.tcp_connect { host = "127.0.0.1", port = srv:port(), timeout = 5 })
          -- write until the server gives up on the document and closes
          while conn:write(chunk) and conn:flush() do end
          conn:close()
          peak = math.max(peak, big.rss_kib())
        end
      end)
      srv:close()
      core.join(server, 5)
      assert.equal(20, refused)
      assert.is_true(peak < LIMIT_KIB, ("RSS reached %d MiB"):format(peak // 1024))
    end)
  end)
end)
