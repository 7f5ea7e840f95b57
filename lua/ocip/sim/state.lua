-- The simulator's object model: system -> resellers -> service providers/enterprises ->
-- groups -> users, devices, service instances (hunt groups, call centers, auto
-- attendants), call pickup groups, departments, phone numbers, administrators.
-- Functions return the object, or nil plus (code, message) for the server's rules.
local rng_mod = require "ocip.sim.rng"
local codes = require "ocip.sim.codes"

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
    resellers = omap(),  -- id -> reseller
    sps = omap(),        -- id -> service provider
    ids = {},            -- user ids, service user ids and admin ids (one namespace) -> object
    system_admins = omap(),
    settings = {},       -- system-level settings (ocip.sim.handlers.settings)
    next_dn = 2025550000,
  }, State)
  -- empty = true: no seeded data (a --state file supplies everything)
  if not opts.empty then self:seed(opts.users or 0, opts.seed or 1, opts.group_size or 1000) end
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
local function missing(kind, id) return nil, codes.not_found(kind, id) end
local function dup(what, id) return nil, codes.exists(what, id) end

function State:sp(id)
  local sp = self.sps.by[id]
  if not sp then return missing("sp", id) end
  return sp
end

-- (a real server names the group as SP:GROUP; a missing service provider is
-- reported as its own error)
function State:group(sp_id, gid)
  local sp, c, m = self:sp(sp_id)
  if not sp then return nil, c, m end
  local g = sp.groups.by[gid]
  if not g then return missing("group", tostring(sp_id) .. ":" .. tostring(gid)) end
  return g
end

-- Resellers: the level above service providers (R22+). A reseller with
-- service providers cannot be deleted.
function State:reseller(id)
  local r = self.resellers.by[id]
  if not r then return missing("reseller", id) end
  return r
end

function State:reseller_by_external(ext)
  for _, r in ipairs(self.resellers.list) do
    if ext ~= nil and r.external_id == ext then return r end
  end
  return missing("reseller", ext)
end

function State:add_reseller(o)
  if self.resellers.by[o.id] then return dup("reseller", o.id) end
  if o.external_id then
    for _, r in ipairs(self.resellers.list) do
      if r.external_id == o.external_id then
        return dup("reseller external id", o.external_id)
      end
    end
  end
  local r = { kind = "reseller", id = o.id, name = o.name, external_id = o.external_id,
    admins = omap() }
  oput(self.resellers, o.id, r)
  return r
end

