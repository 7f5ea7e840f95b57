-- Spec support for the simulator: a raw OCI-P client (core.tcp_connect +
-- ocip.xml encode/decode, independent of the client library) or, when the
-- network layer is absent, the simulator's engine called in-process. Every
-- document the simulator returns is validated against the XSDs when the schema
-- directory exists (fails when it is missing and CI=true).
local ocip = require "ocip"
local core = ocip.core
local helpers = require "spec.helpers"
local base = require "spec.support.client_helper"

local M = {}

local XSD = helpers.schema_dir() .. "/OCISchemaAS.xsd"
local have_xsd = io.open(XSD, "rb")
if have_xsd then have_xsd:close() end
M.have_xsd = have_xsd and true or false
M.validated = 0

M.have_net = core.tcp_listen ~= nil and core.tcp_connect ~= nil

--- check_xsd(doc): asserts the response document is schema-valid.
function M.check_xsd(doc)
  if not M.have_xsd then
    if os.getenv("CI") == "true" then error("XSD schema missing: " .. XSD) end
    return
  end
  local ok, msg = core.xsd_validate(XSD, doc)
  if not ok then error("simulator response not schema-valid: " .. tostring(msg) .. "\n" .. doc, 2) end
  M.validated = M.validated + 1
end

--- run(limit, fn): fn runs as an ocip task, failing after `limit` seconds.
M.run = base.run

local Raw = {}
Raw.__index = Raw

--- connect(sim, {tls=bool, direct=bool, mode=}) -> raw client. direct = in-process engine;
--- mode = "raw": documents read by read_whole, past the framer's bounds.
function M.connect(sim, opts)
  opts = opts or {}
  local self = setmetatable({ sim = sim, sid = "spec-" .. tostring(core.now()):gsub("%.", "") }, Raw)
  if opts.direct or not M.have_net then
    self.session = require("ocip.sim.auth").new_session(opts.tls)
  else
    local conn, err = core.tcp_connect { host = "127.0.0.1",
      port = opts.tls and sim.tls_port or sim.tcp_port, timeout = 5,
      tls = opts.tls and { insecure = true } or nil, mode = opts.mode or "document" }
    if not conn then return nil, err end
    self.conn, self.raw = conn, opts.mode == "raw"
  end
  return self
end

--- raw:send_raw(document) -> response document string, or nil, err
function Raw:send_raw(doc)
  if self.session then
    return require("ocip.sim.engine").document(self.sim, self.session, doc)
  end
  local ok, err = self.conn:write(doc)
  if not ok then return nil, err end
  if self.raw then return self:read_whole() end
  return self.conn:read()
end

--- raw:read_whole() -> one document read in raw mode (connect{mode = "raw"}): bytes up
--- to the close of the root element, past the framer's markup bounds (hostile answers)
function Raw:read_whole()
  local buf = self.pending or ""
  while true do
    local e = buf:find("</[%w:]*BroadsoftDocument>", 1)
    if e then
      local close = buf:find(">", e, true)
      self.pending = buf:sub(close + 1):gsub("^%s+", "")
      return buf:sub(1, close)
    end
    local chunk, err = self.conn:read()
    if not chunk then return nil, err end
    buf = buf .. chunk
  end
end

--- raw:send(requests, sid?) -> decoded responses array, raw text; requests are
--- request objects (ocip.commands.X{...}) or {name, fields} pairs.
function Raw:send(reqs, sid)
  local list = {}
  for i, r in ipairs(reqs) do
    if r[1] then r = assert(ocip.catalog.build(r[1], r[2] or {})) end
    list[i] = r
  end
  local doc = assert(ocip.xml.encode(list, sid or self.sid))
  local out, err = self:send_raw(doc)
  if not out then return nil, err end
  M.check_xsd(out)
  local decoded = assert(core.decode(out))
  return decoded.responses, out, decoded
end

--- raw:call(name, fields) -> the single decoded response
function Raw:call(name, fields, sid)
  local r, raw = self:send({ { name, fields } }, sid)
  if not r then return nil, raw end
  return r[1], raw
end

--- raw:login(user?, password?) -> LoginResponse14sp4 (nonce flow)
function Raw:login(user, password)
  user = user or self.sim.admin
  local a = assert(self:call("AuthenticationRequest", { user_id = user }))
  assert(a._type == "AuthenticationResponse", a.summary)
  return self:call("LoginRequest14sp4", { user_id = user,
    signed_password = core.signed_password(a.nonce, password or self.sim.password) })
end

function Raw:close()
  if self.conn then self.conn:close() end
end

--- err_code(r) -> the numeric code of an ErrorResponse r ("[Error N]" in its summary), else nil/false
function M.err_code(r)
  return r and r._type == "ErrorResponse" and tonumber((r.summary or ""):match("%[Error (%d+)%]"))
end

--- with_sim(opts, fn): starts a simulator inside a task, runs fn(sim), stops it.
function M.with_sim(opts, fn, limit)
  opts = opts or {}
  if not M.have_net then opts.tcp_port, opts.soap_port, opts.tls = false, nil, nil end
  base.with_sim(opts, fn, limit or 20)
end

return M
