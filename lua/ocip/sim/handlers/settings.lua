-- Settings of one owner, generically: a Modify request whose only required
-- fields identify its owner (a user, service instance or administrator by
-- `userId`; a group; a service provider; the system) stores its other fields on
-- the owner, and the Get request of the same family answers them back, e.g.
--   UserCallForwardingAlwaysModifyRequest -> UserCallForwardingAlwaysGetRequest
--   GroupAdminModifyPolicyRequest         -> GroupAdminGetPolicyRequest20
--   GroupExtensionLengthModifyRequest17   -> GroupExtensionLengthGetRequest17
-- The family is the request name without its verb and version. A missing owner
-- gets the server's not-found error. Requests with other required fields (a
-- second key) are not settings: they get the generic answer.
local C = require "ocip.sim.handlers.common"
local schema = require "ocip.sim.schema"

local M = {}

local PREFIXES = { "User", "Group", "ServiceProvider", "Enterprise", "System" }

-- "UserCallForwardingAlwaysGetRequest" -> "UserCallForwardingAlways", "Get"
local function split(name)
  local stem = name:match("^(.-)Request%w*$")
  if not stem then return nil end
  -- the last verb at a camel boundary (followed by an upper-case letter or the end)
  local best, verb
  for _, v in ipairs { "Get", "Modify" } do
    local init = 1
    while true do
      local a, b = stem:find(v, init, true)
      if not a then break end
      local after = stem:sub(b + 1, b + 1)
      if (after == "" or after:find("%u")) and (not best or a > best) then best, verb = a, v end
      init = a + 1
    end
  end
  if not best then return nil end
  return stem:sub(1, best - 1) .. stem:sub(best + #verb), verb
end
M.family = split

-- Owner keys, by the set of required fields of the request.
local function owner_kind(name)
  local plan = schema.plan(name)
  if not plan then return nil end
  local req = {}
  local n = 0
  for _, e in ipairs(plan.required) do req[e.snake] = true; n = n + 1 end
  if n == 1 and req.user_id then return "user_id" end
  if n == 2 and req.service_provider_id and req.group_id then return "group" end
  if n == 1 and req.service_provider_id then return "sp" end
  if n == 0 and name:find("^System") then return "system" end
  return nil
end

local function owner(ctx, req, kind)
  local st = ctx.state
  if kind == "user_id" then
    local o = st.ids[req.user_id]
    if not o then return st:user(req.user_id) end -- the not-found error
    return o
  elseif kind == "group" then
    return st:group(req.service_provider_id, req.group_id)
  elseif kind == "sp" then
    return st:sp(req.service_provider_id)
  end
  return st
end

local SKIP = { user_id = true, service_provider_id = true, group_id = true }

local function handler(family, verb, kind)
  if verb == "Modify" then
    return function(ctx, req)
      local o, code, msg = owner(ctx, req, kind)
      if not o then return C.err(code, msg) end
      o.settings = o.settings or {}
      local s = o.settings[family] or {}
      C.merge(s, req, SKIP)
      o.settings[family] = s
      return C.SUCCESS
    end
  end
  return function(ctx, req, name)
    local o, code, msg = owner(ctx, req, kind)
    if not o then return C.err(code, msg) end
    return C.response(name, o.settings and o.settings[family] or {})
  end
end

local cache = {}

--- settings.find(request_name) -> handler, or nil when the request is not a
--- settings Get/Modify of one owner
function M.find(name)
  local h = cache[name]
  if h == nil then
    h = false
    local prefixed = false
    for _, p in ipairs(PREFIXES) do
      if name:sub(1, #p) == p then prefixed = true break end
    end
    local family, verb = nil, nil
    if prefixed then family, verb = split(name) end
    local kind = family and owner_kind(name)
    if kind and (verb == "Modify" or schema.response_of(name) ~= "SuccessResponse") then
      h = handler(family, verb, kind)
    end
    cache[name] = h
  end
  return h or nil
end

return M
