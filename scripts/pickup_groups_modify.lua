-- pickup_groups_modify: rename call pickup groups or replace their users from a CSV file
--   ocip run pickup_groups_modify PICKUP_GROUPS.csv [--dry-run] [--report FILE] [flags]
-- One GroupCallPickupModifyInstanceRequest per row: `users` replaces the member list
-- (@nil: none), `new_name` renames.
local recipe = require "ocip.bulk.recipe"

recipe.run({
  name = "pickup_groups_modify",
  summary = "rename call pickup groups or replace their members",
  request = "GroupCallPickupModifyInstanceRequest",
  columns = recipe.columns(recipe.GROUP, {
    { "name", required = true, doc = "the pickup group to change" },
    { "new_name", doc = "its new name" },
    { "users", path = "user_id_list.user_id", clear = "user_id_list",
      doc = "member user ids, ;-separated: the new list (@nil: none)" },
  }),
  key = recipe.group_key("name"),
  example = "scripts/examples/pickup_groups_modify.csv",
}, arg or { ... })
