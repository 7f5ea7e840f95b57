-- What ocip snapshot, plan and apply share: their flags, connecting (exit 3 when it fails),
-- loading a configuration file (exit 2 when it cannot be read) and the plan's problems.
local ocip = require "ocip"
local profile = require "ocip.profile"
local config = require "ocip.config"

local M = {}

M.EXIT = { ok = 0, failed = 1, usage = 2, connect = 3, changes = 5 }

M.RULES = [[
rules:  an entity in FILE but not in the group is added; in the group but not in FILE,
        deleted; in both, every field that differs is modified. A field FILE leaves out is
        cleared where the Modify request can clear it, else left as it is. A section FILE
        leaves out (e.g. no devices = { ... }) is not managed. The group is created when
        missing (its service provider must exist), never deleted. Passwords are never in
        FILE: users and devices are added without one, call centers with a random one
        (the server requires it); set them afterwards. Values are checked against the
        schema before anything is sent.]]

--- parse(args, options, max_args) -> o | nil, message
-- options: flag -> { key, "s" | "i" | true }; connection flags go to o.flags
function M.parse(args, options, max_args)
  local flags, rest = profile.take_flags(args)
  if not flags then return nil, tostring(rest.message or rest) end
  local o = { flags = flags, args = {} }
  local i = 1
  while i <= #rest do
    local a = rest[i]
    local name, inline = a:match("^(%-%-[%w-]+)=(.*)$")
    name = name or a
    local s = options[name]
    if a == "-h" or a == "--help" then
      o.help = true
    elseif s and s[2] == true then
      o[s[1]] = true
    elseif s then
      local v = inline
      if v == nil then
        i = i + 1
        v = rest[i]
        if v == nil then return nil, name .. " needs a value" end
      end
      if s[2] == "i" then
        v = math.tointeger(tonumber(v))
        if not v or v < 1 then return nil, name .. " expects a positive integer" end
      end
      o[s[1]] = v
    elseif a:sub(1, 1) == "-" and a ~= "-" then
      return nil, "unknown option " .. a
    else
      o.args[#o.args + 1] = a
    end
    i = i + 1
  end
  if not o.help and #o.args > (max_args or 0) then return nil, "unexpected argument " .. o.args[(max_args or 0) + 1] end
  if o.group then
    local t, err = config.target(o.group)
    if not t then return nil, "--group: " .. err.message end
    o.target = t
  end
  return o
end

--- connect(name, flags) -> client | nil, exit status (the error printed once)
function M.connect(name, flags)
  local settings, serr = profile.settings(flags)
  if not settings then
    io.stderr:write("ocip ", name, ": ", tostring(serr.message or serr), "\n")
    return nil, M.EXIT.usage
  end
  settings.log = profile.cli_log()
  local c, err = ocip.connect(settings)
  if c then return c end
  local who = type(err) == "table" and err.kind == "auth" and ("log in as " .. tostring(settings.username))
    or "connect"
  io.stderr:write(("ocip %s: could not %s (%s): %s\n"):format(name, who, profile.target(settings), tostring(err)))
  return nil, type(err) == "table" and err.kind == "usage" and M.EXIT.usage or M.EXIT.connect
end

--- load(name, path) -> state | nil, exit status
function M.load(name, path)
  local state, err = config.load(path)
  if state then return state end
  io.stderr:write("ocip ", name, ": ", tostring(err.message or err), "\n")
  return nil, M.EXIT.usage
end

--- problems(name, plan) -> true when the plan has problems (printed on stderr)
function M.problems(name, plan)
  if not plan.problems[1] then return false end
  for _, p in ipairs(plan.problems) do io.stderr:write("ocip ", name, ": ", p, "\n") end
  io.stderr:write(("ocip %s: %d problem(s) with the file (listed above): nothing can be applied\n")
    :format(name, #plan.problems))
  return true
end

function M.where(t) return t.service_provider_id .. "/" .. t.group_id end

return M
