-- ocip.profile: connection settings for the CLI and the script packs.
-- Sources, later ones win: profile file < OCIP_* environment < command-line flags.
--   profile file: --profile / OCIP_PROFILE, else ~/.config/ocip/profile.lua (optional;
--     $XDG_CONFIG_HOME/ocip/ when set). --profile NAME reads ~/.config/ocip/profiles/NAME.lua
--     (a NAME holds no "/" and does not end in ".lua"; a path, or a file NAME in the
--     current folder when no such profile exists, still works). A Lua chunk run in an
--     empty environment; it returns a table or assigns globals:
--       host = "bw.example.net"; port = 2209; username = "admin"; password = "..."
--   environment: OCIP_HOST, OCIP_PORT, OCIP_USERNAME, OCIP_PASSWORD, OCIP_TRANSPORT,
--     OCIP_TLS, OCIP_CA_FILE, OCIP_INSECURE (also OCIP_URL, OCIP_TIMEOUT, OCIP_SESSIONS, OCIP_RATE)
--   flags: --host H --port N --username U (-u U) --transport tcp|soap --url URL --tls
--     --no-tls --ca-file F --insecure --timeout S --sessions N --rate N --profile FILE
-- A password is never taken from the command line: --password is refused.
--
--   profile.take_flags(args) -> flags, rest | nil, err   (consumes connection flags)
--   profile.settings(flags, getenv) -> options for ocip.connect, or nil, err
--     flags.profile: a name or path as above, or true (the default profile); every other
--     key of flags is kept (ocip.connect{ profile = "prod", timeout = 5 } goes through it)
--   profile.target(settings) -> "tcp 127.0.0.1:2208 as admin" (never the password)
--   profile.cli_log() -> log for ocip.connect in CLI tools (the login error left to the tool)
local Error = require "ocip.error"

local M = {}

local function usage(msg) return nil, Error.new("usage", msg) end

local function boolean(v, name)
  if type(v) == "boolean" or v == nil then return v end
  local s = tostring(v):lower()
  if s == "1" or s == "true" or s == "yes" or s == "on" then return true end
  if s == "0" or s == "false" or s == "no" or s == "off" or s == "" then return false end
  error(Error.new("usage", name .. ": expected true/false, got " .. tostring(v)), 0)
end

local function number(v, name, integer)
  if v == nil or type(v) == "number" then return v end
  local n = tonumber(v)
  if integer then n = n and math.tointeger(n) end
  if not n then error(Error.new("usage", name .. ": expected a number, got " .. tostring(v)), 0) end
  return n
end

-- A flag's number must be positive (and at most max): `--rate -5` is a usage error here,
-- like any other bad flag, not a failure at connect time.
local function positive(v, name, integer, max)
  local n = number(v, name, integer)
  if n <= 0 or n ~= n or (max and n > max) then
    error(Error.new("usage", ("%s: expected a positive %s%s, got %s"):format(name,
      integer and "integer" or "number", max and (" up to " .. max) or "", tostring(v))), 0)
  end
  return n
end

-- flag -> { key, kind[, max] } ; kind "s" string, "i" positive integer, "n" positive
-- number, true/false switch
local FLAGS = {
  ["--host"] = { "host", "s" }, ["--port"] = { "port", "i", 65535 },
  ["--username"] = { "username", "s" }, ["--user"] = { "username", "s" }, ["-u"] = { "username", "s" },
  ["--transport"] = { "transport", "s" }, ["--url"] = { "url", "s" },
  ["--tls"] = { "tls", true }, ["--no-tls"] = { "tls", false },
  ["--ca-file"] = { "ca_file", "s" }, ["--insecure"] = { "insecure", true },
  ["--timeout"] = { "timeout", "n" }, ["--sessions"] = { "sessions", "i" },
  ["--rate"] = { "rate", "n" }, ["--profile"] = { "profile", "s" },
}
M.FLAGS = FLAGS

M.HELP = [[
connection: --host H --port N --username U --transport tcp|soap --url URL
            --tls | --no-tls --ca-file F --insecure --timeout S --sessions N --rate N
            --profile NAME|FILE  (NAME: ~/.config/ocip/profiles/NAME.lua)
            or OCIP_HOST, OCIP_PORT, OCIP_USERNAME, OCIP_TRANSPORT, OCIP_TLS,
            OCIP_CA_FILE, OCIP_INSECURE, OCIP_PROFILE; the password comes only from
            OCIP_PASSWORD or the profile file]]

