-- A modest seed of the other entities of sp1/g1 (`ocip sim --entities`,
-- `ocip.sim.start{ entities = true }`), on top of the seeded users, so that demos,
-- audits and snapshots have something to look at: departments, devices with users
-- on them, free numbers, hunt groups and a call center with agents, an auto
-- attendant with menus, a call pickup group, service assignments, call forwarding
-- and a group administrator. Deterministic (no randomness), built with the state's
-- own rules; the objects hold the fields their Add requests would carry.
local M = {}

local function profile(name, last, first, dn, ext)
  return { name = name, calling_line_id_last_name = last, calling_line_id_first_name = first,
    phone_number = dn, extension = ext }
end

local function hunt_group(uid, p, agents)
  return { kind = "hunt_group", user_id = uid, service_instance_profile = p, policy = "Circular",
    hunt_after_no_answer = true, no_answer_number_of_rings = 4, forward_after_timeout = false,
    forward_timeout_seconds = 0, agent_user_id = agents, allow_call_waiting_for_agents = false,
    use_system_hunt_group_clid_setting = true, include_hunt_group_name_in_clid = true,
    enable_not_reachable_forwarding = false, make_busy_when_not_reachable = false,
    allow_members_to_control_group_busy = false, enable_group_busy = false,
    apply_group_busy_when_terminating_to_agent = false }
end

local function key(k, description, action, dn)
  return { key = k, entry = { description = description, action = action, phone_number = dn } }
end

--- seed.entities(state): adds the entities to sp1/g1 (needs the seeded sp1/g1;
--- uses its first users as members, as many as there are). Returns true or nil, msg.
function M.entities(st)
  local g = st.sps.by.sp1 and st.sps.by.sp1.groups.by.g1
  if not g then return nil, "no sp1/g1 to seed" end
  local users = g.users.list
  local domain = g.domain
  local function ids(from, to)
    local out = {}
    for i = from, math.min(to, #users) do out[#out + 1] = users[i].user_id end
    return out
  end
  local function dept(name)
    return { _type = "GroupDepartmentKey", service_provider_id = "sp1", group_id = "g1", name = name }
  end

  -- numbers: the group's pool gets 10 more, the services take the first ones
  local base = st.next_dn + 100
  local dns = {}
  for i = 0, 9 do
    local dn = string.format("%d", base + i)
    dns[#dns + 1] = dn
    g.dns[dn] = true
  end
  st.next_dn = base + 10

  st:add_child(g, "departments", "Sales", { department_name = "Sales",
    calling_line_id_name = "Sales", calling_line_id_phone_number = dns[1] })
  st:add_child(g, "departments", "Support", { department_name = "Support",
    calling_line_id_name = "Support" })
  st:add_child(g, "departments", "Inside Sales", { department_name = "Inside Sales",
    parent_department_key = dept("Sales") })

  local types = { "Polycom VVX 400", "Yealink T46S", "Cisco 8841" }
  for i = 1, 3 do
    local name = string.format("g1-phone-%02d", i)
    st:add_child(g, "devices", name, { device_name = name, device_type = types[i],
      protocol = "SIP 2.0", mac_address = string.format("0004F2%06X", i),
      description = "Desk phone " .. i, transport_protocol = "UDP" })
    local u = users[i]
    if u then
      u.access_device_endpoint = { access_device = { device_level = "Group", device_name = name },
        line_port = u.user_id:gsub("@.*", "") .. "_lp@" .. domain, use_hotline = false }
    end
  end
  for i, d in ipairs { "Sales", "Sales", "Support", "Support", "Inside Sales" } do
    if users[i] then users[i].department = dept(d) end
  end

  st:add_service("sp1", "g1", hunt_group("hg-sales@" .. domain,
    profile("Sales Hunt", "Sales", "Hunt Group", dns[2], "7002"), ids(1, 3)))
  st:add_service("sp1", "g1", hunt_group("hg-support@" .. domain,
    profile("Support Hunt", "Support", "Hunt Group", dns[3], "7003"), ids(4, 5)))
  local cc_profile = profile("Support Queue", "Support", "Queue", dns[4], "7004")
  cc_profile.password = "Cc-seed-pw1"
  local agents = ids(3, 6)
  local skill = {}
  for i, a in ipairs(agents) do skill[a] = tostring(i) end
  st:add_service("sp1", "g1", { kind = "call_center", user_id = "cc-support@" .. domain,
    service_instance_profile = cc_profile, type = "Premium", policy = "Regular",
    enable_video = false, queue_length = 10, allow_caller_to_dial_escape_digit = true,
    escape_digit = "0", reset_call_statistics_upon_entry_in_queue = true,
    allow_agent_logoff = true, allow_call_waiting_for_agents = false,
    external_preferred_audio_codec = "None", internal_preferred_audio_codec = "None",
    play_ringing_when_offering_call = true, agent_user_id = agents, agent_skill = skill })
  local menu = { announcement_selection = "Default", enable_first_menu_level_extension_dialing = true,
    key_configuration = { key("0", "Operator", "Transfer To Operator", users[1] and
      users[1].phone_number or dns[2]), key("1", "Sales", "Transfer Without Prompt", dns[2]),
      key("2", "Support", "Transfer Without Prompt", dns[4]) } }
  local after = { announcement_selection = "Default", enable_first_menu_level_extension_dialing = false,
    key_configuration = { key("1", "Voicemail", "Transfer Without Prompt", dns[4]) } }
  st:add_service("sp1", "g1", { kind = "auto_attendant", user_id = "aa-main@" .. domain,
    service_instance_profile = profile("Main Menu", "Main", "Menu", dns[5], "7005"),
    type = "Standard", first_digit_timeout_seconds = 5, enable_video = false,
    extension_dialing_scope = "Group", name_dialing_scope = "Group",
    name_dialing_entries = "LastName + FirstName", business_hours_menu = menu,
    after_hours_menu = after })

  st:add_child(g, "pickups", "Front Office", { users = ids(1, 4) })

  g.sp.service_packs = g.sp.service_packs or {}
  g.sp.service_packs["Office Pack"] = { service_pack_name = "Office Pack",
    service_pack_description = "Forwarding, waiting, three-way", is_available_for_use = true,
    service_pack_quantity = { unlimited = true }, service_name = { "Call Forwarding Always",
      "Call Waiting", "Three-Way Call" } }

  for i = 1, math.min(5, #users) do
    local u = users[i]
    u.services = { ["Call Forwarding Always"] = true, ["Call Waiting"] = true,
      ["Three-Way Call"] = true }
    if i <= 2 then u.service_packs = { ["Office Pack"] = true } end
  end
  if users[2] then
    users[2].settings = { UserCallForwardingAlways = { is_active = true,
      forward_to_phone_number = dns[2], is_ring_splash_active = false } }
  end
  st:add_admin(g.admins, "group", { user_id = "g1-admin@" .. domain, service_provider_id = "sp1",
    group_id = "g1", last_name = "Admin", first_name = "Group", language = "English" })
  return true
end

return M
