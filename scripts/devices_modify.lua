-- devices_modify: change access devices of groups from a CSV file
--   ocip run devices_modify DEVICES.csv [--dry-run] [--report FILE] [--resume REPORT] [flags]
-- One GroupAccessDeviceModifyRequest22 per row: only the columns given change; @nil
-- clears a field. The device type cannot be changed (delete and add the device).
local recipe = require "ocip.bulk.recipe"

recipe.run({
  name = "devices_modify",
  summary = "change access devices: only the columns given change; @nil clears a field",
  request = "GroupAccessDeviceModifyRequest22",
  columns = recipe.columns(recipe.GROUP, {
    { "device_name", required = true, doc = "the device to change" },
    { "mac_address", value = recipe.mac, doc = "12 hex digits (00:04:f2:aa:bb:cc accepted); @nil: none" },
    { "serial_number" }, { "description" }, { "physical_location" },
    { "net_address" }, { "port" }, { "transport_protocol" },
    { "device_user_name", path = "access_device_credentials.user_name",
      doc = "device management user name (with device_password)" },
    { "device_password", path = "access_device_credentials.password" },
  }),
  ignored = { "device_type" },
  key = recipe.group_key("device_name"),
  example = "scripts/examples/devices_modify.csv",
}, arg or { ... })
