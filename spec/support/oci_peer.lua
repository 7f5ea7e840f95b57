-- A minimal OCI-P server on core.tcp_listen for the network specs: it logs any user
-- in (14sp4, password not checked) and answers every other command through
-- handler(name, body, peer) -> xsi:type, pieces (an array of strings written in
-- order; nil pieces = an empty command). Each command gets back its request's echo
-- and each document its session id, whatever the client sends. Answers are streamed
-- piece by piece with a flush between, so the server itself holds little memory
-- however big the answer. A piece may also be a function(conn) that writes itself.
local core = require("ocip").core

local M = {}

M.HEAD = '<?xml version="1.0" encoding="ISO-8859-1"?>\n'
  .. '<BroadsoftDocument protocol="OCI" xmlns="C" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'

-- The commands of a request document: array of { name=, echo=, body= }.
local function commands(doc)
  local out, pos = {}, 1
  while true do
    local s, e = doc:find("<command[%s/>]", pos)
    if not s then return out end
    local close = doc:find(">", e, true)
    local attrs = doc:sub(e, close - 1)
    local body = ""
    pos = close + 1
    if doc:sub(close - 1, close - 1) ~= "/" then
      local stop = doc:find("</command>", pos, true) or #doc + 1
      body = doc:sub(pos, stop - 1)
      pos = stop + 10
    end
    local typ = attrs:match('type="([^"]+)"') or ""
    out[#out + 1] = { name = typ:match("([^:]+)$"), echo = attrs:match('echo="([^"]*)"'), body = body }
  end
end

local BUILTIN = {
  AuthenticationRequest = function()
    return "AuthenticationResponse", { "<nonce>1234567890123</nonce><passwordAlgorithm>MD5</passwordAlgorithm>" }
  end,
  LoginRequest14sp4 = function()
    return "LoginResponse14sp4", { "<loginType>System</loginType><locale>en_US</locale><encoding>ISO-8859-1</encoding>" }
  end,
}

-- Writes s and waits until the kernel took it; false when the peer is gone.
local function send(conn, s)
  return conn:write(s) and conn:flush() and true or false
end

local function serve(conn, handler, peer)
  while true do
    local doc = conn:read()
    if not doc then break end
    peer.documents = peer.documents + 1
    local sid = doc:match("<sessionId[^>]*>(.-)</sessionId>") or ""
    local answers = {}
    for _, cmd in ipairs(commands(doc)) do
      if cmd.name ~= "LogoutRequest" then
        peer.commands[#peer.commands + 1] = cmd.name
        local typ, pieces = (BUILTIN[cmd.name] or handler)(cmd.name, cmd.body, peer)
        answers[#answers + 1] = { echo = cmd.echo, type = typ, pieces = pieces or {} }
      end
    end
    if #answers > 0 then
      local ok = send(conn, M.HEAD .. '<sessionId xmlns="">' .. sid .. "</sessionId>")
      for _, a in ipairs(answers) do
        if not ok then break end
        ok = send(conn, '<command xmlns=""' .. (a.echo and (' echo="' .. a.echo .. '"') or "")
          .. ' xsi:type="' .. a.type .. '">')
        for _, p in ipairs(a.pieces) do
          if not ok then break end
          if type(p) == "function" then ok = p(conn) else ok = send(conn, p) end
        end
        ok = ok and send(conn, "</command>")
      end
      if not (ok and send(conn, "</BroadsoftDocument>\n")) then break end
    end
  end
  conn:close()
end

--- start(handler, listen_opts) -> peer { port=, documents=, commands={names}, stop=fn }
--- (call inside a task; stop() closes the listener and every connection).
function M.start(handler, listen_opts)
  local o = { host = "127.0.0.1", port = 0 }
  for k, v in pairs(listen_opts or {}) do o[k] = v end
  local srv = assert(core.tcp_listen(o))
  local peer = { port = srv:port(), documents = 0, commands = {}, connections = 0 }
  local tasks, conns = {}, {}
  local acceptor = core.spawn(function()
    while true do
      local conn = srv:accept()
      if not conn then return end
      peer.connections = peer.connections + 1
      conns[#conns + 1] = conn
      tasks[#tasks + 1] = core.spawn(serve, conn, handler, peer)
    end
  end)
  function peer.stop()
    srv:close()
    core.cancel(acceptor)
    for _, t in ipairs(tasks) do core.cancel(t) end
    for _, conn in ipairs(conns) do conn:close() end
  end
  return peer
end

--- user_answer(user_id) -> xsi:type, pieces of a small UserGetResponse23V2.
function M.user_answer(id)
  return "UserGetResponse23V2", { "<serviceProviderId>sp</serviceProviderId><groupId>g</groupId><lastName>L</lastName>"
    .. "<firstName>F</firstName><callingLineIdLastName>L</callingLineIdLastName>"
    .. "<callingLineIdFirstName>F</callingLineIdFirstName><userId>" .. tostring(id) .. "</userId>" }
end

--- options(peer, extra) -> ocip.connect options for the peer (plain TCP, one session).
function M.options(peer, extra)
  local o = { host = "127.0.0.1", port = peer.port, tls = false, username = "admin", password = "secret",
    timeout = 10, sessions = 1, log = false }
  for k, v in pairs(extra or {}) do o[k] = v end
  return o
end

return M