function State:reseller_sps(id)
  local out = {}
  for _, sp in ipairs(self.sps.list) do
    if sp.reseller_id == id then out[#out + 1] = sp end
  end
  return out
end

function State:delete_reseller(id)
  local r, c, m = self:reseller(id)
  if not r then return nil, c, m end
  local sps = self:reseller_sps(id)
  if #sps > 0 then
    return err(codes.RESELLER_IN_USE, "Reseller " .. id .. " still has " .. #sps .. " service provider(s)")
  end
  for _, a in ipairs(r.admins.list) do self.ids[a.user_id] = nil end
  odel(self.resellers, id, function(v) return v.id end)
  return true
end

function State:add_sp(o)
  if self.sps.by[o.id] then return dup("service provider", o.id) end
  if o.reseller_id ~= nil then
    local r, c, m = self:reseller(o.reseller_id)
    if not r then return nil, c, m end
  end
  local sp = { kind = "sp", id = o.id, name = o.name, enterprise = o.enterprise and true or false,
    domain = o.domain or self.domain, groups = omap(), admins = omap(), dns = {},
    reseller_id = o.reseller_id, fields = o.fields or {}, settings = o.settings or {},
    service_packs = o.service_packs }
  oput(self.sps, o.id, sp)
  return sp
end

function State:delete_sp(id)
  local sp, c, m = self:sp(id)
  if not sp then return nil, c, m end
  for i = #sp.groups.list, 1, -1 do self:delete_group(id, sp.groups.list[i].id) end
  for _, a in ipairs(sp.admins.list) do self.ids[a.user_id] = nil end
  odel(self.sps, id, function(v) return v.id end)
  return true
end

-- Administrators: one id space with users. level: "system", "reseller",
-- "sp" or "group"; `where` is the ordered map of their parent.
function State:add_admin(where, level, o)
  if self.ids[o.user_id] then return dup("user id", o.user_id) end
  o.kind, o.level = "admin", level
  oput(where, o.user_id, o)
  self.ids[o.user_id] = o
  return o
end

function State:admin(uid, level)
  local a = self.ids[uid]
  if not a or a.kind ~= "admin" or (level and a.level ~= level) then
    return missing("admin", uid)
  end
  return a
end

-- The ordered map an admin lives in (nil when its parent is gone).
function State:admin_home(a)
  if a.level == "system" then return self.system_admins end
  if a.level == "reseller" then
    local r = self.resellers.by[a.reseller_id]
    return r and r.admins
  end
  local sp = self.sps.by[a.service_provider_id]
  if not sp then return nil end
  if a.level == "sp" then return sp.admins end
  local g = sp.groups.by[a.group_id]
  return g and g.admins
end

function State:delete_admin(uid, level)
  local a, c, m = self:admin(uid, level)
  if not a then return nil, c, m end
  local home = self:admin_home(a)
  if home then odel(home, uid, function(v) return v.user_id end) end
  self.ids[uid] = nil
  return true
end

--- every admin with a password: iterator of (user_id, password)
function State:admin_passwords()
  local out = {}
  for _, a in pairs(self.ids) do
    if a.kind == "admin" and a.password then out[a.user_id] = a.password end
  end
  return pairs(out)
end

function State:add_group(sp_id, o)
  local sp, c, m = self:sp(sp_id)
  if not sp then return nil, c, m end
  if sp.groups.by[o.id] then return dup("group", o.id) end
  local g = { kind = "group", id = o.id, sp = sp, name = o.name, domain = o.domain or sp.domain,
    user_limit = o.user_limit or 100, users = omap(), devices = omap(), services = omap(),
    pickups = omap(), departments = omap(), admins = omap(), dns = {}, fields = o.fields or {},
    settings = o.settings or {} }
  oput(sp.groups, o.id, g)
  return g
end

function State:delete_group(sp_id, gid)
  local g, c, m = self:group(sp_id, gid)
  if not g then return nil, c, m end
  for _, u in ipairs(g.users.list) do self.ids[u.user_id] = nil end
  for _, s in ipairs(g.services.list) do self.ids[s.user_id] = nil end
  for _, a in ipairs(g.admins.list) do self.ids[a.user_id] = nil end
  odel(g.sp.groups, gid, function(v) return v.id end)
  return true
end

function State:user(uid)
  local u = self.ids[uid]
  if not u or u.kind ~= "user" then return missing("user", uid) end
  return u
end

-- Phone numbers of a group: g.dns[dn] is true (assigned to the group, free) or
-- the user / service instance using it. A number not yet in the group's pool is
-- taken into it when a user or service instance gets it (the simulator is lenient
-- there: a real server wants GroupDnAssignListRequest first).
function State:check_dn(g, dn, owner)
  if dn == nil then return true end
  local o = g.dns[dn]
  if o and o ~= true and o ~= owner then
    return err(codes.DN_IN_USE, "Phone number already in use: " .. tostring(dn))
  end
  return true
end

function State:claim_dn(g, dn, owner)
  if dn ~= nil then g.dns[dn] = owner end
end

function State:release_dn(g, dn, owner)
  if dn ~= nil and g.dns[dn] == owner then g.dns[dn] = true end
end

-- Extension lengths a group accepts: from its GroupExtensionLength settings when
-- set (ocip.sim.handlers.settings), else 2..6 digits.
function State:extension_range(g)
  local s = g.settings and g.settings.GroupExtensionLength
  local lo = s and tonumber(s.min_extension_length) or 2
  local hi = s and tonumber(s.max_extension_length) or 6
  return lo, hi
end

function State:check_extension(g, ext)
  if ext == nil or type(ext) ~= "string" then return true end
  local lo, hi = self:extension_range(g)
  if not ext:find("^%d+$") or #ext < lo or #ext > hi then
    return err(codes.INVALID_EXTENSION, ("Invalid extension. The extension must be %d to %d "
      .. "digits long: %s"):format(lo, hi, ext))
  end
  return true
end

-- o: fields of the user; a phone number must be free (or assigned to the group).
function State:add_user(sp_id, gid, o)
  local g, c, m = self:group(sp_id, gid)
  if not g then return nil, c, m end
  if self.ids[o.user_id] then return dup("user", o.user_id) end
  if #g.users.list >= g.user_limit then
    return err(codes.USER_LIMIT, "Group user limit reached: " .. gid)
  end
  local ok
  ok, c, m = self:check_dn(g, o.phone_number)
  if not ok then return nil, c, m end
  ok, c, m = self:check_extension(g, o.extension)
  if not ok then return nil, c, m end
  local u = o
  u.kind, u.sp, u.group = "user", g.sp, g
  oput(g.users, u.user_id, u)
  self.ids[u.user_id] = u
  self:claim_dn(g, u.phone_number, u)
  return u
end

-- Removes uid from the member lists of the group (hunt group and call center
-- agents, call pickup groups), as a server does when the user goes.
local function drop_member(g, uid)
  local function without(list)
    if type(list) ~= "table" then return list end
    for i = #list, 1, -1 do
      if list[i] == uid then table.remove(list, i) end
    end
    return list
  end
  for _, s in ipairs(g.services.list) do
    without(s.agent_user_id)
    if s.agent_skill then s.agent_skill[uid] = nil end
  end
  for _, p in ipairs(g.pickups.list) do without(p.users) end
end

function State:delete_user(uid)
  local u, c, m = self:user(uid)
  if not u then return nil, c, m end
  local g = u.group
  odel(g.users, uid, function(v) return v.user_id end)
  self:release_dn(g, u.phone_number, u)
  drop_member(g, uid)
  self.ids[uid] = nil
  return true
end

--- The phone number of a service instance (in its profile).
function State.service_dn(s)
  local p = s.service_instance_profile
  return type(p) == "table" and p.phone_number or nil
end

-- Service instances (hunt group, call center, auto attendant) share the user id space.
function State:add_service(sp_id, gid, o)
  local g, c, m = self:group(sp_id, gid)
  if not g then return nil, c, m end
  if self.ids[o.user_id] then return dup("user", o.user_id) end
  local p = type(o.service_instance_profile) == "table" and o.service_instance_profile or {}
  local ok
  ok, c, m = self:check_dn(g, p.phone_number)
  if not ok then return nil, c, m end
  ok, c, m = self:check_extension(g, p.extension)
  if not ok then return nil, c, m end
  o.phone_number = nil -- (older state files kept a copy here; the profile holds it)
  o.sp, o.group = g.sp, g
  oput(g.services, o.user_id, o)
  self.ids[o.user_id] = o
  self:claim_dn(g, p.phone_number, o)
  return o
end

function State:service(uid, kind)
  local s = self.ids[uid]
  if not s or s.kind ~= kind then return missing("user", uid) end
  return s
end

function State:delete_service(uid, kind)
  local s, c, m = self:service(uid, kind)
  if not s then return nil, c, m end
  odel(s.group.services, uid, function(v) return v.user_id end)
  self:release_dn(s.group, State.service_dn(s), s)
  self.ids[uid] = nil
  return true
end

-- What each kind of named group child is called in "already exists" texts.
local CHILD_WHAT = { devices = "access device", pickups = "call pickup group",
  departments = "department" }
local CHILD_KIND = { devices = "device", pickups = "pickup", departments = "department" }

--- A named child of a group (devices, pickups, departments).
function State:add_child(g, where, name, o)
  if g[where].by[name] then return dup(CHILD_WHAT[where] or "entry", name) end
  o.name = name
  oput(g[where], name, o)
  return o
end

function State:child(g, where, name)
  local o = g[where].by[name]
  if not o then return missing(CHILD_KIND[where] or "entry", name) end
  return o
end

--- Renames a named child (keeps its place in the listing).
function State:rename_child(g, where, old, new)
  local m = g[where]
  local o = m.by[old]
  if not o then return missing(CHILD_KIND[where] or "entry", old) end
  if new == old then return o end
  if m.by[new] then return dup(CHILD_WHAT[where] or "entry", new) end
  m.by[old], m.by[new] = nil, o
  o.name = new
  return o
end

function State:delete_child(g, where, name)
  local o, c, m = self:child(g, where, name)
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

local function copy(o)
  local c = {}
  for k, v in pairs(o) do c[k] = v end
  return c
end

local function load_admins(self, where, level, list)
  for _, a in ipairs(list or {}) do
    local ok, c, m = self:add_admin(where, level, copy(a))
    if not ok then return nil, c, m end
  end
  return true
end

local function load_group(self, sp, g)
  local grp, c, m = self:add_group(sp.id, g)
  if not grp then return nil, c, m end
  for _, u in ipairs(g.users or {}) do
    local ok
    ok, c, m = self:add_user(sp.id, g.id, copy(u))
    if not ok then return nil, c, m end
  end
  for _, s in ipairs(g.services or {}) do
    local ok
    ok, c, m = self:add_service(sp.id, g.id, copy(s))
    if not ok then return nil, c, m end
  end
  for what, key in pairs { devices = "device_name", pickups = "name", departments = "name" } do
    for _, o in ipairs(g[what] or {}) do
      local ok
      ok, c, m = self:add_child(grp, what, o[key] or o.name, copy(o))
      if not ok then return nil, c, m end
    end
  end
  for _, dn in ipairs(g.dns or {}) do
    if grp.dns[dn] == nil then grp.dns[dn] = true end
  end
  return load_admins(self, grp.admins, "group", g.admins)
end

--- state:load(data) adds objects from a plain table (the --state FILE format,
--- ocip.sim.persist; docs/SIMULATOR.md): { format = 1, next_dn =, resellers = {
--- { id=, name=, external_id=, admins = {...} } }, system_admins = {...},
--- service_providers = { { id=, name=, enterprise=, domain=, reseller_id=, fields=,
--- dns=, admins=, groups = { { id=, name=, user_limit=, fields=, dns=, users=,
--- devices=, services=, pickups=, departments=, admins= } } } } }.
--- Every key but the ids is optional. Returns true or nil, code, message.
function State:load(data)
  local c, m
  for _, r in ipairs(data.resellers or {}) do
    local res = self.resellers.by[r.id]
    if not res then
      res, c, m = self:add_reseller(r)
      if not res then return nil, c, m end
    end
    local ok
    ok, c, m = load_admins(self, res.admins, "reseller", r.admins)
    if not ok then return nil, c, m end
  end
  local ok
  ok, c, m = load_admins(self, self.system_admins, "system", data.system_admins)
  if not ok then return nil, c, m end
  for _, sp in ipairs(data.service_providers or {}) do
    local s = self.sps.by[sp.id]
    if not s then
      s, c, m = self:add_sp(sp)
      if not s then return nil, c, m end
    end
    for _, dn in ipairs(sp.dns or {}) do s.dns[dn] = true end
    ok, c, m = load_admins(self, s.admins, "sp", sp.admins)
    if not ok then return nil, c, m end
    for _, g in ipairs(sp.groups or {}) do
      ok, c, m = load_group(self, s, g)
      if not ok then return nil, c, m end
    end
  end
  if type(data.settings) == "table" then self.settings = data.settings end
  if math.type(data.next_dn) == "integer" and data.next_dn > self.next_dn then
    self.next_dn = data.next_dn
  end
  return true
end

return State
