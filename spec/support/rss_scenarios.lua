-- Memory scenarios for spec/net_memory_spec.lua, each run in a fresh process so that
-- its RSS is its own: `BUILD/ocip spec/support/rss_scenarios.lua client|server` from
-- the repository root. Prints `peak_kib=N start_kib=N end_kib=N` (peak: VmHWM, the
-- highest RSS of the whole run; start: RSS once warmed up) and exits 0, or fails. The
-- garbage collector is stopped while connections come and go: memory that comes back
-- was freed by C at close, not by a finalizer. (Under AddressSanitizer the caller
-- sets quarantine_size_mb=0, or freed memory would stay resident in the quarantine.)
package.path = "./?.lua;" .. package.path
local ocip = require "ocip"
local core = ocip.core
local big = require "spec.support.big_docs"
local oci_peer = require "spec.support.oci_peer"

local MiB = 1024 * 1024
local LIMIT = 16 * MiB -- max_document; the one connection receiving counts too
local ROUNDS = 20

local function without_gc(fn)
  collectgarbage("stop")
  local ok, err = pcall(fn)
  collectgarbage("restart")
  if not ok then error(err, 0) end
end

local scenarios = {}

-- The client: 20 commands in a row answered with a document over max_document.
function scenarios.client()
  local peer = oci_peer.start(function(_, body)
    if body:find("huge@", 1, true) then return "SuccessResponse", { big.filler(LIMIT + 1) } end
    return oci_peer.user_answer(body:match("<userId>(.-)</userId>"))
  end)
  local c = assert(ocip.connect(oci_peer.options(peer, { max_document = LIMIT })))
  assert(c:UserGetRequest23V2 { user_id = "warm@x" })
  local start = big.rss_kib()
  without_gc(function()
    for i = 1, ROUNDS do
      -- a write is not sent again after the lost connection: one oversized answer each
      local r, err = c:UserModifyRequest22 { user_id = "huge@x", last_name = "N" .. i }
      assert(r == nil and err.message:find("max_document", 1, true), tostring(err))
    end
  end)
  assert(assert(c:UserGetRequest23V2 { user_id = "b@x" }).user_id == "b@x")
  assert(peer.connections >= ROUNDS + 1, "connections: " .. peer.connections)
  c:close()
  peer.stop()
  return start
end

-- The server side: core.tcp_listen receiving 20 documents over max_document.
function scenarios.server()
  local srv = assert(core.tcp_listen { host = "127.0.0.1", port = 0, max_document = LIMIT })
  local refused = 0
  local server = core.spawn(function()
    while true do
      local conn = srv:accept()
      if not conn then return end
      local doc, err = conn:read()
      assert(doc == nil and err.kind == "limit", tostring(err))
      refused = refused + 1
      conn:close()
    end
  end)
  local chunk = "<BroadsoftDocument>" .. ("x"):rep(256 * 1024)
  local start = big.rss_kib()
  without_gc(function()
    for _ = 1, ROUNDS do
      local conn = assert(core.tcp_connect { host = "127.0.0.1", port = srv:port(), timeout = 5 })
      -- write until the server gives up on the document and closes
      while conn:write(chunk) and conn:flush() do end
      conn:close()
    end
  end)
  srv:close()
  assert(core.join(server, 5))
  assert(refused == ROUNDS, "refused: " .. refused)
  return start
end

local run = assert(scenarios[arg[1]], "usage: rss_scenarios.lua client|server")
local start
ocip.run(function() start = run() end)
print(("peak_kib=%d start_kib=%d end_kib=%d"):format(big.peak_rss_kib(), start, big.rss_kib()))
