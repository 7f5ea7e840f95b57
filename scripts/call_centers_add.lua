-- call_centers_add: add call centers, with their agents, from a CSV file
--   ocip run call_centers_add CALL_CENTERS.csv [--dry-run] [--report FILE] [--resume REPORT] [flags]
-- One GroupCallCenterAddInstanceRequest22 per row, then, for a row with agents,
-- GroupCallCenterModifyAgentListRequest. A call center already there is outcome
-- "exists" (its agents are left as they are).
local recipe = require "ocip.bulk.recipe"

local P = "service_instance_profile"

recipe.run({
  name = "call_centers_add",
  summary = "add call centers with their agents; one already there is \"exists\", not a failure",
  request = "GroupCallCenterAddInstanceRequest22",
  also = "then GroupCallCenterModifyAgentListRequest for its agents",
  columns = recipe.columns(recipe.GROUP, {
    { "service_user_id", required = true, doc = "the call center's user id (cc-help@example.net)" },
  }, recipe.profile(P, true), {
    { "password", path = P .. ".password", required = true, doc = "the call center's password" },
    { "agents", virtual = true, doc = "agent user ids, ;-separated" },
    { "type", doc = "Basic, Standard or Premium" },
    { "policy", doc = "Circular, Regular, Simultaneous, Uniform or Weighted" },
    { "queue_length" }, { "escape_digit" },
  }),
  prepare = recipe.department(P .. ".department"),
  defaults = {
    { P .. ".calling_line_id_last_name", from = P .. ".name" },
    { P .. ".calling_line_id_first_name", from = P .. ".name" },
    { "type", "Basic" }, { "policy", "Regular" }, { "enable_video", false }, { "queue_length", 10 },
    { "allow_caller_to_dial_escape_digit", false }, { "escape_digit", "0" },
    { "reset_call_statistics_upon_entry_in_queue", true }, { "allow_agent_logoff", true },
    { "allow_call_waiting_for_agents", false }, { "external_preferred_audio_codec", "None" },
    { "internal_preferred_audio_codec", "None" }, { "play_ringing_when_offering_call", true },
  },
  after = function(fields, extra)
    if not extra.agents then return end
    return { { "GroupCallCenterModifyAgentListRequest", { service_user_id = fields.service_user_id,
      agent_user_id_list = { user_id = recipe.list(extra.agents) } } } }
  end,
  key = "service_user_id",
  codes = recipe.EXISTS,
  example = "scripts/examples/call_centers_add.csv",
}, arg or { ... })
