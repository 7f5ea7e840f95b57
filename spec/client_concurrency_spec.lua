-- 20,000 UserGetRequest23V2 through ocip.gather (limit 500) over 4 sessions: every
-- answer must belong to the user asked for (first name and e-mail match the
-- simulator's state), none lost, none wrong.
package.path = "spec/support/?.lua;" .. package.path
local ocip = require "ocip"
local helper = require "client_helper"

local has_sim = pcall(require, "ocip.sim") and ocip.core.tcp_connect ~= nil

describe("client concurrency", function()
  if not has_sim then
    pending("ocip.sim / core.tcp_connect not available in this build")
    return
  end

  it("20,000 gets, limit 500, 4 sessions: 0 wrong, 0 lost", function()
    local N, USERS = 20000, 2000
    local wrong, lost, ok_count, docs = 0, 0, 0, 0
    local first_error
    helper.run(240, function()
      local sim = require("ocip.sim").start { users = USERS, seed = 7 }
      local c = assert(ocip.connect { host = "127.0.0.1", port = sim.tcp_port, tls = false,
        username = sim.admin, password = sim.password, sessions = 4, batch = 15, timeout = 60, log = false })
      local ids = {}
      for i = 1, N do ids[i] = ("user%06d@example.net"):format((i * 7919) % USERS + 1) end
      local before = sim.stats.documents
      local results, errors = ocip.gather(ids, function(id)
        return c:UserGetRequest23V2 { user_id = id }
      end, { limit = 500 })
      docs = sim.stats.documents - before
      for i = 1, N do
        local r, e = results[i], errors[i]
        if r == nil then
          lost = lost + 1
          first_error = first_error or e
        else
          local u = sim.state:user(ids[i])
          if r.first_name == u.first_name and r.email_address == u.email_address
            and r.last_name == u.last_name then
            ok_count = ok_count + 1
          else
            wrong = wrong + 1
          end
        end
      end
      c:close()
      sim.stop()
    end)
    print(("\n  concurrency: %d ok, %d wrong, %d lost, %d documents (%.1f commands/document)")
      :format(ok_count, wrong, lost, docs, N / math.max(docs, 1)))
    assert.equal(0, wrong)
    assert.equal(0, lost, tostring(first_error))
    assert.equal(N, ok_count)
    assert.is_true(docs < N / 5, "commands should travel batched")
  end)
end)
