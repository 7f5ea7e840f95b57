-- The simulator's hostile-server faults, seen on the wire by a raw client
-- (spec.support.sim_raw): dup_answer_p, dup_login_p, wrong_type_p, reorder_p,
-- doc_error_p, extra_doc_p, many_attrs_p; and the accounting of what it ran
-- (stats.ran, stats.writes_run, on_run, run_log) that exactly-once checks need.
local ocip = require "ocip"
local core = ocip.core
local S = require "spec.support.sim_raw"

local err_code = S.err_code

local function net_only()
  if not S.have_net then pending("network layer (core.tcp_listen) not built yet") return true end
end

local U1, U2, U3 = "user000001@example.net", "user000002@example.net", "user000003@example.net"

-- The encoded request document of `reqs` ({name, fields} pairs), echo "eN" on the Nth.
local function doc(c, reqs)
  local list = {}
  for i, r in ipairs(reqs) do
    local fields = { _echo = "e" .. i }
    for k, v in pairs(r[2] or {}) do fields[k] = v end
    list[i] = assert(ocip.catalog.build(r[1], fields))
  end
  return assert(ocip.xml.encode(list, c.sid))
end

-- Writes a document and reads the next one; returns the decoded responses and the text.
local function exchange(c, reqs)
  local out = assert(c:send_raw(doc(c, reqs)))
  S.check_xsd(out)
  return assert(core.decode(out)).responses, out
end

-- The next document on the wire (nothing sent), decoded, and its text.
local function next_doc(c)
  local out = assert(c.conn:read())
  S.check_xsd(out)
  return assert(core.decode(out)).responses, out
end

local function get(u) return { "UserGetRequest23V2", { user_id = u } } end
local function modify(u, last) return { "UserModifyRequest22", { user_id = u, last_name = last } } end

-- A generous limit: the first simulator of a file pays for the catalog and XSD
-- loading, slow under valgrind on a loaded machine.
local function with_sim(opts, fn) S.with_sim(opts, fn, 90) end

local function logged_in(sim, opts)
  local c = assert(S.connect(sim, opts))
  assert.equal("LoginResponse14sp4", c:login()._type)
  return c
end

