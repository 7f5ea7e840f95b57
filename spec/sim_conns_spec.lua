-- The simulator's connections: bursts of connects are all served, and peers that
-- never log in are closed after the login timeout (a real server does not keep
-- them forever).
local ocip = require "ocip"
local core = ocip.core
local S = require "spec.support.sim_raw"

local function net_only()
  if not S.have_net then pending("network layer (core.tcp_listen) not built yet") return true end
end

local function auth_doc(sid, user)
  return assert(ocip.xml.encode({ assert(ocip.catalog.build("AuthenticationRequest",
    { user_id = user })) }, sid))
end

-- Runs fn(i) for i = 1..n, each in its own task, and waits for all of them.
local function all(n, fn)
  local tasks = {}
  for i = 1, n do tasks[i] = core.spawn(fn, i) end
  for i = 1, n do
    local ok, err = core.join(tasks[i])
    if not ok then error(err, 0) end
  end
end

describe("ocip sim connections", function()
  it("serves a burst of 1,000 concurrent connects: every one gets its nonce", function()
    if net_only() then return end
    local N = 1000
    S.with_sim({ users = 1 }, function(sim)
      local served, refused = 0, {}
      all(N, function(i)
        local conn, err = core.tcp_connect { host = "127.0.0.1", port = sim.tcp_port, timeout = 30 }
        if not conn then refused[#refused + 1] = tostring(err) return end
        local doc
        if conn:write(auth_doc("burst-" .. i, "admin")) then doc = conn:read() end
        conn:close()
        local r = doc and core.decode(doc)
        if r and r.responses[1]._type == "AuthenticationResponse" and r.responses[1].nonce then
          served = served + 1
        else
          refused[#refused + 1] = "no nonce"
        end
      end)
      assert.equal(N, served, #refused .. " not served, e.g. " .. tostring(refused[1]))
      assert.is_true(sim.stats.connections >= N)
    end, 120)
  end)

  it("`ocip sim` started under a soft limit of 256 open files still serves 1,000 connects", function()
    if net_only() then return end
    local helpers = require "spec.helpers"
    local f = io.open(helpers.host(), "rb")
    if not f then pending("host binary not built") return end
    f:close()
    -- the simulator raises its soft limit to the hard one (here at least 20000)
    local p = assert(io.popen("exec sh -c 'ulimit -Sn 256; echo $$; exec " .. helpers.host()
      .. " sim --tcp 0 --users 1 --for 60' 2>/dev/null", "r"))
    local pid = assert(tonumber(p:read("l")))
    local port = assert(tonumber((p:read("l") or ""):match("tcp=127%.0%.0%.1:(%d+)")))
    local N, served = 1000, 0
    S.run(120, function()
      local conns = {}
      all(N, function(i) -- every connection stays open until all are served
        local conn = assert(core.tcp_connect { host = "127.0.0.1", port = port, timeout = 30 })
        conns[i] = conn
        local doc = conn:write(auth_doc("limit-" .. i, "admin")) and conn:read()
        local r = doc and core.decode(doc)
        if r and r.responses[1]._type == "AuthenticationResponse" then served = served + 1 end
      end)
      for _, c in pairs(conns) do c:close() end
    end)
    os.execute("kill " .. pid)
    p:close()
    assert.equal(N, served)
  end)

  it("closes connections that do not log in within the login timeout; logged-in ones stay", function()
    if net_only() then return end
    S.with_sim({ users = 1 }, function(sim)
      assert.equal(60, sim.login_timeout) -- the default
      local keep = assert(S.connect(sim))
      assert.equal("LoginResponse14sp4", keep:login()._type)
      local N, ready, closed = 200, 0, 0
      local tasks = {}
      for i = 1, N do
        tasks[i] = core.spawn(function()
          local conn = assert(core.tcp_connect { host = "127.0.0.1", port = sim.tcp_port, timeout = 30 })
          if i % 2 == 0 then -- half of them ask for a nonce, and never log in
            assert(conn:write(auth_doc("idle-" .. i, "admin")))
            assert(conn:read())
          end
          ready = ready + 1
          local doc = conn:read() -- nothing more comes: the server closes
          conn:close()
          if doc == nil then closed = closed + 1 end
        end)
      end
      while ready < N do core.sleep(0.01) end
      -- read live: from now on, 0.5 s without a login is too long
      sim.login_timeout = 0.5
      for i = 1, N do assert(core.join(tasks[i])) end
      assert.equal(N, closed)
      assert.equal(N, sim.stats.login_timeouts)
      -- the logged-in connection outlived them all and still works
      assert.equal("UserGetResponse23V2", keep:call("UserGetRequest23V2",
        { user_id = "user000001@example.net" })._type)
      keep:close()
    end, 60)
  end)

  it("`ocip sim --login-timeout SECONDS` closes a peer that does not log in", function()
    if net_only() then return end
    local helpers = require "spec.helpers"
    local f = io.open(helpers.host(), "rb")
    if not f then pending("host binary not built") return end
    f:close()
    local p = assert(io.popen("exec sh -c 'echo $$; exec " .. helpers.host()
      .. " sim --tcp 0 --users 1 --for 20 --login-timeout 0.5' 2>/dev/null", "r"))
    local pid = assert(tonumber(p:read("l")))
    local ready = p:read("l") or ""
    local port = assert(tonumber(ready:match("tcp=127%.0%.0%.1:(%d+)")), ready)
    S.run(15, function()
      local conn = assert(core.tcp_connect { host = "127.0.0.1", port = port, timeout = 5 })
      local doc, err = conn:read()
      assert.is_nil(doc)
      assert.equal("closed", err.kind)
      conn:close()
    end)
    os.execute("kill " .. pid)
    local _, how, status = p:close()
    assert.same({ "exit", 0 }, { how, status })
    local _, code, err = helpers.exec(helpers.host() .. " sim --login-timeout x")
    assert.equal(2, code)
    assert.matches("--login-timeout: ", err, 1, true)
  end)
end)
