-- hunt_groups_add: add hunt groups, with their agents, from a CSV file
--   ocip run hunt_groups_add HUNT_GROUPS.csv [--dry-run] [--report FILE] [--resume REPORT] [flags]
-- One GroupHuntGroupAddInstanceRequest20 per row; the schema's many required settings
-- get the defaults listed by --help. A hunt group already there is outcome "exists".
local recipe = require "ocip.bulk.recipe"

local P = "service_instance_profile"

recipe.run({
  name = "hunt_groups_add",
  summary = "add hunt groups with their agents; one already there is \"exists\", not a failure",
  request = "GroupHuntGroupAddInstanceRequest20",
  columns = recipe.columns(recipe.GROUP, {
    { "service_user_id", required = true, doc = "the hunt group's user id (hg-sales@example.net)" },
  }, recipe.profile(P, true), {
    { "agents", path = "agent_user_id", doc = "agent user ids, ;-separated, in hunt order" },
    { "policy", doc = "Circular, Regular, Simultaneous, Uniform or Weighted" },
    { "no_answer_number_of_rings" }, { "hunt_after_no_answer" },
    { "forward_after_timeout" }, { "forward_timeout_seconds" }, { "forward_to_phone_number" },
  }),
  prepare = recipe.department(P .. ".department"),
  defaults = {
    { P .. ".calling_line_id_last_name", from = P .. ".name" },
    { P .. ".calling_line_id_first_name", from = P .. ".name" },
    { "policy", "Regular" }, { "hunt_after_no_answer", false }, { "no_answer_number_of_rings", 5 },
    { "forward_after_timeout", false }, { "forward_timeout_seconds", 0 },
    { "allow_call_waiting_for_agents", false }, { "use_system_hunt_group_clid_setting", true },
    { "include_hunt_group_name_in_clid", true }, { "enable_not_reachable_forwarding", false },
    { "make_busy_when_not_reachable", false }, { "allow_members_to_control_group_busy", false },
    { "enable_group_busy", false }, { "apply_group_busy_when_terminating_to_agent", false },
  },
  key = "service_user_id",
  codes = recipe.EXISTS,
  example = "scripts/examples/hunt_groups_add.csv",
}, arg or { ... })
