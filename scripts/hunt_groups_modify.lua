-- hunt_groups_modify: change hunt groups (settings, agents) from a CSV file
--   ocip run hunt_groups_modify HUNT_GROUPS.csv [--dry-run] [--report FILE] [flags]
-- One GroupHuntGroupModifyInstanceRequest per row: only the columns given change;
-- `agents` replaces the whole agent list (@nil: no agents).
local recipe = require "ocip.bulk.recipe"

local P = "service_instance_profile"

recipe.run({
  name = "hunt_groups_modify",
  summary = "change hunt groups: only the columns given change; agents replaces the agent list",
  request = "GroupHuntGroupModifyInstanceRequest",
  columns = recipe.columns({
    { "service_user_id", required = true, doc = "the hunt group to change" },
  }, recipe.profile(P, false), {
    { "service_provider_id", virtual = true, doc = "the hunt group's service provider (for department)" },
    { "group_id", virtual = true, doc = "the hunt group's group (for department)" },
    { "agents", path = "agent_user_id_list.user_id", clear = "agent_user_id_list",
      doc = "agent user ids, ;-separated: the new agent list (@nil: none)" },
    { "policy" }, { "no_answer_number_of_rings" }, { "hunt_after_no_answer" },
    { "forward_after_timeout" }, { "forward_timeout_seconds" }, { "forward_to_phone_number" },
  }),
  prepare = recipe.department(P .. ".department"),
  key = "service_user_id",
  example = "scripts/examples/hunt_groups_modify.csv",
}, arg or { ... })
