-- devices_delete: delete access devices of groups listed in a CSV file
--   ocip run devices_delete DEVICES.csv (--yes | --dry-run) [--report FILE] [flags]
-- One GroupAccessDeviceDeleteRequest per row (service_provider_id, group_id,
-- device_name; other columns are ignored, so a devices_add file works). A device already
-- gone is outcome "absent" (not a failure).
local recipe = require "ocip.bulk.recipe"

recipe.run({
  name = "devices_delete",
  summary = "delete access devices; one already gone is \"absent\", not a failure",
  request = "GroupAccessDeviceDeleteRequest",
  columns = recipe.columns(recipe.GROUP, { { "device_name", required = true } }),
  key = recipe.group_key("device_name"),
  delete = true, ignore_unknown = true,
  codes = recipe.ABSENT,
  example = "scripts/examples/devices_add.csv",
}, arg or { ... })
