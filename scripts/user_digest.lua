-- user_digest: everything about one user (profile, services, devices, forwarding, hunt group and call center membership) as text, JSON or Markdown
--   ocip run user_digest USER_ID [--format text|json|md] [--out FILE] [flags]
-- Reads the user (UserGetRequest23V2), its services (UserServiceGetAssignmentListRequest),
-- its call forwarding (always, busy, no answer, not reachable), and the hunt groups and
-- call centers of its group that have it as an agent.
local ocip = require "ocip"
local pack = require "ocip.pack"
local walk = require "ocip.pack.walk"
local json = require "ocip.pack.json"

local p = pack.new{
  name = "user_digest",
  out = true,
  formats = { text = true, json = true, md = true }, format = "text",
  format_help = "text (default), json or md (Markdown)",
  options = { ["--user-id"] = { "user", "s" } }, -- --user is the connection's username
  args = { min = 0, max = 1, name = "USER_ID" },
  usage = [[
usage: ocip run user_digest USER_ID [--format text|json|md] [--out FILE] [flags]
  everything about one user: profile, services and service packs, devices, call
  forwarding, the hunt groups and call centers it is an agent of
  USER_ID     the user (or --user-id USER_ID)
  --format F  text (default), json (stable key order) or md (Markdown, for tickets and wikis)
  --out FILE  write there (appears when complete) instead of stdout
  exit: 0 done, 1 the user was not found (or a request failed), 2 usage, 3 could not connect]],
}
local o = p:parse(arg or { ... })
o.user = o.user or o.args[1]
if not o.user then p:die("missing USER_ID\n" .. p.help) end

if o.dry_run then
  p:settings(true)
  io.stdout:write(("dry run: would connect to %s and read user %s: UserGetRequest23V2, "
    .. "UserServiceGetAssignmentListRequest, UserCallForwarding{Always,Busy,NoAnswer,NotReachable}Get, "
    .. "the hunt groups and call centers of its group\n"):format(p:target(), o.user))
  os.exit(0)
end

local PROFILE = { "user_id", "service_provider_id", "group_id", "last_name", "first_name",
  "calling_line_id_last_name", "calling_line_id_first_name", "phone_number", "extension",
  "calling_line_id_phone_number", "email_address", "department", "title", "language", "time_zone",
  "default_alias", "alias", "mobile_phone_number", "pager_phone_number", "user_external_id" }
local FORWARDING = {
  { "always", "UserCallForwardingAlwaysGetRequest" },
  { "busy", "UserCallForwardingBusyGetRequest" },
  { "no_answer", "UserCallForwardingNoAnswerGetRequest13mp16" },
  { "not_reachable", "UserCallForwardingNotReachableGetRequest" },
}

local c = p:connect()
local u, err = c:UserGetRequest23V2{ user_id = o.user }
if not u then
  c:close()
  p:die(("%s: %s"):format(o.user, tostring(err.summary_english or err.summary or err)), pack.EXIT.failed)
end

local function fail(e) c:close() p:die(tostring(e), pack.EXIT.failed) end

-- profile
local profile = json.object(PROFILE)
for _, k in ipairs(PROFILE) do
  local v = u[k]
  if k == "department" and type(v) == "table" then v = v.name end
  if k == "alias" and v and #v == 0 then v = nil end
  if v ~= nil and v ~= ocip.NIL then profile[k] = v end
end

-- the rest at once: services, forwarding, the group's instances (for membership)
local svc, fwd, inst
local tasks = {
  function()
    local r, e = c:UserServiceGetAssignmentListRequest{ user_id = o.user }
    svc = r
    return r, e
  end,
  function()
    local r, e = ocip.gather(FORWARDING, function(f) return c:command(ocip.commands[f[2]]{ user_id = o.user }) end)
    fwd = { r, e }
    return true
  end,
  function()
    local r, e = walk.instances(c, u.service_provider_id, u.group_id)
    inst = r
    return r, e
  end,
}
local _, errs = ocip.gather(tasks, function(fn) return fn() end)
for i = 1, #tasks do if errs[i] then fail(errs[i]) end end

