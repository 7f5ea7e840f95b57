-- Memory of closed connections, through real loopback connections: a connection's
-- buffers (framer, read buffer, TLS) are freed when it closes, not when the garbage
-- collector finalizes its userdata. Each scenario (spec/support/rss_scenarios.lua)
-- runs in a fresh host process, so that the RSS measured is its own and not what
-- other specs left behind; its garbage collector is stopped meanwhile.
local helpers = require "spec.helpers"

-- Runs a scenario; returns its peak RSS (VmHWM) in KiB.
local function scenario(name)
  local q = helpers.shell_quote
  -- AddressSanitizer builds: freed memory would stay resident in the quarantine
  local asan = (os.getenv("ASAN_OPTIONS") or "") .. ":quarantine_size_mb=0"
  local out, code, err = helpers.exec(("cd %s && ASAN_OPTIONS=%s timeout 120 %s spec/support/rss_scenarios.lua %s")
    :format(q(helpers.repo_root()), q(asan), q(helpers.host()), name))
  assert.equal(0, code, err)
  local peak = tonumber(out:match("peak_kib=(%d+)"))
  assert.is_number(peak, out)
  return peak
end

describe("memory of closed connections", function()
  -- 100 MB of RSS for the whole process, interpreter and catalog included. Documents
  -- are limited to 16 MiB in the scenarios: the connection receiving one counts too.
  local LIMIT_KIB = 100 * 1024

  it("20 oversized answers in a row: the client's RSS stays under 100 MB", function()
    local peak = scenario("client")
    assert.is_true(peak < LIMIT_KIB, ("RSS reached %d MiB"):format(peak // 1024))
  end)

  it("a server receiving 20 oversized documents in a row keeps its RSS under 100 MB", function()
    local peak = scenario("server")
    assert.is_true(peak < LIMIT_KIB, ("RSS reached %d MiB"):format(peak // 1024))
  end)
end)
