-- Installing like a Lua tool (make install / uninstall, luarocks make), pack discovery
-- (ocip run NAME, ocip packs), ocip help and the shell completion's candidates.
local helpers = require "spec.helpers"
local q = helpers.shell_quote

local root, build, host = helpers.repo_root(), helpers.build_dir(), helpers.host()

local function sh(cmd) return helpers.exec(cmd .. " </dev/null") end

-- Stock lua5.4 loading our module: a sanitizer build (make sanitize) links ocip.so with
-- libasan, which must then come first in the process: preload it.
local function stock_lua()
  local out = sh("ldd " .. q(build .. "/ocip.so"))
  local asan = out:match("libasan[^\n]-=>%s*(%S+)")
  return (asan and ("LD_PRELOAD=" .. q(asan) .. " ") or "") .. "lua5.4"
end

local function tmpdir()
  local out = sh("mktemp -d")
  return (out:gsub("%s+$", ""))
end

local function write(path, text)
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
end

local function exists(path)
  local f = io.open(path, "r")
  if f then f:close() return true end
  return false
end

-- `make -C root VAR=...` with the suite's build folder (the sanitizer run uses its own)
local function make(args)
  return sh("make -s -C " .. q(root) .. " BUILD=" .. q(build) .. " " .. args)
end

describe("make install", function()
  local dest
  before_each(function() dest = tmpdir() end)
  after_each(function() sh("rm -rf " .. q(dest)) end)

  it("installs the host, the module, the packs, the man page and completions; uninstall removes them", function()
    local _, code, err = make("install DESTDIR=" .. q(dest) .. " PREFIX=/usr")
    assert.equal(0, code, err)
    local files = {
      "/usr/bin/ocip", "/usr/lib/lua/5.4/ocip.so", "/usr/share/man/man1/ocip.1",
      "/usr/share/bash-completion/completions/ocip", "/usr/share/zsh/site-functions/_ocip",
      "/usr/share/ocip/scripts/users_add.lua", "/usr/share/ocip/scripts/users_export.lua",
    }
    for _, f in ipairs(files) do assert.is_true(exists(dest .. f), f) end

    -- the installed host finds its bundled packs beside it (share/ocip/scripts)
    local out, c2 = sh("HOME=" .. q(dest) .. " OCIP_PACK_PATH= " .. q(dest .. "/usr/bin/ocip") .. " packs --paths")
    assert.equal(0, c2)
    assert.matches("users_add%s+bulk add users", out)
    assert.matches(dest:gsub("%p", "%%%0") .. "/usr/share/ocip/scripts/users_add%.lua", out)

    -- stock lua5.4 loads the installed module
    local v, c3, e3 = sh("LUA_CPATH=" .. q(dest .. "/usr/lib/lua/5.4/?.so") ..
      " " .. stock_lua() .. " -e 'local o = require \"ocip\"; print(o._VERSION, type(o.connect))'")
    assert.equal(0, c3, e3)
    assert.matches("^ocip %S+\tfunction\n$", v)

    local _, c4, e4 = make("uninstall DESTDIR=" .. q(dest) .. " PREFIX=/usr")
    assert.equal(0, c4, e4)
    for _, f in ipairs(files) do assert.is_false(exists(dest .. f), f) end
  end)
end)

describe("luarocks make", function()
  it("builds and installs the module into a tree that stock lua5.4 loads it from", function()
    local _, has = sh("command -v luarocks")
    assert.equal(0, has, "luarocks is not installed (it is in .ci/packages)")
    local tree = tmpdir()
    local _, code, err = sh("cd " .. q(root) .. " && BUILD=" .. q(build) ..
      " luarocks --lua-version 5.4 make --tree " .. q(tree) .. " ocip-0.1.0-1.rockspec")
    assert.equal(0, code, err)
    local out, c2, e2 = sh("LUA_CPATH=" .. q(tree .. "/lib/lua/5.4/?.so") ..
      " " .. stock_lua() .. " -e 'print(require(\"ocip\")._VERSION)'")
    sh("rm -rf " .. q(tree))
    assert.equal(0, c2, e2)
    assert.matches("^ocip ", out)
  end)
end)