local services, packs = json.array(), json.array()
for _, row in ipairs(svc.user_services_assignment_table or {}) do
  if row.assigned == "true" or row.assigned == true then services[#services + 1] = row.service_name end
end
for _, row in ipairs(svc.service_packs_assignment_table or {}) do
  if row.assigned == "true" or row.assigned == true then packs[#packs + 1] = row.service_pack_name end
end

local devices = json.array()
local ep = u.access_device_endpoint
if type(ep) == "table" and ep.access_device then
  devices[1] = json.object({ "device_name", "device_level", "line_port" }, { device_name = ep.access_device.device_name,
    device_level = ep.access_device.device_level, line_port = ep.line_port })
end

local forwarding = json.object({ "always", "busy", "no_answer", "not_reachable" })
for i, f in ipairs(FORWARDING) do
  local r, e = fwd[1][i], fwd[2][i]
  if r then
    forwarding[f[1]] = json.object({ "active", "forward_to" },
      { active = r.is_active == true, forward_to = r.forward_to_phone_number })
  elseif type(e) == "table" and e.kind == "server" then -- e.g. the service is not assigned
    forwarding[f[1]] = json.object({ "active", "note" }, { active = false,
      note = tostring(e.summary_english or e.summary or e.message) })
  else
    fail(e)
  end
end

-- membership: the hunt groups and call centers of the group whose agents include the user
local teams = {}
for _, i in ipairs(inst) do if i.kind ~= "auto_attendant" then teams[#teams + 1] = i end end
local agents, aerr = walk.each(teams, function(i) return walk.agents(c, i) end)
if not agents then fail(aerr) end
c:close()
local hunt_groups, call_centers = json.array(), json.array()
for k, i in ipairs(teams) do
  for _, id in ipairs(agents[k]) do
    if id:lower() == o.user:lower() then
      local list = i.kind == "hunt_group" and hunt_groups or call_centers
      list[#list + 1] = json.object({ "id", "name", "phone_number", "extension" },
        { id = i.id, name = i.name, phone_number = i.phone_number, extension = i.extension })
      break
    end
  end
end

local digest = json.object({ "user", "services", "service_packs", "devices", "forwarding", "hunt_groups",
  "call_centers" }, { user = profile, services = services, service_packs = packs, devices = devices,
  forwarding = forwarding, hunt_groups = hunt_groups, call_centers = call_centers })

-- text and Markdown renderings of the same digest
local function value(v)
  if type(v) == "table" then return table.concat(v, ", ") end
  return tostring(v)
end

local function fwd_text(f)
  if f.note then return "n/a (" .. f.note .. ")" end
  return f.active and ("on -> " .. tostring(f.forward_to)) or "off"
end

local function render_text()
  local out = {}
  local function add(s) out[#out + 1] = s end
  add(("user %s (%s %s)"):format(o.user, profile.first_name or "", profile.last_name or ""))
  for _, k in ipairs(PROFILE) do
    if profile[k] ~= nil then add(("  %-28s %s"):format(k, value(profile[k]))) end
  end
  add(("services (%d)"):format(#services))
  for _, s in ipairs(services) do add("  " .. s) end
  add(("service packs (%d)"):format(#packs))
  for _, s in ipairs(packs) do add("  " .. s) end
  add(("devices (%d)"):format(#devices))
  for _, d in ipairs(devices) do add(("  %s  line/port %s"):format(d.device_name, tostring(d.line_port))) end
  add("forwarding")
  for _, f in ipairs(FORWARDING) do add(("  %-14s %s"):format(f[1], fwd_text(forwarding[f[1]]))) end
  for _, s in ipairs { { "hunt groups", hunt_groups }, { "call centers", call_centers } } do
    add(("%s (%d)"):format(s[1], #s[2]))
    for _, i in ipairs(s[2]) do add(("  %s  %s"):format(i.id, i.name or "")) end
  end
  return table.concat(out, "\n") .. "\n"
end

local function md(s) return (tostring(s):gsub("([|\\`*])", "\\%1"):gsub("\n", " ")) end

local function render_md()
  local out = {}
  local function add(s) out[#out + 1] = s end
  add(("# %s — %s %s"):format(md(o.user), md(profile.first_name or ""), md(profile.last_name or "")))
  add("")
  add("## Profile")
  add("")
  add("| field | value |")
  add("|---|---|")
  for _, k in ipairs(PROFILE) do
    if profile[k] ~= nil then add(("| %s | %s |"):format(k, md(value(profile[k])))) end
  end
  local function bullets(title, list)
    add("")
    add(("## %s (%d)"):format(title, #list))
    add("")
    if #list == 0 then add("none") end
    for _, s in ipairs(list) do add("- " .. md(s)) end
  end
  bullets("Services", services)
  bullets("Service packs", packs)
  add("")
  add(("## Devices (%d)"):format(#devices))
  add("")
  if #devices == 0 then add("none") else
    add("| device | level | line/port |")
    add("|---|---|---|")
    for _, d in ipairs(devices) do
      add(("| %s | %s | %s |"):format(md(d.device_name), md(d.device_level or ""), md(d.line_port or "")))
    end
  end
  add("")
  add("## Call forwarding")
  add("")
  add("| kind | state |")
  add("|---|---|")
  for _, f in ipairs(FORWARDING) do add(("| %s | %s |"):format(f[1], md(fwd_text(forwarding[f[1]])))) end
  for _, s in ipairs { { "Hunt groups", hunt_groups }, { "Call centers", call_centers } } do
    add("")
    add(("## %s (%d)"):format(s[1], #s[2]))
    add("")
    if #s[2] == 0 then add("none") else
      add("| id | name | phone number | extension |")
      add("|---|---|---|---|")
      for _, i in ipairs(s[2]) do
        add(("| %s | %s | %s | %s |"):format(md(i.id), md(i.name or ""), md(i.phone_number or ""), md(i.extension or "")))
      end
    end
  end
  return table.concat(out, "\n") .. "\n"
end

local text
if o.format == "json" then text = json.encode(digest) .. "\n"
elseif o.format == "md" then text = render_md()
else text = render_text() end

local ok, werr = json.write(o.out, text)
if not ok then p:die("--out: " .. tostring(werr), pack.EXIT.failed) end
os.exit(pack.EXIT.ok)
