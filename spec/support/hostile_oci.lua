-- A scripted OCI-P server on loopback TCP for the hostile-server specs: it answers
-- logins (any password), UserGetRequest23V2 (firstName = lastName = the userId asked
-- for, so a misdelivered answer shows) and UserModifyRequest22 (SuccessResponse; every
-- run is recorded in `srv.ran[userId]`), and misbehaves on demand.
--
-- srv.script: faults for the next documents, consumed one per document in order (`false`
-- = answer normally). A fault is a string:
--   dup_answer   the answer document is sent twice
--   dup_login    the LoginResponse14sp4 document is sent twice (login documents only)
--   dup_auth     the AuthenticationResponse document is sent twice (login documents only)
--   wrong_type   the first response is a GroupGetResponse22V5
--   reverse      the responses of the document in reverse order
--   doc_error    one ErrorResponse (echo="", like a real 6004) answers the whole document
--   extra_doc    after the answer, once nothing is in flight, a document nobody asked for
--   wrong_echo   every echo replaced; no_echo: echo attributes left out
--   fewer, more  one response missing / one too many
--   only_first   only the first command is answered (a server that takes one per document)
--   wrong_sid    the answer carries another session id
--   split        the answer is written one byte per write, yielding in between
--   garbage      bytes that are no document are written before the answer
--   stall        no answer at all (the connection stays open)
--   doctype, bad_utf8, deep   the answer holds a DOCTYPE with an entity / bytes that are
--                not UTF-8 in a UTF-8 document / elements nested 5,000 deep
--   cut          the first half of the answer is written, then the connection closed
--   slow         the first half of the answer is written, the rest once srv.release is
--                true (the spec sets it when it sees a row; at most 10 s later), and
--                srv.end_written is set then; slow_more: the same with `more`
-- UserGetListInSystemRequest is answered with srv.table_rows rows (default 2,000) of
-- three columns: user_id "u<i>", last_name "L<i>", first_name "F<i>".
-- Login documents (AuthenticationRequest, LoginRequest*) consume only dup_login/dup_auth
-- entries; a login document meeting another fault is answered normally and leaves it.
-- srv.always: a fault applied to every non-login document (e.g. "doc_error" for any
-- document of more than one command: `always_multi`).
local core = require "ocip.core"

local M = {}

local HEAD = '<?xml version="1.0" encoding="ISO-8859-1"?>\n<BroadsoftDocument protocol="OCI" xmlns="C" '
  .. 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'