--- take_flags(args) -> flags, rest: connection flags out of args; other words kept in order.
function M.take_flags(args)
  local flags, rest = {}, {}
  local i = 1
  while i <= #args do
    local a = args[i]
    local name, inline = a:match("^(%-%-[%w-]+)=(.*)$")
    name = name or a
    if name == "--password" or name == "-p" or name:match("^%-%-pass") then
      return usage("passwords are not accepted on the command line: set OCIP_PASSWORD or use a profile file")
    end
    local spec = FLAGS[name]
    if spec and type(spec[2]) == "boolean" then
      flags[spec[1]] = spec[2]
    elseif spec then
      local v = inline
      if v == nil then
        i = i + 1
        v = args[i]
        if v == nil then return usage(name .. " needs a value") end
      end
      local ok, r = pcall(function()
        if spec[2] == "i" then return positive(v, name, true, spec[3]) end
        if spec[2] == "n" then return positive(v, name, false, spec[3]) end
        return v
      end)
      if not ok then return nil, r end
      flags[spec[1]] = r
    else
      rest[#rest + 1] = a
    end
    i = i + 1
  end
  return flags, rest
end

-- <config>/ocip/ : $XDG_CONFIG_HOME/ocip/ or ~/.config/ocip/ (nil without either)
local function config_dir(getenv)
  local xdg = getenv("XDG_CONFIG_HOME")
  local home = getenv("HOME")
  if xdg and xdg ~= "" then return xdg .. "/ocip/" end
  if home and home ~= "" then return home .. "/.config/ocip/" end
end

local function exists(path)
  local f = io.open(path, "r")
  if f then f:close() end
  return f ~= nil
end

--- locate(value, getenv) -> path, required | nil, err: where a --profile value points.
-- true (or nil) -> the default profile (optional); a NAME -> <config>/profiles/NAME.lua;
-- anything with a "/" or ending in ".lua" -> that file.
function M.locate(value, getenv)
  getenv = getenv or os.getenv
  local dir = config_dir(getenv)
  if value == true or value == nil or value == "" then
    return dir and (dir .. "profile.lua"), false
  end
  if type(value) ~= "string" then return usage("profile: expected a name, a path or true, got " .. type(value)) end
  if value:find("/", 1, true) or value:match("%.lua$") then return value, true end
  local named = dir and (dir .. "profiles/" .. value .. ".lua")
  if named and exists(named) then return named, true end
  if exists(value) then return value, true end
  return usage(("profile %s not found: no %s (nor a file %s here)"):format(value,
    named or "~/.config/ocip/profiles/" .. value .. ".lua", value))
end

--- load_file(path, required) -> table or nil, err
function M.load_file(path, required)
  local f = io.open(path, "r")
  if not f then
    if required then return usage("profile file not found: " .. path) end
    return {}
  end
  local text = f:read("a")
  f:close()
  local env = {}
  local chunk, err = load(text, "@" .. path, "t", env)
  -- Lua's messages quote the source near the error ("unfinished string near
  -- '"s3cr3t..."), which may be the password: keep only where it is.
  local function where(msg)
    local line = type(msg) == "string" and msg:match(":(%d+):")
    return line and (" line " .. line) or ""
  end
  if not chunk then return usage("profile " .. path .. ": syntax error on" .. where(err)) end
  local ok, r = pcall(chunk)
  if not ok then return usage("profile " .. path .. ": error while running it, at" .. where(r)) end
  if type(r) == "table" then return r end
  return env
end

local ENV = {
  host = { "OCIP_HOST", "s" }, port = { "OCIP_PORT", "i" }, username = { "OCIP_USERNAME", "s" },
  password = { "OCIP_PASSWORD", "s" }, transport = { "OCIP_TRANSPORT", "s" },
  tls = { "OCIP_TLS", "b" }, ca_file = { "OCIP_CA_FILE", "s" }, insecure = { "OCIP_INSECURE", "b" },
  url = { "OCIP_URL", "s" }, timeout = { "OCIP_TIMEOUT", "n" }, sessions = { "OCIP_SESSIONS", "i" },
  rate = { "OCIP_RATE", "n" },
}

local KEYS = { "host", "port", "username", "password", "transport", "tls", "ca_file", "insecure",
  "url", "timeout", "sessions", "rate", "login", "batch" }

--- settings(flags, getenv) -> options for ocip.connect, or nil, err
function M.settings(flags, getenv)
  flags = flags or {}
  getenv = getenv or os.getenv
  local ok, r = pcall(function()
    local which = flags.profile
    if which == nil or which == false then which = getenv("OCIP_PROFILE") end
    local path, required = M.locate(which, getenv)
    if path == nil and required ~= false then error(required, 0) end
    local file, err = {}, nil
    if path then file, err = M.load_file(path, required) end
    if not file then error(err, 0) end
    local o = {}
    for _, k in ipairs(KEYS) do o[k] = file[k] end
    for k, spec in pairs(ENV) do
      local v = getenv(spec[1])
      if v ~= nil and v ~= "" then
        if spec[2] == "i" then v = number(v, spec[1], true)
        elseif spec[2] == "n" then v = number(v, spec[1])
        elseif spec[2] == "b" then v = boolean(v, spec[1]) end
        o[k] = v
      end
    end
    for k, v in pairs(flags) do if k ~= "profile" then o[k] = v end end
    o.port = number(o.port, "port", true)
    o.tls = boolean(o.tls, "tls")
    o.insecure = boolean(o.insecure, "insecure")
    if not o.host and not o.url then
      error(Error.new("usage", "no server: give --host, OCIP_HOST or a profile file"), 0)
    end
    if not o.username then
      error(Error.new("usage", "no username: give --username, OCIP_USERNAME or a profile file"), 0)
    end
    if not o.password then
      error(Error.new("usage", "no password: set OCIP_PASSWORD or put it in the profile file"), 0)
    end
    return o
  end)
  if not ok then
    if type(r) == "string" then r = Error.new("usage", r) end
    return nil, r
  end
  return r
end

--- cli_log() -> a `log` for ocip.connect in command-line tools: warnings and errors on
-- stderr as "ocip LEVEL: line", except the client's own "login as ... failed" line: the
-- tool reports that error itself, once.
function M.cli_log()
  return require("ocip.log").fn(function(level, line)
    if level == "error" and line:find("^login as .- failed: ") then return end
    io.stderr:write("ocip ", level, ": ", line, "\n")
  end, "warn")
end

--- target(settings) -> a description of where we connect (no secrets)
function M.target(o)
  local where = o.url or ((o.host or "?") .. (o.port and (":" .. o.port) or ""))
  local tls = o.tls == false and "" or (o.tls and "+tls" or "")
  return ("%s%s %s as %s"):format(o.transport or "tcp", tls, where, tostring(o.username))
end

return M
