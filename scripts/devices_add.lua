-- devices_add: add access devices (phones, gateways) to groups from a CSV file
--   ocip run devices_add DEVICES.csv [--dry-run] [--report FILE] [--resume REPORT] [flags]
-- One GroupAccessDeviceAddRequest22V2 per row. A device already there is outcome
-- "exists" (not a failure). Device names are unique within their group.
local recipe = require "ocip.bulk.recipe"

recipe.run({
  name = "devices_add",
  summary = "add access devices to groups; a device already there is \"exists\", not a failure",
  request = "GroupAccessDeviceAddRequest22V2",
  columns = recipe.columns(recipe.GROUP, {
    { "device_name", required = true, doc = "unique within the group" },
    { "device_type", required = true, doc = "a device type of the system (\"Polycom VVX 400\", ...)" },
    { "mac_address", value = recipe.mac, doc = "12 hex digits; 00:04:f2:aa:bb:cc is accepted" },
    { "serial_number" }, { "description" }, { "physical_location" },
    { "net_address", doc = "host or IP address (for devices that register elsewhere)" },
    { "port" }, { "transport_protocol", doc = "UDP, TCP, TLS or Unspecified" },
    { "device_user_name", path = "access_device_credentials.user_name",
      doc = "device management user name (with device_password)" },
    { "device_password", path = "access_device_credentials.password" },
  }),
  prepare = function(fields)
    if fields.access_device_credentials and fields.use_custom_user_name_password == nil then
      fields.use_custom_user_name_password = true
    end
  end,
  key = recipe.group_key("device_name"),
  codes = recipe.EXISTS,
  example = "scripts/examples/devices_add.csv",
}, arg or { ... })
