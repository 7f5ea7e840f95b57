-- Shared by the examples: connection settings from OCIP_* (OCIP_HOST, OCIP_PORT, OCIP_TLS,
-- OCIP_USERNAME, OCIP_PASSWORD), so no password is ever on a command line.
local ocip = require "ocip"
return function()
  local port = tonumber(os.getenv "OCIP_PORT" or "2209")
  local tls = os.getenv "OCIP_TLS"
  return assert(ocip.connect{
    host = os.getenv "OCIP_HOST" or "127.0.0.1", port = port,
    tls = tls == nil and port ~= 2208 or (tls ~= "0" and tls ~= "false"),
    username = os.getenv "OCIP_USERNAME", password = os.getenv "OCIP_PASSWORD",
  })
end
