-- ocip.config.read: the live configuration of a group, in the shape of a configuration
-- file (ocip.config.file): every entity read with its Get request (and the requests of
-- its extras), kept to the fields an Add or Modify request can set (ocip.config.shape).
--   read.group(c, target, opts) -> state | nil, err
--     target = { service_provider_id =, group_id = }; opts.concurrency (default 16)
--     state = { format = 1, group = target, profile = {...}, departments = { [id] = rec },
--               numbers = { [dn] = {} }, devices, users, hunt_groups, call_centers,
--               auto_attendants, pickup_groups }; state.missing = true (and no sections)
--               when the group does not exist
--   read.entity(c, target, kind, id) -> record | nil, err   (one entity)
local ocip = require "ocip"
local kinds = require "ocip.config.kinds"
local shape = require "ocip.config.shape"
local Error = require "ocip.error"

local M = {}

M.FORMAT = 1

local function context(err, what)
  if type(err) ~= "table" then err = Error.new("protocol", tostring(err)) end
  return Error.new(err.kind or "protocol", what .. ": " .. tostring(err.summary_english or err.summary
    or err.message), { code = err.code, detail = err.detail })
end

-- A Get response as a file record: ids out, settable fields only, extras merged in.
local function record(kind, resp, target)
  local src = {}
  for k, v in pairs(resp) do
    if k ~= "service_provider_id" and k ~= "group_id" and k ~= kind.key and k ~= "_type" then src[k] = v end
  end
  local types = { kind.add }
  if kind.modify then types[2] = kind.modify end
  return shape.project(src, types, target) or {}
end

function M.entity(c, target, kind, id)
  if kind.plain then return {} end
  local req, err = ocip.catalog.build(kind.get, kinds.ids(kind, target, id, kind.get))
  if not req then return nil, err end
  local resp
  resp, err = c:command(req)
  if not resp then return nil, err end
  local rec = record(kind, resp, target)
  local ex = kind.extras
  if ex then
    for f in pairs(ex.fields) do rec[f] = nil end
    local more
    more, err = ex.read(c, target, id, resp)
    if not more then return nil, err end
    for f, v in pairs(more) do
      if type(v) ~= "table" or v[1] ~= nil then rec[f] = v end -- an empty list: absent
    end
  end
  return rec
end

function M.group(c, target, opts)
  opts = opts or {}
  local state = { format = M.FORMAT, group = { service_provider_id = target.service_provider_id,
    group_id = target.group_id } }
  local g = kinds.GROUP
  local resp, err = c:command(ocip.catalog.commands[g.get](kinds.ids(g, target, nil, g.get)))
  if not resp then
    if kinds.group_not_found(err) then
      state.missing = true
      return state
    end
    return nil, context(err, "reading group " .. target.service_provider_id .. "/" .. target.group_id)
  end
  state.profile = record(g, resp, target)

  local lists, lerrs = ocip.gather(kinds.LIST, function(k) return k.list(c, target) end,
    { limit = #kinds.LIST })
  local items = {}
  for i, k in ipairs(kinds.LIST) do
    if not lists[i] then return nil, context(lerrs[i], "listing " .. k.section) end
    state[k.section] = {}
    for _, id in ipairs(lists[i]) do items[#items + 1] = { kind = k, id = id } end
  end
  local recs, errs = ocip.gather(items, function(it) return M.entity(c, target, it.kind, it.id) end,
    { limit = opts.concurrency or 16 })
  for i, it in ipairs(items) do
    if not recs[i] then return nil, context(errs[i], "reading " .. it.kind.label .. " " .. tostring(it.id)) end
    state[it.kind.section][it.id] = recs[i]
  end
  return state
end

return M
