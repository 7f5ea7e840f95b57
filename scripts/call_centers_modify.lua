-- call_centers_modify: change call centers (settings, agents) from a CSV file
--   ocip run call_centers_modify CALL_CENTERS.csv [--dry-run] [--report FILE] [flags]
-- One GroupCallCenterModifyInstanceRequest22 per row: only the columns given change;
-- `agents` replaces the agent list (then GroupCallCenterModifyAgentListRequest).
local recipe = require "ocip.bulk.recipe"

local P = "service_instance_profile"

recipe.run({
  name = "call_centers_modify",
  summary = "change call centers: only the columns given change; agents replaces the agent list",
  request = "GroupCallCenterModifyInstanceRequest22",
  also = "then GroupCallCenterModifyAgentListRequest when agents is given",
  columns = recipe.columns({
    { "service_user_id", required = true, doc = "the call center to change" },
  }, recipe.profile(P, false), {
    { "service_provider_id", virtual = true, doc = "the call center's service provider (for department)" },
    { "group_id", virtual = true, doc = "the call center's group (for department)" },
    { "agents", virtual = true, doc = "agent user ids, ;-separated: the new agent list (@nil: none)" },
    { "type" }, { "policy" }, { "queue_length" }, { "escape_digit" },
  }),
  prepare = recipe.department(P .. ".department"),
  after = function(fields, extra)
    if not extra.agents then return end
    local list = extra.agents == "@nil" and recipe.NIL or { user_id = recipe.list(extra.agents) }
    return { { "GroupCallCenterModifyAgentListRequest",
      { service_user_id = fields.service_user_id, agent_user_id_list = list } } }
  end,
  key = "service_user_id",
  example = "scripts/examples/call_centers_modify.csv",
}, arg or { ... })
