-- call_centers_agents: change the agent lists of call centers from a CSV file
--   ocip run call_centers_agents AGENTS.csv [--dry-run] [--report FILE] [--resume REPORT] [flags]
-- Per row, one of: `agents` (the new list, replacing the old; @nil: none), or
-- `add_agents` / `remove_agents` (changes to the current list, read first with
-- GroupCallCenterGetAgentListRequest). Then GroupCallCenterModifyAgentListRequest.
local ocip = require "ocip"
local recipe = require "ocip.bulk.recipe"

local REQUEST = "GroupCallCenterModifyAgentListRequest"

-- the row's agent changes, checked like the request's own user ids
local function check(fields, extra)
  if fields.agent_user_id_list ~= nil and (extra.add_agents or extra.remove_agents) then
    return "agents replaces the list: give it, or add_agents / remove_agents, not both"
  end
  for _, col in ipairs { "add_agents", "remove_agents" } do
    if extra[col] then
      local ok, err = ocip.catalog.build(REQUEST, { service_user_id = fields.service_user_id,
        agent_user_id_list = { user_id = recipe.list(extra[col]) } })
      if not ok then return col .. ": " .. tostring(err.problems and err.problems[1].message or err) end
    end
  end
end

-- add/remove: read the current list, change it, send the new one
local function send(c, it)
  local add, remove = it.extra.add_agents, it.extra.remove_agents
  if not add and not remove then return c:command(it.req) end
  local id = it.fields.service_user_id
  local cur, err = c:GroupCallCenterGetAgentListRequest{ service_user_id = id }
  if not cur then return nil, err end
  local gone, list, seen = {}, {}, {}
  for _, u in ipairs(recipe.list(remove or "")) do gone[u:lower()] = true end
  local function keep(u)
    if not gone[u:lower()] and not seen[u:lower()] then seen[u:lower()] = true; list[#list + 1] = u end
  end
  for _, row in ipairs(cur.agent_table or {}) do if row.user_id then keep(row.user_id) end end
  for _, u in ipairs(recipe.list(add or "")) do keep(u) end
  return c:command(ocip.commands[REQUEST]{ service_user_id = id,
    agent_user_id_list = #list > 0 and { user_id = list } or ocip.NIL })
end

recipe.run({
  name = "call_centers_agents",
  summary = "set, add or remove call center agents",
  request = REQUEST,
  also = "with add_agents or remove_agents, GroupCallCenterGetAgentListRequest before it",
  columns = {
    { "service_user_id", required = true, doc = "the call center" },
    { "agents", path = "agent_user_id_list.user_id", clear = "agent_user_id_list",
      doc = "agent user ids, ;-separated: the new list (@nil: no agents)" },
    { "add_agents", virtual = true, doc = "agents to add to the current list, ;-separated" },
    { "remove_agents", virtual = true, doc = "agents to take off the current list, ;-separated" },
  },
  prepare = check,
  send = send,
  key = "service_user_id",
  example = "scripts/examples/call_centers_agents.csv",
}, arg or { ... })
