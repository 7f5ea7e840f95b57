-- A fake OCI-P transport + codec for client unit specs: no network, no decoder.
-- The "server" reads the encoded request document (patterns only), answers each
-- command through `handler(name, body_xml, state)` and hands the client an opaque
-- answer string whose decoded form is kept in a table (xml.decode is patched).
-- Faults (set on fake.faults): drop (close instead of answering the next document),
-- stall (never answer the next document), count (answer with one command too many),
-- garbage (next read returns undecodable text).
local core = require "ocip.core"
local Error = require "ocip.error"
local xml = require "ocip.xml"

local M = { pipelining = true }

local answers, next_id = {}, 0
local real_decode = xml.decode

function M.install()
  xml.decode = function(doc)
    local d = answers[doc]
    if d then answers[doc] = nil; return d end
    if real_decode then return real_decode(doc) end
    return nil, Error.new("protocol", "fake: undecodable")
  end
end

function M.uninstall() xml.decode = real_decode end

M.faults = {}
M.stats = { documents = 0, commands = {}, logins = 0, connections = 0 }
M.password = "secret"

local function answer(t, decoded)
  next_id = next_id + 1
  local key = "ANSWER#" .. next_id
  answers[key] = decoded
  t.ready[#t.ready + 1] = key
  if t.reader then local r = t.reader; t.reader = nil; core.unpark(r) end
end

local function serve(t, doc)
  local sid = doc:match("<sessionId[^>]*>(.-)</sessionId>")
  local responses = {}
  for attrs, body in doc:gmatch('<command([^>]*)>(.-)</command>') do
    local typ, echo = attrs:match('xsi:type="([^"]+)"'), attrs:match('echo="([^"]*)"')
    local st = M.stats.commands
    st[#st + 1] = typ
    local n = #responses
    if typ == "AuthenticationRequest" then
      t.nonce = "1234567890123"
      responses[#responses + 1] = { _type = "AuthenticationResponse", nonce = t.nonce, password_algorithm = "MD5" }
    elseif typ == "LoginRequest14sp4" then
      local sp = body:match("<signedPassword>(.-)</")
      if sp == core.signed_password(t.nonce or "", M.password) then
        t.logged_in = true
        M.stats.logins = M.stats.logins + 1
        responses[#responses + 1] = { _type = "LoginResponse14sp4", login_type = "System" }
      else
        responses[#responses + 1] = Error.new("server", "Invalid password", { summary = "[Error 4962] Invalid password", code = 4962, severity = "Error" })
      end
    elseif typ == "LoginRequest22V5" then
      responses[#responses + 1] = Error.new("server", "not supported", { summary = "not supported", severity = "Error" })
    elseif typ == "LogoutRequest" then
      responses[#responses + 1] = { _type = "SuccessResponse" }
    elseif not t.logged_in then
      responses[#responses + 1] = Error.new("server", "not logged in", { summary = "Session is not logged in", code = 4003, severity = "Error" })
    else
      responses[#responses + 1] = M.handler(typ, body)
    end
    -- the answer echoes the command's echo (an ErrorResponse as err.echo, like ocip.xml)
    local r = responses[n + 1]
    if Error.is(r) then r.echo = echo else r._echo = echo end
  end
  return { session_id = sid, responses = responses }
end

-- Answers of the type the catalog pairs with the request.
function M.handler(typ, body)
  local uid = body:match("<userId>(.-)</userId>")
  local response = require("ocip.catalog").type(typ).response
  if typ:find("Get") then
    return { _type = response, first_name = uid, user_id = uid }
  end
  return { _type = response }
end

local T = {}
T.__index = T

function M.open(opts, log)
  M.stats.connections = M.stats.connections + 1
  return setmetatable({ ready = {}, name = "fake", secure = opts.tls and true or false, log = log }, T)
end

function T:send(doc)
  if self.closed then return nil, Error.new("closed", "closed") end
  M.stats.documents = M.stats.documents + 1
  local f = M.faults
  local decoded = serve(self, doc)
  if f.drop and f.drop > 0 and not doc:find("LoginRequest") and not doc:find("AuthenticationRequest") then
    f.drop = f.drop - 1
    core.spawn(function() self:close() end)
    return true
  end
  if f.stall and f.stall > 0 and not doc:find("LoginRequest") and not doc:find("AuthenticationRequest") then
    f.stall = f.stall - 1
    return true
  end
  if f.count and f.count > 0 and not doc:find("Login") and not doc:find("Authentication") then
    f.count = f.count - 1
    decoded.responses[#decoded.responses + 1] = { _type = "SuccessResponse", _echo = "extra" }
  end
  if f.garbage and f.garbage > 0 and not doc:find("Login") and not doc:find("Authentication") then
    f.garbage = f.garbage - 1
    self.ready[#self.ready + 1] = "garbage!"
    if self.reader then local r = self.reader; self.reader = nil; core.unpark(r) end
    return true
  end
  local delay = f.latency
  if delay then
    core.spawn(function() core.sleep(delay); if not self.closed then answer(self, decoded) end end)
  else
    answer(self, decoded)
  end
  return true
end

function T:receive()
  while #self.ready == 0 do
    if self.closed then return nil, Error.new("closed", "connection closed") end
    self.reader = core.current()
    core.park()
  end
  return table.remove(self.ready, 1)
end

function T:send_last(doc) self:send(doc); self:close() end

function T:close()
  if self.closed then return end
  self.closed = true
  if self.reader then local r = self.reader; self.reader = nil; core.unpark(r) end
end

return M
