-- core.signal_watch: argument checks and cleanup. The leak checks bite under
-- `make sanitize` (LeakSanitizer fails the host at exit on a lost allocation).
local core = require("ocip").core

describe("core.signal_watch", function()
  it("refuses an unsupported signal name, and frees what it set up", function()
    local ok, err = pcall(core.signal_watch, { "SIGFOO" })
    assert.is_false(ok)
    assert.matches("unsupported signal SIGFOO", tostring(err))
    ok, err = pcall(core.signal_watch, { "SIGUSR1", "SIGBAR" })
    assert.is_false(ok)
    assert.matches("unsupported signal SIGBAR", tostring(err))
    ok, err = pcall(core.signal_watch, { 42 })
    assert.is_false(ok)
    assert.matches("unsupported signal 42", tostring(err))
  end)

  it("an empty watch list closes cleanly, also when only collected", function()
    local w = core.signal_watch {}
    w:close()
    w:close()
    core.signal_watch {}
    collectgarbage()
    collectgarbage()
  end)

  it("ignore(): the signals no longer kill the process, and the watcher is closed", function()
    local w = core.signal_watch { "SIGUSR1" }
    assert.is_true(w:ignore())
    local pid = assert(tonumber(io.open("/proc/self/stat"):read("l"):match("^%d+")))
    assert.is_true(os.execute("kill -USR1 " .. pid)) -- default action: death
    local ok, err = w:ignore()
    assert.is_nil(ok)
    assert.equal("closed", err.kind)
    w:close()
  end)
end)
