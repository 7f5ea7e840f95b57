-- A group holding one of every entity ocip snapshot covers, built with ordinary requests
-- (so it works on any server the client can reach, the simulator included):
--   seed.group(c, sp, group, opts) -> user ids (raises on the first refused request)
--   opts.users (default 12): users u01@<domain> ... with numbers, departments, a device,
--   aliases, an address, services; a hunt group and a call center with agents, an auto
--   attendant with menus, a pickup group. Returns the user ids.
local M = {}

local function must(r, err, what)
  if not r then error(what .. ": " .. tostring(err), 2) end
  return r
end

function M.group(c, sp, gid, opts)
  opts = opts or {}
  local n = opts.users or 12
  local domain = opts.domain or "example.net"
  local base = opts.first_number or 2025551000
  local function run(name, fields)
    local r, err = c:command(require("ocip").commands[name](fields))
    return must(r, err, name)
  end
  local g = { service_provider_id = sp, group_id = gid }
  local function ing(t)
    for k, v in pairs(g) do t[k] = v end
    return t
  end
  run("GroupAddRequest", ing { default_domain = domain, user_limit = 100, group_name = "Seeded " .. gid,
    calling_line_id_name = "Seeded", time_zone = "Europe/Paris",
    address = { address_line1 = "1 Rue de la Paix", city = "Paris", country = "France" } })
  run("GroupDepartmentAddRequest", ing { department_name = "Sales", calling_line_id_name = "Sales Dept" })
  run("GroupDepartmentAddRequest", ing { department_name = "Support", calling_line_id_name = "Support",
    parent_department_key = { _type = "GroupDepartmentKey", service_provider_id = sp, group_id = gid, name = "Sales" } })
  local numbers = {}
  for i = 0, n + 4 do numbers[#numbers + 1] = tostring(base + i) end
  run("GroupDnAssignListRequest", ing { phone_number = numbers })
  run("GroupAccessDeviceAddRequest22V2", ing { device_name = "desk-1", device_type = "Polycom VVX 400",
    mac_address = "00AABBCC0001", description = "Front desk" })
  run("GroupAccessDeviceAddRequest22V2", ing { device_name = "desk-2", device_type = "Polycom VVX 400" })
  local ids = {}
  for i = 1, n do
    local id = ("u%02d@%s"):format(i, domain)
    ids[i] = id
    local f = ing { user_id = id, last_name = "Last" .. i, first_name = i % 3 == 0 and "Zoë" or "First" .. i,
      calling_line_id_last_name = "Last" .. i, calling_line_id_first_name = "First" .. i,
      phone_number = numbers[i], extension = ("%04d"):format(1000 + i),
      email_address = ("u%02d@%s"):format(i, domain) }
    if i % 4 == 1 then
      f.department = { _type = "GroupDepartmentKey", service_provider_id = sp, group_id = gid,
        name = i % 8 == 1 and "Sales" or "Support" }
    end
    if i == 1 then
      f.access_device_endpoint = { access_device = { device_level = "Group", device_name = "desk-1" },
        line_port = "u01-line@" .. domain, use_hotline = false }
      f.alias = { "sip:first@" .. domain, "sip:boss@" .. domain }
      f.address = { city = "Lyon", country = "France" }
      f.title = "Head, \"Sales\""
    end
    run("UserAddRequest22V2", f)
    if i <= 3 then
      run("UserServiceAssignListRequest", { user_id = id, service_name = { "Call Waiting", "Call Forwarding Always" } })
    end
  end
  local profile = function(name, number)
    return { name = name, calling_line_id_last_name = name, calling_line_id_first_name = "Service",
      phone_number = number, extension = number:sub(-4) }
  end
  run("GroupHuntGroupAddInstanceRequest20", ing { service_user_id = "hunt@" .. domain,
    service_instance_profile = profile("Hunt", numbers[n + 1]), policy = "Regular",
    hunt_after_no_answer = true, no_answer_number_of_rings = 4, forward_after_timeout = false,
    forward_timeout_seconds = 30, allow_call_waiting_for_agents = false,
    use_system_hunt_group_clid_setting = true, include_hunt_group_name_in_clid = true,
    enable_not_reachable_forwarding = false, make_busy_when_not_reachable = false,
    allow_members_to_control_group_busy = false, enable_group_busy = false,
    apply_group_busy_when_terminating_to_agent = false,
    agent_user_id = { ids[3], ids[1], ids[2] } })
  local cc = profile("Queue", numbers[n + 2])
  cc.password = "Queue-Secret-1"
  run("GroupCallCenterAddInstanceRequest22", ing { service_user_id = "queue@" .. domain,
    service_instance_profile = cc, type = "Standard", policy = "Circular", enable_video = false,
    queue_length = 10, allow_caller_to_dial_escape_digit = false, escape_digit = "0",
    reset_call_statistics_upon_entry_in_queue = true, allow_agent_logoff = true,
    allow_call_waiting_for_agents = false, play_ringing_when_offering_call = true,
    external_preferred_audio_codec = "None", internal_preferred_audio_codec = "None" })
  run("GroupCallCenterModifyAgentListRequest", { service_user_id = "queue@" .. domain,
    agent_user_id_list = { user_id = { ids[4], ids[5] } } })
  run("GroupAutoAttendantAddInstanceRequest20", ing { service_user_id = "attendant@" .. domain,
    service_instance_profile = profile("Attendant", numbers[n + 3]), type = "Basic",
    first_digit_timeout_seconds = 3, enable_video = false, extension_dialing_scope = "Group",
    name_dialing_scope = "Group", name_dialing_entries = "LastName + FirstName",
    business_hours_menu = { announcement_selection = "Default", enable_first_menu_level_extension_dialing = true,
      key_configuration = {
        { key = "1", entry = { action = "Transfer To Operator", phone_number = numbers[1] } },
        { key = "2", entry = { action = "Transfer With Prompt", phone_number = numbers[2] } },
      } },
    after_hours_menu = { announcement_selection = "Default", enable_first_menu_level_extension_dialing = false } })
  run("GroupCallPickupAddInstanceRequest", ing { name = "Front office", user_id = { ids[6], ids[2] } })
  return ids
end

return M