local function esc(s)
  return (tostring(s):gsub("[&<>\"]", { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;" }))
end

-- One <command> element; echo false = no attribute.
local function command(typ, echo, body, attrs)
  local e = echo == false and "" or (' echo="' .. esc(echo or "") .. '"')
  return ("<command%s%s xsi:type=%q xmlns=\"\">%s</command>"):format(e, attrs or "", typ, body or "")
end

local function document(sid, cmds)
  return HEAD .. '<sessionId xmlns="">' .. esc(sid) .. "</sessionId>" .. table.concat(cmds) .. "</BroadsoftDocument>\n"
end

local function error_command(echo, code, text)
  return command("c:ErrorResponse", echo, ("<summary>[Error %d] %s</summary><summaryEnglish>[Error %d] %s</summaryEnglish>")
    :format(code, esc(text), code, esc(text)), ' type="Error" xmlns:c="C"')
end

-- The normal answer to one decoded request command (and the login bookkeeping).
local function respond(srv, st, cmd)
  local typ, echo = cmd._type, cmd._echo
  if typ == "AuthenticationRequest" then
    return command("AuthenticationResponse", echo, "<userId>" .. esc(cmd.user_id) ..
      "</userId><nonce>1234567890123</nonce><passwordAlgorithm>MD5</passwordAlgorithm>")
  elseif typ == "LoginRequest14sp4" or typ == "LoginRequest22V5" then
    st.logged_in = true
    srv.logins = srv.logins + 1
    local r = typ == "LoginRequest14sp4" and "LoginResponse14sp4" or "LoginResponse22V5"
    return command(r, echo, "<loginType>System</loginType><locale>en_US</locale><encoding>ISO-8859-1</encoding>")
  elseif typ == "LogoutRequest" then
    return command("SuccessResponse", echo)
  elseif not st.logged_in then
    return error_command(echo, 4003, "Not logged in")
  elseif typ == "UserGetRequest23V2" then
    local id = esc(cmd.user_id)
    return command("UserGetResponse23V2", echo, "<serviceProviderId>sp1</serviceProviderId><groupId>g1</groupId>"
      .. "<lastName>" .. id .. "</lastName><firstName>" .. id .. "</firstName>")
  elseif typ == "UserGetListInSystemRequest" then
    srv.lists = (srv.lists or 0) + 1
    local parts = { "<userTable><colHeading>User Id</colHeading><colHeading>Last Name</colHeading>"
      .. "<colHeading>First Name</colHeading>" }
    for i = 1, srv.table_rows or 2000 do
      parts[#parts + 1] = ("<row><col>u%d</col><col>L%d</col><col>F%d</col></row>"):format(i, i, i)
    end
    parts[#parts + 1] = "</userTable>"
    return command("UserGetListInSystemResponse", echo, table.concat(parts))
  elseif typ == "UserModifyRequest22" then
    local id = cmd.user_id
    if tostring(id):find("^bad") then return error_command(echo, 4008, "User not found: " .. id) end
    srv.ran[id] = (srv.ran[id] or 0) + 1
    return command("SuccessResponse", echo)
  end
  return error_command(echo, 4001, "Unknown request: " .. tostring(typ))
end

local LOGIN = { AuthenticationRequest = true, LoginRequest14sp4 = true, LoginRequest22V5 = true }
local LOGIN_FAULTS = { dup_login = "LoginRequest14sp4", dup_auth = "AuthenticationRequest" }

-- The fault for this document (consumed from the script), or nil.
local function next_fault(srv, cmds)
  local first = cmds[1] and cmds[1]._type
  local s = srv.script
  if LOGIN[first] then
    if s[1] and LOGIN_FAULTS[s[1]] == first then return table.remove(s, 1) end
    return nil
  end
  if first == "LogoutRequest" then return nil end
  if srv.always and (srv.always ~= "doc_error" or #cmds > 1) then return srv.always end
  if #s > 0 then return table.remove(s, 1) or nil end
  return nil
end

local function write_split(conn, doc)
  for i = 1, #doc do
    if not conn:write(doc:sub(i, i)) then return end
    if i % 7 == 0 then core.sleep(0) end
  end
end

-- Serves one accepted connection until it closes.
local function serve(srv, conn)
  local st = { logged_in = false }
  while true do
    local raw = conn:read()
    if not raw then break end
    srv.documents = srv.documents + 1
    local req = core.decode(raw)
    if not req then break end
    local sid, cmds = req.session_id or "", req.responses
    local fault = next_fault(srv, cmds)
    srv.faults_used[#srv.faults_used + 1] = fault or false
    local out = {}
    if fault == "doc_error" then
      out[1] = error_command("", 6004, "OCI XML Request validation error")
      for _, c in ipairs(cmds) do srv.doc_errors[#srv.doc_errors + 1] = c.user_id or c._type end
    else
      for i, c in ipairs(cmds) do
        if fault == "wrong_echo" then c._echo = "x" .. tostring(c._echo) end
        if fault == "no_echo" then c._echo = false end
        out[i] = respond(srv, st, c)
      end
    end
    if fault == "wrong_type" then
      out[1] = command("GroupGetResponse22V5", cmds[1]._echo, "<groupName>" .. esc(cmds[1].user_id or "g") .. "</groupName>")
    elseif fault == "reverse" then
      local n = #out
      for i = 1, n // 2 do out[i], out[n + 1 - i] = out[n + 1 - i], out[i] end
    elseif fault == "fewer" then
      out[#out] = nil
      if #out == 0 then out[1] = command("SuccessResponse", "x") end
    elseif fault == "more" or fault == "slow_more" then
      out[#out + 1] = command("SuccessResponse", cmds[#cmds]._echo)
    elseif fault == "only_first" then
      for i = #out, 2, -1 do out[i] = nil end
    elseif fault == "deep" then
      out[1] = out[1]:gsub("</command>$", ("<x>"):rep(5000) .. ("</x>"):rep(5000) .. "</command>")
    end
    local doc = document(fault == "wrong_sid" and "not-" .. sid or sid, out)
    if fault == "doctype" then
      doc = doc:gsub("\n<BroadsoftDocument", '\n<!DOCTYPE BroadsoftDocument [<!ENTITY e "boom">]><BroadsoftDocument', 1)
        :gsub("<firstName>", "<firstName>&e;", 1)
    elseif fault == "bad_utf8" then
      doc = doc:gsub('encoding="ISO%-8859%-1"', 'encoding="UTF-8"', 1):gsub("<firstName>", "<firstName>\xff\xfe", 1)
    end
    if fault == "stall" then
      -- nothing
    elseif fault == "split" then
      write_split(conn, doc)
    elseif fault == "cut" then
      conn:write(doc:sub(1, #doc // 2))
      conn:flush()
      break
    elseif fault == "slow" or fault == "slow_more" then
      srv.end_written, srv.release = false, false
      local half = #doc // 2
      if conn:write(doc:sub(1, half)) and conn:flush() then
        local t0 = core.now()
        while not srv.release and core.now() - t0 < 10 do core.sleep(0.01) end
        conn:write(doc:sub(half + 1))
      end
      srv.end_written = true
    else
      if fault == "garbage" then conn:write("}}garbage{{\n") end
      conn:write(doc)
      if fault == "dup_answer" or fault == "dup_login" or fault == "dup_auth" then conn:write(doc) end
      if fault == "extra_doc" then
        -- later, once the client has its answer and nothing is in flight
        core.spawn(function()
          core.sleep(0.2)
          conn:write(document(sid, { command("UserGetResponse23V2", "s1d1c1",
            "<lastName>intruder</lastName><firstName>intruder</firstName>") }))
        end)
      end
    end
  end
  conn:close()
end

--- hostile.start() -> srv { port=, script={}, ran={}, logins=, documents=, stop=fn }
-- Runs as tasks in the current loop; stop() closes the listener and every connection.
function M.start()
  local listener = assert(core.tcp_listen { host = "127.0.0.1", port = 0 })
  local srv = { port = listener:port(), script = {}, ran = {}, logins = 0, documents = 0,
    faults_used = {}, doc_errors = {}, conns = {}, accepted = 0 }
  local tasks = {}
  tasks[1] = core.spawn(function()
    while true do
      local conn = listener:accept()
      if not conn then break end
      srv.accepted = srv.accepted + 1
      srv.conns[#srv.conns + 1] = conn
      tasks[#tasks + 1] = core.spawn(serve, srv, conn)
    end
  end)
  function srv.stop()
    listener:close()
    for _, c in ipairs(srv.conns) do c:close() end
    for _, t in ipairs(tasks) do core.cancel(t) end
  end
  return srv
end

return M
