-- ocip.profile: connection settings for the CLI and the script packs.
-- Sources, later ones win: profile file < OCIP_* environment < command-line flags.
--   profile file: OCIP_PROFILE, else ~/.config/ocip/profile.lua (optional). A Lua chunk
--     run in an empty environment; it returns a table or assigns globals:
--       host = "bw.example.net"; port = 2209; username = "admin"; password = "..."
--   environment: OCIP_HOST, OCIP_PORT, OCIP_USERNAME, OCIP_PASSWORD, OCIP_TRANSPORT,
--     OCIP_TLS, OCIP_CA_FILE, OCIP_INSECURE (also OCIP_URL, OCIP_TIMEOUT, OCIP_SESSIONS, OCIP_RATE)
--   flags: --host H --port N --username U (-u U) --transport tcp|soap --url URL --tls
--     --no-tls --ca-file F --insecure --timeout S --sessions N --rate N --profile FILE
-- A password is never taken from the command line: --password is refused.
--
--   profile.take_flags(args) -> flags, rest | nil, err   (consumes connection flags)
--   profile.settings(flags, getenv) -> options for ocip.connect, or nil, err
--   profile.target(settings) -> "tcp 127.0.0.1:2208 as admin" (never the password)
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

-- flag -> { key, kind } ; kind "s" string, "i" integer, "n" number, true/false switch
local FLAGS = {
  ["--host"] = { "host", "s" }, ["--port"] = { "port", "i" },
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
            --profile FILE   (or OCIP_HOST, OCIP_PORT, OCIP_USERNAME, OCIP_TRANSPORT,
            OCIP_TLS, OCIP_CA_FILE, OCIP_INSECURE, OCIP_PROFILE; the password comes
            only from OCIP_PASSWORD or the profile file)]]

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
        if spec[2] == "i" then return number(v, name, true) end
        if spec[2] == "n" then return number(v, name) end
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

local function home_profile(getenv)
  local xdg = getenv("XDG_CONFIG_HOME")
  local home = getenv("HOME")
  if xdg and xdg ~= "" then return xdg .. "/ocip/profile.lua" end
  if home and home ~= "" then return home .. "/.config/ocip/profile.lua" end
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
    local path = flags.profile or getenv("OCIP_PROFILE")
    local file, err
    if path and path ~= "" then file, err = M.load_file(path, true)
    else
      local home = home_profile(getenv)
      if home then file, err = M.load_file(home, false) else file = {} end
    end
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

--- target(settings) -> a description of where we connect (no secrets)
function M.target(o)
  local where = o.url or ((o.host or "?") .. (o.port and (":" .. o.port) or ""))
  local tls = o.tls == false and "" or (o.tls and "+tls" or "")
  return ("%s%s %s as %s"):format(o.transport or "tcp", tls, where, tostring(o.username))
end

return M
