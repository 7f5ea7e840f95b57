-- OCI-P over SOAP: each document is one HTTP POST (core.http_request, libcurl multi on
-- the loop) wrapped by ocip.soap; the JSESSIONID cookie the server sets is kept for this
-- transport (= one client session) and sent back on every later POST.
-- send() only queues; receive() performs the POST of the oldest queued document, so the
-- session code drives SOAP and TCP the same way. No pipelining over SOAP.
local core = require "ocip.core"
local Error = require "ocip.error"
local soap = require "ocip.soap"

local M = {}
local T = {}
T.__index = T

M.pipelining = false

local DEFAULT_PATH = "/webservice/services/ProvisioningService"

--- soap.url(opts) -> the endpoint URL (opts.url, else built from host/port/tls)
function M.url(opts)
  if opts.url then return opts.url end
  local scheme = opts.tls == false and "http" or "https"
  local port = opts.port and (":" .. opts.port) or ""
  return scheme .. "://" .. opts.host .. port .. DEFAULT_PATH
end

--- soap.open(opts, log) -> transport (no I/O happens until the first receive)
function M.open(opts, log)
  local url = M.url(opts)
  local t = setmetatable({
    url = url, log = log, queue = {}, head = 1, tail = 0,
    timeout = opts.timeout, cookie = nil, name = url, max_document = opts.max_document,
    secure = url:sub(1, 6):lower() == "https:",
    tls = {
      ca_file = opts.ca_file, ca_path = opts.ca_path, cert_file = opts.cert_file,
      key_file = opts.key_file, insecure = opts.insecure and true or false,
      server_name = opts.server_name,
    },
  }, T)
  return t
end

function T:send(document)
  if self.closed then return nil, Error.new("closed", "connection closed") end
  self.tail = self.tail + 1
  self.queue[self.tail] = document
  return true
end

-- The options of core.http_request for this transport, built once and reused for
-- every POST (http_request reads them before it waits); headers change with the cookie.
local function request_options(self)
  local r = self.request
  if not r then
    r = {
      url = self.url, method = "POST", headers = nil, body = nil, timeout = nil,
      ca_file = self.tls.ca_file, ca_path = self.tls.ca_path,
      cert_file = self.tls.cert_file, key_file = self.tls.key_file,
      insecure = self.tls.insecure, max_size = self.max_document,
    }
    self.request = r
  end
  if self.headers_cookie ~= self.cookie or not r.headers then
    local headers = {
      ["Content-Type"] = "text/xml; charset=utf-8",
      ["SOAPAction"] = '""',
    }
    if self.cookie then headers["Cookie"] = "JSESSIONID=" .. self.cookie end
    r.headers, self.headers_cookie = headers, self.cookie
  end
  return r
end

function T:post(document, timeout)
  local body, err = soap.envelope(document)
  if not body then return nil, err end
  local opts = request_options(self)
  opts.body, opts.timeout = body, timeout or self.timeout
  local res
  res, err = core.http_request(opts)
  opts.body = nil -- not kept alive until the next POST
  if not res then return nil, err end
  local cookie = soap.cookie_from(res.headers)
  if cookie and cookie ~= self.cookie then
    self.cookie = cookie
    self.log:add_secret(cookie)
    self.log:log("trace", "%s: session cookie JSESSIONID=%s", self.url, cookie)
  end
  return res
end

function T:receive()
  if self.closed then return nil, Error.new("closed", "connection closed") end
  if self.head > self.tail then return nil, Error.new("protocol", "nothing sent") end
  local document = self.queue[self.head]
  self.queue[self.head] = nil
  self.head = self.head + 1
  local res, err = self:post(document)
  if self.closed then return nil, Error.new("closed", "connection closed") end
  if not res then return nil, err end
  local doc, ferr = soap.parse_response(res.body)
  if not doc then
    if res.status ~= 200 and ferr.kind == "protocol" and not ferr.fault_code then
      ferr = Error.new("protocol", ("http status %d from %s"):format(res.status, self.url))
    end
    return nil, ferr
  end
  return doc
end

--- Sends the last document (LogoutRequest) in its own task, without waiting for it.
function T:send_last(document)
  if self.closed then return end
  self.closed = true
  if core.current() then
    core.spawn(function() pcall(self.post, self, document, math.min(self.timeout or 5, 5)) end)
  end
end

function T:close()
  self.closed = true
end

return M
