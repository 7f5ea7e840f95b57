-- The soak (make soak, spec/soak/soak.lua) in small: 20,000 commands through 8 sessions
-- with every fault kind on, so the soak program itself cannot rot between soak runs. The
-- exactly-once checks are the soak's own (every command one outcome, 0 misdelivered,
-- 0 writes run that were reported sent = false, none run twice); the RSS bound is loose
-- here (a short run has not reached a steady state).
local helpers = require "spec.helpers"
local q = helpers.shell_quote

describe("make soak, in small", function()
  it("20,000 mixed commands under every fault kind: exactly once", function()
    -- under AddressSanitizer (make sanitize) freed memory waits in a quarantine, which
    -- would count as growth: no quarantine here, as in spec/net_memory_spec.lua
    local asan = (os.getenv("ASAN_OPTIONS") or "") .. ":quarantine_size_mb=0"
    local out, code, err = helpers.exec("ASAN_OPTIONS=" .. q(asan) .. " timeout 300 " .. q(helpers.host()) .. " " ..
      q(helpers.repo_root() .. "/spec/soak/soak.lua") .. " --commands 20000 --seconds 240 --rss_growth 1 </dev/null")
    assert.equal(0, code, out .. err)
    for _, line in ipairs {
      "ok   outcomes = commands: 20000 = 20000", "ok   misdelivered: 0",
      "ok   writes run that were reported sent = false: 0", "ok   writes run more than once: 0",
    } do
      assert.truthy(out:find(line, 1, true), line .. "\n" .. out)
    end
  end)
end)