describe("pack discovery", function()
  local dir
  before_each(function() dir = tmpdir() end)
  after_each(function() sh("rm -rf " .. q(dir)) end)

  local function ocip(env, args)
    return sh("HOME=" .. q(dir .. "/home") .. " XDG_CONFIG_HOME= " .. env .. " " .. q(host) .. " " .. args)
  end

  it("ocip run NAME runs a bundled pack (its --help)", function()
    local out, code = ocip("", "run users_add --help")
    assert.equal(0, code)
    assert.matches("USERS%.csv", out)
  end)

  it("finds packs in OCIP_PACK_PATH folders, then ~/.config/ocip/packs; first match wins", function()
    sh("mkdir -p " .. q(dir .. "/a") .. " " .. q(dir .. "/home/.config/ocip/packs"))
    write(dir .. "/a/hello.lua", "-- hello: says hello from a\nprint('a', ...)\n")
    write(dir .. "/home/.config/ocip/packs/hello.lua", "-- hello: says hello from home\nprint('home', ...)\n")
    write(dir .. "/home/.config/ocip/packs/mine.lua", "-- mine: only at home\nprint('mine', arg[1])\n")
    local env = "OCIP_PACK_PATH=" .. q(dir .. "/nowhere:" .. dir .. "/a")
    local out, code = ocip(env, "run hello x y")
    assert.equal(0, code)
    assert.equal("a\tx\ty\n", out)
    out, code = ocip(env, "run mine z")
    assert.equal(0, code)
    assert.equal("mine\tz\n", out)
    local list = ocip(env, "packs")
    assert.matches("hello%s+says hello from a%s+%[OCIP_PACK_PATH%]", list)
    assert.matches("mine%s+only at home%s+%[user%]", list)
    assert.matches("users_export%s+every user", list)
    assert.is_nil(list:find("from home", 1, true)) -- shadowed: listed only with --paths
    local paths = ocip(env, "packs --paths")
    assert.matches("hello%.lua %(shadowed%)", paths)
  end)

  it("an unknown pack exits 2 naming the folders searched", function()
    local out, code, err = ocip("OCIP_PACK_PATH=" .. q(dir), "run no_such_pack")
    assert.equal("", out)
    assert.equal(2, code)
    assert.matches("no pack named no_such_pack", err)
    assert.matches(dir:gsub("%p", "%%%0"), err)
  end)

  it("a path that does not exist is still reported as a file", function()
    local _, code, err = ocip("", "run ./missing.lua")
    assert.not_equal(0, code)
    assert.matches("cannot open %./missing%.lua", err)
  end)
end)

describe("ocip help", function()
  it("--help lists the subcommands first, then the lua options", function()
    local out, code = sh(q(host) .. " --help")
    assert.equal(0, code)
    local sub, opt = out:find("commands:", 1, true), out:find("-e stat", 1, true)
    assert.truthy(sub and opt and sub < opt)
    for _, c in ipairs { "run", "repl", "send", "describe", "packs", "snapshot", "plan", "apply", "sim", "help" } do
      assert.matches("\n  " .. c .. " ", out)
    end
  end)

  it("help TOPIC prints the topic; subcommands print their usage; unknown topics exit 2", function()
    local out, code = sh(q(host) .. " help exit")
    assert.equal(0, code)
    assert.matches("130", out)
    out, code = sh(q(host) .. " help send")
    assert.equal(0, code)
    assert.matches("usage: ocip send", out)
    local _, c3, err = sh(q(host) .. " help nonsense")
    assert.equal(2, c3)
    assert.matches("topics: .*connect", err)
  end)
end)

describe("shell completion candidates (ocip complete)", function()
  local function complete(words) return (sh(q(host) .. " complete " .. words)) end

  it("completes subcommands, request names, field names, packs and topics", function()
    assert.equal("send\nsnapshot\nsim\n", complete("s"))
    assert.equal("packs\nplan\n", complete("p"))
    assert.equal("apply\n", complete("ap"))
    assert.equal("--exit-code\n", complete("plan g1.lua --ex"))
    assert.equal("--yes\n", complete("apply g1.lua --y"))
    assert.matches("\nUserGetRequest23V2\n", "\n" .. complete("send UserGetRequest23"))
    assert.equal("user_id=\n", complete("send UserGetRequest23V2 user_i"))
    assert.matches("UserAddRequest22V2\n", complete("describe UserAddRequest22"))
    assert.matches("users_add\n", complete("run users_"))
    assert.equal("exit\n", complete("help ex"))
  end)

  it("the bash script offers the same candidates", function()
    local _, has = sh("command -v bash")
    assert.equal(0, has)
    local out, code, err = sh("PATH=" .. q(build) .. ":$PATH bash -c " .. q(
      "source " .. root .. "/docs/completion/ocip.bash; COMP_WORDS=(ocip send UserGetRequest23V2 user_i); " ..
      "COMP_CWORD=3; _ocip; printf '%s\\n' \"${COMPREPLY[@]}\""))
    assert.equal(0, code, err)
    assert.equal("user_id=\n", out)
  end)
end)
