-- Exactly once against a misbehaving server (issue 9): for every fault a scripted server
-- (spec/support/hostile_oci.lua) can commit, 30 concurrent reads and 5 writes through one
-- session each get exactly one outcome, by their deadline, never another caller's data
-- (the server answers a read with the user id asked for as the name); a write is run at
-- most once, and never when its caller was told sent = false; the client works afterwards.
package.path = "spec/support/?.lua;" .. package.path
local ocip = require "ocip"
local helper = require "client_helper"

local has_net = ocip.core.tcp_listen ~= nil and ocip.core.tcp_connect ~= nil

local TIMEOUT = 2

local function connect(srv, extra)
  local o = { host = "127.0.0.1", port = srv.port, tls = false, username = "admin", password = "pw",
    sessions = 1, batch = 5, timeout = TIMEOUT, log = false }
  for k, v in pairs(extra or {}) do o[k] = v end
  return assert(ocip.connect(o))
end

-- The jobs: reads of r01..r30, writes of w01..w05 (ids starting with "bad" fail on the server).
local function jobs(writes)
  local list = {}
  for i = 1, 30 do
    list[#list + 1] = { read = true, id = ("r%02d"):format(i) }
    if i % 6 == 0 then list[#list + 1] = { read = false, id = (writes or {})[i // 6] or ("w%02d"):format(i // 6) } end
  end
  return list
end

-- Runs the jobs through c; returns the tally after checking every invariant.
local function exercise(c, srv, list)
  local t0 = ocip.now()
  local took = {}
  local results, errors = ocip.gather(list, function(j, i)
    local r, e
    if j.read then
      r, e = c:UserGetRequest23V2 { user_id = j.id }
    else
      r, e = c:UserModifyRequest22 { user_id = j.id, last_name = "L" }
    end
    took[i] = ocip.now() - t0
    return r, e
  end, { limit = 100 })
  local t = { ok = 0, failed = 0, kinds = {}, errors = {} }
  for i, j in ipairs(list) do
    local r, e = results[i], errors[i]
    assert.is_true((r == nil) ~= (e == nil), j.id .. ": exactly one of result and error")
    assert.is_true(took[i] < TIMEOUT + 2, j.id .. " ended after " .. tostring(took[i]) .. " s")
    if r then
      t.ok = t.ok + 1
      if j.read then
        assert.equal("UserGetResponse23V2", r._type, j.id .. " got another type")
        assert.equal(j.id, r.first_name, j.id .. " got another caller's data")
        assert.is_nil(r._echo, "the correlation echo is not handed to callers")
      else
        assert.equal("SuccessResponse", r._type, j.id)
        assert.equal(1, srv.ran[j.id], j.id .. ": a success is a write run once")
      end
    else
      t.failed = t.failed + 1
      t.kinds[e.kind] = (t.kinds[e.kind] or 0) + 1
      t.errors[j.id] = e
      assert.equal("boolean", type(e.sent), j.id .. ": sent is known: " .. tostring(e))
      if not j.read and e.sent == false then
        assert.is_nil(srv.ran[j.id], j.id .. " was told sent = false yet the server ran it")
      end
    end
    if not j.read then assert.is_true((srv.ran[j.id] or 0) <= 1, j.id .. " ran twice") end
  end
  return t
end

-- A read that must succeed with its own data.
local function usable(c, id)
  local r, e = c:UserGetRequest23V2 { user_id = id }
  assert.is_truthy(r, "client not usable afterwards: " .. tostring(e))
  assert.equal(id, r.first_name)
end

-- Runs one case: `setup(srv)` arms the faults; returns the tally.
local function case(setup, extra)
  local t
  helper.run(30, function()
    local srv = ocip.core and require("hostile_oci").start()
    local ok, err = pcall(function()
      setup(srv) -- before the login: login faults apply to it
      local c = connect(srv, extra and extra.opts)
      if extra and extra.first then
        -- one command alone first: its answer must be its own or an error
        local r, e = c:UserGetRequest23V2 { user_id = "first" }
        if r then assert.equal("first", r.first_name, "the first caller got another answer")
        else assert.equal("protocol", e.kind, tostring(e)) end
      end
      t = exercise(c, srv, jobs(extra and extra.writes))
      t.srv = srv
      assert.same({}, srv.script, "every scripted fault was used")
      srv.always = nil
      ocip.sleep(0.3) -- anything late (extra_doc) has arrived
      if extra and extra.probe then extra.probe(c, srv) end
      usable(c, "after1")
      usable(c, "after2")
      c:close()
    end)
    srv.stop()
    if not ok then error(err, 0) end
  end)
  return t
end

describe("hostile server: every command exactly one outcome, never another's data", function()
  if not has_net then
    pending("core.tcp_listen / core.tcp_connect not available in this build")
    return
  end

  it("an answer document sent twice", function()
    local t = case(function(srv) srv.script = { false, "dup_answer" } end)
    assert.is_true(t.failed > 0 and t.kinds.protocol ~= nil, "the duplicate was noticed")
  end)

  it("the login answer sent twice (14sp4 LoginResponse, AuthenticationResponse)", function()
    case(function(srv) srv.script = { "dup_login" } end, { first = true })
    local t = case(function(srv) srv.script = { "dup_login" } end)
    assert.is_true(t.kinds.protocol ~= nil, "the duplicate was noticed")
    case(function(srv) srv.script = { "dup_auth" } end, { first = true })
  end)

  it("a response of another type (GroupGetResponse22V5 for UserGetRequest23V2)", function()
    local t = case(function(srv) srv.script = { "wrong_type" } end)
    assert.is_true(t.kinds.protocol ~= nil)
  end)

  it("answers reversed inside a document", function()
    local t = case(function(srv) srv.script = { "reverse" } end)
    assert.is_true(t.kinds.protocol ~= nil)
  end)

  it("the same with 3 documents in flight (pipeline = 3)", function()
    for _, fault in ipairs { "dup_answer", "reverse", "wrong_type", "wrong_echo" } do
      local t = case(function(srv) srv.script = { false, fault } end, { opts = { pipeline = 3 } })
      assert.is_true(t.failed > 0, fault .. " was noticed")
    end
  end)

  it("wrong echo, missing echo", function()
    local t = case(function(srv) srv.script = { "wrong_echo" } end)
    assert.is_true(t.kinds.protocol ~= nil, "the wrong echo was noticed")
    t = case(function(srv) srv.script = { false, "no_echo" } end)
    assert.is_true(t.kinds.protocol ~= nil, "the missing echo was noticed")
  end)

  it("fewer and more commands than sent", function()
    case(function(srv) srv.script = { "fewer" } end)
    case(function(srv) srv.script = { false, "more" } end)
  end)

  it("another session id", function()
    case(function(srv) srv.script = { "wrong_sid" } end)
  end)

  it("a document nobody asked for, arriving while nothing is in flight", function()
    case(function(srv) srv.script = {} end, { probe = function(c, srv)
      srv.script = { "extra_doc" }
      usable(c, "probe1") -- answered normally; the extra document follows 0.2 s later
      ocip.sleep(0.4)
      -- it waits on the connection and is taken for probe2's answer: refused, not handed over
      local r, e = c:UserGetRequest23V2 { user_id = "probe2" }
      assert.is_nil(r, "the extra document was handed over as probe2's answer")
      assert.equal("protocol", e.kind)
      assert.equal(true, e.sent)
    end })
  end)

  it("every answer split at every byte", function()
    local t = case(function(srv) srv.always = "split" end)
    assert.equal(0, t.failed)
  end)

  it("garbage between documents", function()
    case(function(srv) srv.script = { false, "garbage" } end)
  end)

  it("an answer that never comes (stall)", function()
    local t = case(function(srv) srv.script = { "stall" } end)
    assert.is_true((t.kinds.timeout or 0) > 0)
  end)

  it("DOCTYPE with an entity, invalid UTF-8, deep nesting in an answer", function()
    case(function(srv) srv.script = { "doctype" } end)
    case(function(srv) srv.script = { "bad_utf8" } end)
    case(function(srv) srv.script = { "deep" } end)
  end)
end)

describe("hostile server: document-level ErrorResponse", function()
  if not has_net then
    pending("core.tcp_listen / core.tcp_connect not available in this build")
    return
  end

  it("one ErrorResponse for a whole document: each command sent again alone, once", function()
    local t = case(function(srv) srv.script = { "doc_error" } end)
    assert.equal(0, t.failed)
    assert.equal(5, #t.srv.doc_errors, "the first document (5 commands) was refused as a whole")
  end)

  it("only the faulty command fails, with the server's own code", function()
    local t = case(function(srv) srv.script = { false, "doc_error" } end, { writes = { "bad1" } })
    assert.equal(1, t.failed)
    local e = t.errors.bad1
    assert.equal("server", e.kind)
    assert.equal(4008, tonumber(e.code))
    assert.equal(true, e.sent)
  end)

  it("a server refusing every multi-command document still gets everything done, and says batch = 1", function()
    local log, lines = helper.capture("warn")
    local t = case(function(srv) srv.always = "doc_error" end, { opts = { log = log } })
    assert.equal(0, t.failed)
    assert.matches("batch = 1", table.concat(lines, "\n"), 1, true)
  end)

  it("a server answering one command per document: the error says so and suggests batch = 1", function()
    local t = case(function(srv) srv.script = { "only_first" } end)
    local any
    for _, e in pairs(t.errors) do
      assert.equal("protocol", e.kind)
      assert.matches("batch = 1", e.message, 1, true)
      any = true
    end
    assert.is_true(any)
  end)
end)
