-- Shared helpers for the busted specs (require "spec.helpers" from the repo root).
-- Specs run under the host (`busted --lua=build/ocip`) or stock Lua with ocip.so on
-- LUA_CPATH; both work with helpers.run.
local helpers = {}

--- helpers.repo_root() -> absolute path of the repository (the directory holding spec/)
function helpers.repo_root()
  local src = debug.getinfo(1, "S").source
  local dir = src:match("^@(.*)/spec/helpers%.lua$") or "."
  local cwd = os.getenv("PWD") or "."
  if dir == "." then return cwd end
  if dir:sub(1, 1) ~= "/" then dir = cwd .. "/" .. dir:gsub("^%./", "") end
  return dir
end

--- helpers.build_dir() -> the build directory (env OCIP_BUILD, default "build"), absolute
function helpers.build_dir()
  local b = os.getenv("OCIP_BUILD") or "build"
  if b:sub(1, 1) ~= "/" then b = helpers.repo_root() .. "/" .. b end
  return b
end

--- helpers.host() -> path of the built host binary
function helpers.host()
  --- helpers.temp_file(text) -> path of a new temporary file holding text (bytes as given)
function helpers.temp_file(text)
  local path = os.tmpname()
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
  return path
end

--- helpers.read_file(path) -> the file's bytes, or nil when it cannot be opened
function helpers.read_file(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local text = f:read("a")
  f:close()
  return text
end

return helpers.build_dir() .. "/ocip"
end

--- helpers.schema_dir() -> OCIP_SCHEMA_DIR or the shared R25 schemas
function helpers.schema_dir()
  return os.getenv("OCIP_SCHEMA_DIR") or (helpers.repo_root() .. "/../shared/schemas/ocip-r25")
end

--- helpers.run(fn, ...) -> fn's results, run inside ocip.run (a task). Errors propagate.
function helpers.run(fn, ...)
  return require("ocip").run(fn, ...)
end

--- helpers.shell_quote(s) -> s quoted for /bin/sh
function helpers.shell_quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

--- helpers.exec(cmd) -> stdout, exit code, stderr (cmd is a shell command line)
function helpers.exec(cmd)
  local errfile = os.tmpname()
  local p = assert(io.popen(cmd .. " 2>" .. helpers.shell_quote(errfile), "r"))
  local out = p:read("a")
  local _, _, code = p:close()
  local f = io.open(errfile, "rb")
  local err = f and f:read("a") or ""
  if f then f:close() end
  os.remove(errfile)
  return out, code, err
end

--- helpers.temp_file(text) -> path of a new temporary file holding text (bytes as given)
function helpers.temp_file(text)
  local path = os.tmpname()
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
  return path
end

--- helpers.read_file(path) -> the file's bytes, or nil when it cannot be opened
function helpers.read_file(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local text = f:read("a")
  f:close()
  return text
end

return helpers
