-- The simulator's object model: system -> service providers/enterprises ->
-- groups -> users, devices, service instances (hunt groups, call centers, auto
-- attendants), call pickup groups, departments, phone numbers, administrators.
-- Functions return the object, or nil plus (code, message) for the server's rules.
local rng_mod = require "ocip.sim.rng"

local State = {}
State.__index = State

-- Ordered map: insertion order kept for listings; removal is O(n) of one container.
local function omap() return { list = {}, by = {} } end
local function oput(m, k, v) m.by[k] = v; m.list[#m.list + 1] = v end
local function odel(m, k, key_of)
  local v = m.by[k]
  if not v then return end
  m.by[k] = nil
  for i = #m.list, 1, -1 do
    if key_of(m.list[i]) == k then table.remove(m.list, i) break end
  end
  return v
end
State.omap, State.oput, State.odel = omap, oput, odel

local FIRST = { "Alice", "Bob", "Carol", "Dave", "Erin", "Frank", "Grace", "Heidi", "Ivan",
  "Judy", "Mallory", "Niaj", "Olivia", "Peggy", "Rupert", "Sybil", "Trent", "Uma", "Victor",
  "Walter", "Xena", "Yusuf", "Zoe", "Liam", "Mia", "Noah", "Emma", "Lucas", "Sofia", "Hugo" }
local LAST = { "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
  "Martin", "Lopez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "White",
  "Harris", "Clark", "Lewis", "Young", "Walker", "Hall", "Allen", "King", "Wright", "Scott",
  "Green", "Baker", "Adams", "Nelson", "Hill", "Campbell", "Mitchell", "Roberts", "Carter" }

--- State.new{users=N, seed=S, domain=, group_size=1000} -> state
function State.new(opts)
  opts = opts or {}
  local self = setmetatable({
    domain = opts.domain or "example.net",
    sps = omap(),        -- id -> service provider
    ids = {},            -- user ids and service user ids (one namespace) -> object
    system_admins = omap(),
    next_dn = 2025550000,
  }, State)
  self:seed(opts.users or 0, opts.seed or 1, opts.group_size or 1000)
  return self
end

-- Seeded data: one enterprise "sp1", groups g1..gK of <= group_size users each.
function State:seed(n, seed, group_size)
  local rng = rng_mod.new(seed)
  local sp = self:add_sp{ id = "sp1", name = "Simulated Enterprise", enterprise = true }
  local groups = math.max(1, (n + group_size - 1) // group_size)
  local domain = self.domain
  local ids = self.ids
  for gi = 1, groups do
    local g = self:add_group(sp.id, { id = "g" .. gi, name = "Group " .. gi,
      user_limit = math.max(group_size, 25) })
    local first = (gi - 1) * group_size + 1
    local last = math.min(n, gi * group_size)
    local list, by = g.users.list, g.users.by
    for i = first, last do
      local dn = tostring(self.next_dn + i)
      local fn, ln = FIRST[rng:int(1, #FIRST)], LAST[rng:int(1, #LAST)]
      local uid = string.format("user%06d@%s", i, domain)
      local u = {
        kind = "user", user_id = uid, sp = sp, group = g,
        last_name = ln, first_name = fn, calling_line_id_last_name = ln,
        calling_line_id_first_name = fn,
        phone_number = dn, extension = dn:sub(-4), activated = true,
        email_address = string.lower(fn .. "." .. ln .. i .. "@" .. domain),
      }
      list[#list + 1] = u
      by[uid] = u
      ids[uid] = u
      g.dns[dn] = u
    end
  end
  self.next_dn = self.next_dn + n + 1
end

local function err(code, msg) return nil, code, msg end

function State:sp(id)
  local sp = self.sps.by[id]
  if not sp then return err(4006, "Service Provider not found: " .. tostring(id)) end
  return sp
end

function State:group(sp_id, gid)
  local sp, c, m = self:sp(sp_id)
  if not sp then return nil, c, m end
  local g = sp.groups.by[gid]
  if not g then return err(4007, "Group not found: " .. tostring(gid)) end
  return g
end

function State:add_sp(o)
  if self.sps.by[o.id] then return err(4010, "Duplicate service provider: " .. o.id) end
  local sp = { kind = "sp", id = o.id, name = o.name, enterprise = o.enterprise and true or false,
    domain = o.domain or self.domain, groups = omap(), admins = omap(), dns = {},
    fields = o.fields or {} }
  oput(self.sps, o.id, sp)
  return sp
end

function State:delete_sp(id)
  local sp, c, m = self:sp(id)
  if not sp then return nil, c, m end
  for i = #sp.groups.list, 1, -1 do self:delete_group(id, sp.groups.list[i].id) end
  odel(self.sps, id, function(v) return v.id end)
  return true
end

function State:add_group(sp_id, o)
  local sp, c, m = self:sp(sp_id)
  if not sp then return nil, c, m end
  if sp.groups.by[o.id] then return err(4010, "Duplicate group: " .. o.id) end
  local g = { kind = "group", id = o.id, sp = sp, name = o.name, domain = o.domain or sp.domain,
    user_limit = o.user_limit or 100, users = omap(), devices = omap(), services = omap(),
    pickups = omap(), departments = omap(), admins = omap(), dns = {}, fields = o.fields or {} }
  oput(sp.groups, o.id, g)
  return g
end

function State:delete_group(sp_id, gid)
  local g, c, m = self:group(sp_id, gid)
  if not g then return nil, c, m end
  for _, u in ipairs(g.users.list) do self.ids[u.user_id] = nil end
  for _, s in ipairs(g.services.list) do self.ids[s.user_id] = nil end
  odel(g.sp.groups, gid, function(v) return v.id end)
  return true
end

function State:user(uid)
  local u = self.ids[uid]
  if not u or u.kind ~= "user" then return err(4008, "User not found: " .. tostring(uid)) end
  return u
end

-- o: fields of the user; a phone number must be free (or assigned to the group).
function State:add_user(sp_id, gid, o)
  local g, c, m = self:group(sp_id, gid)
  if not g then return nil, c, m end
  if self.ids[o.user_id] then return err(4010, "Duplicate user: " .. o.user_id) end
  if #g.users.list >= g.user_limit then
    return err(4130, "Group user limit reached: " .. gid)
  end
  if o.phone_number then
    local owner = g.dns[o.phone_number]
    if owner and owner ~= true then
      return err(4223, "Phone number already in use: " .. o.phone_number)
    end
  end
  local u = o
  u.kind, u.sp, u.group = "user", g.sp, g
  oput(g.users, u.user_id, u)
  self.ids[u.user_id] = u
  if u.phone_number then g.dns[u.phone_number] = u end
  return u
end

function State:delete_user(uid)
  local u, c, m = self:user(uid)
  if not u then return nil, c, m end
  local g = u.group
  odel(g.users, uid, function(v) return v.user_id end)
  if u.phone_number and g.dns[u.phone_number] == u then g.dns[u.phone_number] = true end
  self.ids[uid] = nil
  return true
end

-- Service instances (hunt group, call center, auto attendant) share the user id space.
function State:add_service(sp_id, gid, o)
  local g, c, m = self:group(sp_id, gid)
  if not g then return nil, c, m end
  if self.ids[o.user_id] then return err(4010, "Duplicate user: " .. o.user_id) end
  o.sp, o.group = g.sp, g
  oput(g.services, o.user_id, o)
  self.ids[o.user_id] = o
  if o.phone_number then g.dns[o.phone_number] = o end
  return o
end

function State:service(uid, kind)
  local s = self.ids[uid]
  if not s or s.kind ~= kind then return err(4008, "User not found: " .. tostring(uid)) end
  return s
end

function State:delete_service(uid, kind)
  local s, c, m = self:service(uid, kind)
  if not s then return nil, c, m end
  odel(s.group.services, uid, function(v) return v.user_id end)
  self.ids[uid] = nil
  return true
end

--- A named child of a group (devices, pickups, departments, admins).
function State:add_child(g, where, name, o)
  if g[where].by[name] then return err(4010, "Duplicate entry: " .. name) end
  o.name = name
  oput(g[where], name, o)
  return o
end

function State:child(g, where, name, what)
  local o = g[where].by[name]
  if not o then return err(4009, (what or "Entry") .. " not found: " .. tostring(name)) end
  return o
end

function State:delete_child(g, where, name, what)
  local o, c, m = self:child(g, where, name, what)
  if not o then return nil, c, m end
  odel(g[where], name, function(v) return v.name end)
  return true
end

--- Users of the system in order (sp, group, insertion), as an iterator.
function State:each_user(sp_id, gid)
  return coroutine.wrap(function()
    for _, sp in ipairs(self.sps.list) do
      if not sp_id or sp.id == sp_id then
        for _, g in ipairs(sp.groups.list) do
          if not gid or g.id == gid then
            for _, u in ipairs(g.users.list) do coroutine.yield(u) end
          end
        end
      end
    end
  end)
end

function State:count_users()
  local n = 0
  for _, sp in ipairs(self.sps.list) do
    for _, g in ipairs(sp.groups.list) do n = n + #g.users.list end
  end
  return n
end

--- state:load(data) adds objects from a plain table (the --state FILE format):
--- { service_providers = { { id=, name=, enterprise=, groups = { { id=, name=,
---   user_limit=, users = { { user_id=, last_name=, first_name=, phone_number=, ... } },
---   devices = { { device_name=, device_type= } } } } } } }
function State:load(data)
  for _, sp in ipairs(data.service_providers or {}) do
    local s = self.sps.by[sp.id]
    if not s then
      local c, m
      s, c, m = self:add_sp(sp)
      if not s then return nil, c, m end
    end
    for _, g in ipairs(sp.groups or {}) do
      local grp, c, m = self:add_group(sp.id, g)
      if not grp then return nil, c, m end
      for _, u in ipairs(g.users or {}) do
        local copy = {}
        for k, v in pairs(u) do copy[k] = v end
        local ok
        ok, c, m = self:add_user(sp.id, g.id, copy)
        if not ok then return nil, c, m end
      end
      for _, d in ipairs(g.devices or {}) do
        local copy = {}
        for k, v in pairs(d) do copy[k] = v end
        self:add_child(grp, "devices", d.device_name, copy)
      end
    end
  end
  return true
end

return State
