-- Throw-away certificates for the TLS specs, made at test time with the `openssl`
-- command line in a temporary directory (EC P-256 keys: fast to generate).
--   local certs = require("spec.support.certs").make()
--   certs.ca_file        CA that signed the server certificate
--   certs.cert_file      server certificate: CN=localhost, SAN DNS:localhost, IP:127.0.0.1
--   certs.key_file       its key
--   certs.other_ca_file  an unrelated CA (for "unknown CA" cases)
--   certs.client_cert_file / certs.client_key_file   a client certificate signed by the CA
--   certs.dir, certs.cleanup()
-- make() builds once per process and returns the same set afterwards; the directory
-- is removed by cleanup() or when the Lua state closes.
local M = {}

local made

local function quote(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

local function sh(dir, cmd)
  local ok = os.execute("cd " .. quote(dir) .. " && " .. cmd .. " >/dev/null 2>&1")
  if not ok then error("certs: command failed: " .. cmd, 2) end
end

local function write(path, text)
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
end

local KEY = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"

local function make_ca(dir, name, cn)
  sh(dir, ("openssl req -x509 %s -keyout %s.key -out %s.pem -days 2 -subj /CN=%s"
    .. " -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign")
    :format(KEY, name, name, cn))
end

local function make_leaf(dir, name, cn, ext)
  write(dir .. "/" .. name .. ".ext", ext)
  sh(dir, ("openssl req %s -keyout %s.key -out %s.csr -subj /CN=%s"):format(KEY, name, name, cn))
  sh(dir, ("openssl x509 -req -in %s.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out %s.pem -days 2 -extfile %s.ext")
    :format(name, name, name))
end

function M.make()
  if made then return made end
  local dir = os.tmpname()
  os.remove(dir)
  sh("/", "mkdir -m 700 " .. quote(dir))
  make_ca(dir, "ca", "ocip-test-ca")
  make_ca(dir, "other_ca", "ocip-other-ca")
  make_leaf(dir, "server", "localhost",
    "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n"
    .. "subjectAltName=DNS:localhost,IP:127.0.0.1\n")
  make_leaf(dir, "client", "ocip-client",
    "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n")
  made = {
    dir = dir,
    ca_file = dir .. "/ca.pem",
    cert_file = dir .. "/server.pem",
    key_file = dir .. "/server.key",
    other_ca_file = dir .. "/other_ca.pem",
    client_cert_file = dir .. "/client.pem",
    client_key_file = dir .. "/client.key",
  }
  local function cleanup()
    if made and made.dir == dir then made = nil end
    os.execute("rm -rf " .. quote(dir))
  end
  made.cleanup = cleanup
  -- removed with the Lua state at the latest
  M._guard = setmetatable({}, { __gc = cleanup })
  return made
end

return M
