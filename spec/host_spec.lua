-- The host binary `ocip` (bindings/main.c), run as a subprocess.
local helpers = require "spec.helpers"
local q = helpers.shell_quote

local host = helpers.host()

local function ocip(args, stdin)
  local cmd = "timeout 20 " .. q(host) .. " " .. args
  if stdin then cmd = "printf %s " .. q(stdin) .. " | " .. cmd else cmd = cmd .. " </dev/null" end
  return helpers.exec(cmd)
end

local function script(src)
  local path = os.tmpname()
  local f = assert(io.open(path, "w"))
  f:write(src)
  f:close()
  return path
end

describe("ocip host", function()
  it("starts with -e '' and prints nothing", function()
    local out, code, err = ocip("-e ''")
    assert.equal("", out)
    assert.equal("", err)
    assert.equal(0, code)
  end)

  it("runs -e code", function()
    local out, code = ocip([[-e 'print(1 + 1)' -e 'print(_VERSION)']])
    assert.equal("2\nLua 5.4\n", out)
    assert.equal(0, code)
  end)

  it("passes script arguments in arg and ...", function()
    local path = script([[print(select("#", ...), ...) print(arg[0] == ..., arg[1], arg[2], arg[-1] ~= nil)]])
    local out, code = ocip(q(path) .. " one 'two words'")
    os.remove(path)
    assert.equal(0, code)
    assert.equal("2\tone\ttwo words\nfalse\tone\ttwo words\ttrue\n", out)
  end)

  it("passes many script arguments (more than a coroutine's initial stack)", function()
    local path = script([[print(select("#", ...), (select(300, ...)), #arg)]])
    local words = {}
    for i = 1, 300 do words[i] = tostring(i) end
    local out, code, err = ocip(q(path) .. " " .. table.concat(words, " "))
    os.remove(path)
    assert.equal(0, code, err)
    assert.equal("300\t300\t300\n", out)
    out, code, err = ocip([[-e 'ocip = require "ocip" local t = ocip.spawn(function(...) return select("#", ...) end, table.unpack({}, 1, 250)) print(select(2, t:join()))']])
    assert.equal(0, code, err)
    assert.equal("250\n", out)
  end)

  it("`ocip run FILE args` is `ocip FILE args`", function()
    local path = script([[print(arg[0], ...)]])
    local out, code = ocip("run " .. q(path) .. " a b")
    os.remove(path)
    assert.equal(0, code)
    assert.equal(path .. "\ta\tb\n", out)
  end)

  it("reads the script from stdin with -", function()
    local out, code = ocip("- x", "print('stdin', ...)")
    assert.equal(0, code)
    assert.equal("stdin\tx\n", out)
  end)

  it("loads a module with -l, also as name=mod", function()
    local out, code = ocip([[-l s=string -l table -e 'print(s.rep("a", 3), type(table))']])
    assert.equal(0, code)
    assert.equal("aaa\ttable\n", out)
  end)

  it("exits 1 with the message and a traceback on error", function()
    local out, code, err = ocip([[-e 'error("boom")']])
    assert.equal("", out)
    assert.equal(1, code)
    assert.matches("^ocip: %(command line%):1: boom\nstack traceback:", err)
  end)

  it("honours os.exit", function()
    local _, code = ocip([[-e 'os.exit(3)']])
    assert.equal(3, code)
    _, code = ocip([[-e 'os.exit(true, true)']])
    assert.equal(0, code)
  end)

  it("prints the version and the catalog release", function()
    local out, code = ocip("--version")
    assert.equal(0, code)
    assert.matches("^ocip %d+%.%d+%.%d+ %(catalog [^)]+%)\n$", out)
    local out2 = ocip("-v")
    assert.equal(out, out2)
  end)

  it("runs the main chunk as a task and waits for spawned tasks", function()
    local out, code = ocip([[-e 'local o = require "ocip"; o.spawn(function() o.sleep(0.02) print("late") end); o.sleep(0.001); print("main")']])
    assert.equal(0, code)
    assert.equal("main\nlate\n", out)
  end)

  it("exits 1 when a spawned task fails, and says so", function()
    local out, code, err = ocip([[-e 'local o = require "ocip"; o.spawn(function() error("in task") end); print("main ok")']])
    assert.equal("main ok\n", out)
    assert.equal(1, code)
    assert.matches("ocip: task error: %(command line%):1: in task\nstack traceback:", err)
  end)

  it("answers an interactive session with -i", function()
    local out, code = ocip("-i", "x = 20\n1 + 1\nreturn x * 2\nfor i = 1, 2 do\nprint(i)\nend\n")
    assert.equal(0, code)
    assert.matches("2\n", out, 1, true)
    assert.matches("40\n", out, 1, true)
    assert.matches("1\n2\n", out, 1, true)
  end)

  it("rejects an unknown option", function()
    local _, code, err = ocip("-z")
    assert.equal(1, code)
    assert.matches("unrecognized option '%-z'", err)
  end)

  it("-h and --help print the usage on stdout and exit 0", function()
    for _, flag in ipairs { "-h", "--help" } do
      local out, code, err = ocip(flag)
      assert.equal(0, code, err)
      assert.equal("", err)
      assert.matches("^usage: ocip COMMAND %[args%]", out) -- subcommands first (issue 11)
      assert.matches("\n       ocip %[options%] %[script%.lua %[args%]%]", out)
      assert.matches("run FILE|PACK", out)
      assert.is_nil(out:find("unrecognized", 1, true))
    end
  end)

  it("says so for an unknown subcommand", function()
    local out, code, err = ocip("frobnicate now")
    assert.equal("", out)
    assert.equal(2, code)
    assert.matches("ocip: unknown command 'frobnicate'", err, 1, true)
  end)

  it("does not load the ocip module at startup", function()
    local out, code = ocip([[-e 'print(package.loaded.ocip == nil, package.loaded["ocip.core"] == nil)']])
    assert.equal(0, code)
    assert.equal("true\ttrue\n", out)
  end)

  it("lets scripts require ocip submodules first", function()
    local out, code = ocip([[-e 'print(type(require("ocip.async").gather))']])
    assert.equal(0, code)
    assert.equal("function\n", out)
  end)
end)
