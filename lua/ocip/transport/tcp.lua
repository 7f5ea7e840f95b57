-- OCI-P over TCP (2208) or TLS from the first byte (2209): bytes in, documents out.
-- The framer in core.tcp_connect{mode="document"} hands over one whole document per read.
local core = require "ocip.core"
local Error = require "ocip.error"

local M = {}
local T = {}
T.__index = T

M.pipelining = true -- documents may be written ahead of their answers
M.streaming = true  -- receive_into/finish: answers decoded as their bytes arrive

--- tcp.open(opts, log) -> transport or nil, err
-- opts: host, port, timeout, tls (bool), ca_file, ca_path, cert_file, key_file, insecure,
-- server_name, max_document.
function M.open(opts, log)
  local tls
  if opts.tls then
    tls = {
      server_name = opts.server_name or opts.host,
      ca_file = opts.ca_file, ca_path = opts.ca_path,
      cert_file = opts.cert_file, key_file = opts.key_file,
      insecure = opts.insecure and true or false,
    }
  end
  log:log("debug", "connecting to %s:%d (%s)", opts.host, opts.port, tls and "TLS" or "plain TCP")
  local conn, err = core.tcp_connect {
    host = opts.host, port = opts.port, timeout = opts.timeout, tls = tls,
    max_document = opts.max_document, mode = "document",
  }
  if not conn then return nil, err end
  return setmetatable({ conn = conn, log = log, secure = tls ~= nil,
    name = ("%s:%d"):format(opts.host, opts.port) }, T)
end

--- t:send(document) -> true or nil, err  (queues the bytes; never waits)
function T:send(document)
  if self.closed then return nil, Error.new("closed", "connection closed") end
  return self.conn:write(document)
end

--- t:receive() -> document or nil, err  (waits for the next whole document)
function T:receive()
  if self.closed then return nil, Error.new("closed", "connection closed") end
  local doc, err = self.conn:read()
  if doc == nil and self.closed then
    return nil, Error.new("closed", "connection closed")
  end
  return doc, err
end

--- t:receive_into(dec [, max_document [, timeout]]) -> true | false | nil, err: the next
-- answer is fed to the decoder dec as its bytes arrive (conn:read(dec)); true when it is
-- whole (then t:finish(dec) decodes its last piece), false when dec (rows mode) queued
-- rows; kind timeout when nothing more came within `timeout` seconds from the call.
function T:receive_into(dec, max, timeout)
  if self.closed then return nil, Error.new("closed", "connection closed") end
  local ok, err = self.conn:read(dec, max, timeout)
  if ok == nil and self.closed then return nil, Error.new("closed", "connection closed") end
  return ok, err
end

--- t:finish(dec) -> the decoded answer { session_id=, responses= } or nil, err
function T:finish(dec)
  if self.closed then return nil, Error.new("closed", "connection closed") end
  return self.conn:finish(dec)
end

--- t:send_last(document): write a final document (LogoutRequest) and close without
-- waiting; conn:close() lets queued bytes drain within a grace period.
function T:send_last(document)
  if self.closed then return end
  self.conn:write(document)
  self:close()
end

function T:close()
  if self.closed then return end
  self.closed = true
  self.conn:close()
end

return M
