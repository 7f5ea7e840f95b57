-- `luarocks make` builds and installs the ocip module (ocip.so) into stock Lua 5.4, and
-- the `ocip` host into the tree's bin folder. The build is the project's Makefile (it
-- needs Debian's build dependencies: see .ci/packages). `make install` installs more:
-- the bundled packs, the man page and shell completions.
rockspec_format = "3.0"
package = "ocip"
version = "0.1.0-1"
source = { url = "git+file:///dev/null" } -- `luarocks make` builds the checkout it runs in
description = {
  summary = "Lua-scriptable runtime for the BroadWorks OCI-P provisioning protocol",
  detailed = "A libuv-based OCI-P client (TCP, TLS, SOAP) with a generated command catalog, "
    .. "a validator, a streaming decoder, a simulator, an interactive prompt and script packs.",
  license = "Proprietary",
}
dependencies = { "lua >= 5.4, < 5.5" }
build = {
  type = "make",
  build_target = "all",
  build_variables = { LUA_INCDIR = "$(LUA_INCDIR)" },
  install_target = "install-rock",
  install_variables = { LUA_CMOD = "$(LIBDIR)", BINDIR = "$(BINDIR)" },
}