describe("ocip sim hostile faults", function()
  it("parses the new keys from --faults and tables; many_attrs_n is a count", function()
    local f = require "ocip.sim.faults"
    local spec = "dup_answer_p=0.1,dup_login_p=0.2,wrong_type_p=0.3,reorder_p=0.4,"
      .. "doc_error_p=0.5,extra_doc_p=0.6,many_attrs_p=0.7,many_attrs_n=1000"
    local want = { dup_answer_p = 0.1, dup_login_p = 0.2, wrong_type_p = 0.3, reorder_p = 0.4,
      doc_error_p = 0.5, extra_doc_p = 0.6, many_attrs_p = 0.7, many_attrs_n = 1000 }
    assert.same(want, f.parse(spec))
    assert.same(want, f.parse(want))
    assert.has_error(function() f.parse("reorder_p=1.5") end)
    assert.has_error(function() f.parse("many_attrs_n=2.5") end)
  end)

  it("dup_answer_p: the answer document comes twice; the command ran once", function()
    if net_only() then return end
    with_sim({ users = 2 }, function(sim)
      local c = logged_in(sim)
      sim.faults.dup_answer_p = 1
      local before = sim.stats.ran.UserModifyRequest22 or 0
      local r, text = exchange(c, { modify(U1, "Twice") })
      assert.equal("SuccessResponse", r[1]._type)
      local r2, text2 = next_doc(c)
      assert.equal(text, text2)
      assert.equal("e1", r2[1]._echo)
      assert.equal(before + 1, sim.stats.ran.UserModifyRequest22)
      assert.equal(1, sim.stats.dup_answers)
      c:close()
    end)
  end)

  it("dup_login_p: only a login answer comes twice", function()
    if net_only() then return end
    with_sim({ users = 2, faults = "dup_login_p=1" }, function(sim)
      local c = assert(S.connect(sim))
      local a = exchange(c, { { "AuthenticationRequest", { user_id = sim.admin } } })[1]
      assert.equal("AuthenticationResponse", a._type)
      local login = { "LoginRequest14sp4", { user_id = sim.admin,
        signed_password = core.signed_password(a.nonce, sim.password) } }
      local l, text = exchange(c, { login })
      assert.equal("LoginResponse14sp4", l[1]._type)
      local l2, text2 = next_doc(c)
      assert.equal(text, text2)
      assert.equal("LoginResponse14sp4", l2[1]._type)
      -- a Get is answered once: the next document after its answer is the next answer
      assert.equal(U1, exchange(c, { get(U1) })[1].user_id)
      local r = exchange(c, { get(U2) })
      assert.equal("UserGetResponse23V2", r[1]._type)
      assert.equal("e1", r[1]._echo)
      assert.equal(1, sim.stats.dup_logins)
      assert.equal(0, sim.stats.dup_answers)
      c:close()
    end)
  end)

  it("wrong_type_p: a response of another type; the command still ran", function()
    if net_only() then return end
    with_sim({ users = 2 }, function(sim)
      local c = logged_in(sim)
      sim.faults.wrong_type_p = 1
      local r = exchange(c, { get(U1), { "GroupGetRequest22V5", { service_provider_id = "sp1",
        group_id = "g1" } }, modify(U2, "Wrongly") })
      assert.equal("GroupGetResponse22V5", r[1]._type)
      assert.equal("UserGetResponse23V2", r[2]._type)
      assert.equal("GroupGetResponse22V5", r[3]._type)
      assert.same({ "e1", "e2", "e3" }, { r[1]._echo, r[2]._echo, r[3]._echo })
      assert.equal(3, sim.stats.wrong_types)
      sim.faults.wrong_type_p = nil
      assert.equal("Wrongly", exchange(c, { get(U2) })[1].last_name) -- the modify ran
      c:close()
    end)
  end)

  it("reorder_p: the answers of a document come in reverse order", function()
    if net_only() then return end
    with_sim({ users = 3 }, function(sim)
      local c = logged_in(sim)
      sim.faults.reorder_p = 1
      local r = exchange(c, { get(U1), get(U2), get(U3) })
      assert.same({ U3, U2, U1 }, { r[1].user_id, r[2].user_id, r[3].user_id })
      assert.same({ "e3", "e2", "e1" }, { r[1]._echo, r[2]._echo, r[3]._echo })
      assert.equal(U1, exchange(c, { get(U1) })[1].user_id) -- one command: nothing to reorder
      assert.equal(1, sim.stats.reordered)
      c:close()
    end)
  end)

  it("doc_error_p: one ErrorResponse for the whole document, and none of it ran", function()
    if net_only() then return end
    with_sim({ users = 3 }, function(sim)
      local c = logged_in(sim)
      local ran, writes = sim.stats.commands, sim.stats.writes_run
      local users = sim.state:count_users()
      sim.faults.doc_error_p = 1
      local add = { "UserAddRequest22", { service_provider_id = "sp1", group_id = "g1",
        user_id = "new@example.net", last_name = "N", first_name = "N",
        calling_line_id_last_name = "N", calling_line_id_first_name = "N" } }
      local r = exchange(c, { modify(U1, "Never"), add, get(U2), modify(U3, "Never") })
      assert.equal(1, #r)
      assert.equal(4098, err_code(r[1]))
      assert.equal("", r[1]._echo) -- a refused document's answer echoes nothing (as real servers)
      assert.same({ ran, writes, users }, { sim.stats.commands, sim.stats.writes_run,
        sim.state:count_users() })
      assert.equal(1, sim.stats.doc_errors)
      sim.faults.doc_error_p = nil
      local g = exchange(c, { get(U1), get(U3) })
      assert.is_true(g[1].last_name ~= "Never" and g[2].last_name ~= "Never")
      c:close()
    end)
  end)

  it("extra_doc_p: an unsolicited document follows the answer while nothing is asked", function()
    if net_only() then return end
    with_sim({ users = 2 }, function(sim)
      local c = logged_in(sim)
      sim.faults.extra_doc_p = 1
      local r = exchange(c, { get(U1) })
      assert.equal("UserGetResponse23V2", r[1]._type)
      local extra = next_doc(c) -- nothing was sent
      assert.equal("SuccessResponse", extra[1]._type)
      assert.equal(1, sim.stats.extra_docs)
      c:close()
    end)
  end)

  it("many_attrs_p: the answer's first command element has many_attrs_n attributes", function()
    if net_only() then return end
    with_sim({ users = 2 }, function(sim)
      -- read in raw mode: a client's framer refuses > 64 attributes (as it should)
      local c = logged_in(sim, { mode = "raw" })
      sim.faults.many_attrs_p = 1
      local out = assert(c:send_raw(doc(c, { get(U1) }))) -- default: 300,000 attributes
      assert.is_true(#out > 3 * 1000 * 1000, #out)
      local tag = out:match("<command[^>]*>")
      local _, n = tag:gsub('="', "")
      assert.is_true(n >= 300000 and n <= 300003, n) -- plus echo, xsi:type (, xmlns)
      sim.faults.many_attrs_n = 50 -- small enough to decode: otherwise the right answer
      local text = assert(c:send_raw(doc(c, { get(U2) })))
      local _, m = text:match("<command[^>]*>"):gsub('="', "")
      assert.is_true(m >= 50 and m <= 53, m)
      assert.equal(U2, assert(core.decode(text)).responses[1].user_id)
      assert.equal(2, sim.stats.many_attrs)
      c:close()
    end)
  end)

  it("decisions repeat with the seed", function()
    if net_only() then return end
    local function run(seed)
      local pattern = {}
      with_sim({ users = 2, seed = seed }, function(sim)
        local c = logged_in(sim)
        sim.faults.reorder_p = 0.5
        for i = 1, 30 do
          pattern[i] = exchange(c, { get(U1), get(U2) })[1].user_id == U2 and 1 or 0
        end
        c:close()
      end)
      return table.concat(pattern)
    end
    local a = run(5)
    assert.equal(a, run(5))
    assert.matches("1", a)
    assert.matches("0", a)
  end)
end)

describe("ocip sim accounting of what ran", function()
  it("counts commands run per name and writes run; faults that run nothing are not counted", function()
    if net_only() then return end
    with_sim({ users = 2 }, function(sim)
      local seen = {}
      sim.on_run = function(name, cmd) seen[#seen + 1] = name .. " " .. tostring(cmd.last_name) end
      local c = logged_in(sim)
      exchange(c, { get(U1), modify(U1, "A"), modify(U2, "B") })
      sim.faults.error_p = 1
      exchange(c, { modify(U1, "not run") })
      sim.faults.error_p = nil
      sim.faults.stall_p = 1
      assert(c.conn:write(doc(c, { modify(U1, "stalled") })))
      while sim.stats.stalled == 0 do core.sleep(0.01) end
      sim.faults.stall_p = nil
      exchange(c, { modify(U2, "C") }) -- read after the stalled document was processed
      assert.equal(1, sim.stats.ran.UserGetRequest23V2)
      assert.equal(3, sim.stats.ran.UserModifyRequest22)
      assert.equal(3, sim.stats.writes_run)
      assert.same({ "UserGetRequest23V2 nil", "UserModifyRequest22 A", "UserModifyRequest22 B",
        "UserModifyRequest22 C" }, seen)
      c:close()
    end)
  end)

  it("run_log: one line per write that ran (name, then its simple fields, sorted)", function()
    if net_only() then return end
    local path = os.tmpname()
    with_sim({ users = 2, run_log = path }, function(sim)
      local c = logged_in(sim)
      exchange(c, { get(U1), modify(U1, "Tab\there") })
      sim.faults.doc_error_p = 1
      exchange(c, { modify(U2, "never") })
      sim.faults.doc_error_p = nil
      c:close()
    end)
    local f = assert(io.open(path, "rb"))
    local text = f:read("a")
    f:close()
    os.remove(path)
    assert.equal("UserModifyRequest22\tlast_name=Tab\\there\tuser_id=" .. U1 .. "\n", text)
  end)

  it("`ocip sim --run-log FILE --faults ...`: the log, and a stats line on stderr at stop", function()
    if net_only() then return end
    local helpers = require "spec.helpers"
    local hf = io.open(helpers.host(), "rb")
    if not hf then pending("host binary not built") return end
    hf:close()
    local q = helpers.shell_quote
    local log, errfile = os.tmpname(), os.tmpname()
    local p = assert(io.popen("exec sh -c " .. q("echo $$; exec " .. q(helpers.host())
      .. " sim --tcp 0 --users 2 --for 20 --faults reorder_p=1,many_attrs_n=10 --run-log "
      .. q(log)) .. " 2>" .. q(errfile), "r"))
    local pid = assert(tonumber(p:read("l")))
    local port = assert(tonumber((p:read("l") or ""):match("tcp=127%.0%.0%.1:(%d+)")))
    S.run(60, function()
      local c = assert(S.connect({ tcp_port = port, admin = "admin",
        password = os.getenv("OCIP_SIM_PASSWORD") or "admin-password" }))
      c:login()
      exchange(c, { modify(U1, "Logged"), get(U2) })
      c:close()
    end)
    os.execute("kill " .. pid)
    local _, how, code = p:close()
    assert.same({ "exit", 0 }, { how, code })
    local f = assert(io.open(log, "rb"))
    assert.equal("UserModifyRequest22\tlast_name=Logged\tuser_id=" .. U1 .. "\n", f:read("a"))
    f:close()
    f = assert(io.open(errfile, "rb"))
    local err = f:read("a")
    f:close()
    os.remove(log)
    os.remove(errfile)
    assert.matches("ocip sim: stats [^\n]*commands=2 ", err)
    assert.matches("ocip sim: stats [^\n]*reordered=1 ", err)
    assert.matches("ocip sim: stats [^\n]*writes_run=1", err)
  end)
end)
