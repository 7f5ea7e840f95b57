-- core.pager and core.term_size (bindings/term.c): the REPL's pager runs beside the
-- loop, gets the whole text on its stdin, and reports how it ended.
local helpers = require "spec.helpers"
local core = require "ocip.core"
local ocip = require "ocip"

local q = helpers.shell_quote

describe("core.pager", function()
  local dir
  before_each(function()
    dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -p " .. q(dir)))
  end)
  after_each(function() os.execute("rm -rf " .. q(dir)) end)

  local function read(path)
    local f = assert(io.open(path, "rb"))
    local s = f:read("a")
    f:close()
    return s
  end

  it("gives the pager the whole text on its stdin, and the loop keeps running", function()
    local text = {}
    for i = 1, 50000 do text[i] = ("line %d of a long result"):format(i) end
    text = table.concat(text, "\n") .. "\n" -- about 1.3 MB: many writes into the pipe
    local ticks = 0
    local ok = helpers.run(function()
      local t = ocip.spawn(function() while true do ticks = ticks + 1; ocip.sleep(0.001) end end)
      -- the pager starts reading only after its own short sleep: meanwhile we tick
      local r = core.pager("sleep 0.2; cat > " .. q(dir .. "/got"), text)
      t:cancel()
      return r
    end)
    assert.is_true(ok)
    assert.are.equal(text, read(dir .. "/got"))
    assert.is_true(ticks > 1, "the loop ran while the pager did")
  end)

  it("returns nil, err with the exit status when the pager fails", function()
    local ok, err = helpers.run(core.pager, "exit 3", "text")
    assert.is_nil(ok)
    assert.are.equal("usage", err.kind)
    assert.are.equal(3, err.status)
    ok, err = helpers.run(core.pager, "no-such-pager-here 2>/dev/null", "text")
    assert.is_nil(ok)
    assert.are.equal(127, err.status)
  end)

  it("runs an array of strings directly, found on PATH", function()
    local ok = helpers.run(core.pager, { "dd", "of=" .. dir .. "/direct", "status=none" }, "one\ntwo\n")
    assert.is_true(ok)
    assert.are.equal("one\ntwo\n", read(dir .. "/direct"))
    local r, err = helpers.run(core.pager, { "no-such-pager-here" }, "text")
    assert.is_nil(r)
    assert.matches("cannot start the pager", err.message)
    assert.has_error(function() core.pager({ 1 }, "x") end)
  end)

  it("is fine with a pager that quits before reading everything", function()
    local ok = helpers.run(core.pager, "head -c 10 > /dev/null", string.rep("x", 4 * 1024 * 1024))
    assert.is_true(ok)
  end)

  it("stops the pager when the waiting task is cancelled", function()
    local r, err, again = helpers.run(function()
      local a, b = ocip.timeout(0.3, core.pager, "exec sleep 30", "text")
      return a, b, core.pager("cat > /dev/null", "next")
    end)
    assert.is_nil(r)
    assert.are.equal("timeout", err.kind)
    assert.is_true(again)
  end)

  it("must be called from a task", function()
    local co = coroutine.wrap(function() return pcall(core.pager, "cat", "x") end)
    local ok, err = co()
    assert.is_false(ok)
    assert.matches("must be called from an ocip task", tostring(err))
  end)
end)

describe("core.term_size", function()
  it("is nil when the descriptor is not a terminal", function()
    local out = helpers.exec(("%s -e 'print(require(\"ocip.core\").term_size(1))' | cat"):format(q(helpers.host())))
    assert.are.equal("\n", out)
  end)
end)
