-- Lays the model out as the flat arrays of runtime/catalog.h: string pool,
-- types sorted by name, particles, children, enums, patterns, subs, requests,
-- column hints (sorted by type index, then element name) and their headings.
local model = require "model"

local M = {}

local NONE = 0xFFFFFFFF
local ROLE = { data = 0, request = 1, response = 2, table = 3, base = 4 }
local TF = { abstract = 1, length = 2, minLength = 4, maxLength = 8,
             minInclusive = 16, maxInclusive = 32, ws_preserve = 64, deprecated = 128 }
local PF_NILLABLE, PF_LIST = 1, 2
local PART = { element = 0, sequence = 1, choice = 2 }

local function fail(fmt, ...) error(string.format(fmt, ...), 0) end

local function int32(v, what)
  local n = math.tointeger(tonumber(v))
  if not n or n < 0 or n > 0x7FFFFFFF then fail("%s: bad integer facet %q", what, tostring(v)) end
  return n
end

function M.layout(defs, overlay, hints)
  local out = {
    strings = {}, string_size = 0, types = {}, particles = {}, children = {},
    enums = {}, patterns = {}, subs = {}, requests = {}, hints = {}, columns = {}, warnings = {},
    counts = { requests = 0, deprecated = 0, responses = 0, data_responses = 0, data_types = 0,
               simple_types = 0, enum_types = 0, choices = 0, tables = 0, particles = 0 },
  }
  local pool = {}
  local function str(s)
    if s == nil then return NONE end
    local off = pool[s]
    if off then return off end
    off = out.string_size
    pool[s] = off
    out.strings[#out.strings + 1] = s
    out.string_size = off + #s + 1
    return off
  end

  local names = {}
  for n in pairs(defs) do names[#names + 1] = n end
  table.sort(names)
  local index = {}
  for i, n in ipairs(names) do
    index[n] = i - 1
    str(n)
  end

  -- Element particles are shared between types when identical (hash-consed):
  -- a particle index names a description, not a position.
  local element_memo = {}
  local particles, children = out.particles, out.children
  local function add_particle(p)
    particles[#particles + 1] = p
    return #particles - 1
  end
  local function add_children(list)
    local first = #children
    for _, c in ipairs(list) do children[#children + 1] = c end
    return first, #list
  end

  local snake_override = overlay.snake or {}
  local particle
  particle = function(p, in_list, owner)
    if p.kind == "element" then
      if p.type == "OCITable" then out.counts.tables = out.counts.tables + 1 end
      local flags = 0
      if p.nillable then flags = flags | PF_NILLABLE end
      if in_list or p.max > 1 then flags = flags | PF_LIST end
      local sn = snake_override[owner .. "." .. p.name] or model.snake(p.name)
      local key = table.concat({ flags, p.min, p.max, p.name, sn, p.type,
                                 p.default or "\1", p.fixed or "\1" }, "\0")
      local idx = element_memo[key]
      if idx then return idx end
      idx = add_particle({ kind = 0, flags = flags, min = p.min, max = p.max,
        name = str(p.name), snake = str(sn), type = index[p.type],
        dflt = str(p.default), fixed = str(p.fixed), first = NONE, count = 0 })
      element_memo[key] = idx
      return idx
    end
    if p.kind == "choice" then out.counts.choices = out.counts.choices + 1 end
    local ctx = in_list or p.max > 1
    local kids = {}
    for i, k in ipairs(p.kids) do kids[i] = particle(k, ctx, owner) end
    local first, count = add_children(kids)
    return add_particle({ kind = PART[p.kind], flags = 0, min = p.min, max = p.max,
      name = NONE, snake = NONE, type = NONE, dflt = NONE, fixed = NONE,
      first = first, count = count })
  end

  -- Flattened content: base's top-level children first, then our own model
  -- (its top sequence spliced in when it occurs exactly once).
  local flat = {}
  local function flatten(name)
    if flat[name] then return flat[name] end
    local d = defs[name]
    local list = {}
    if d.base and not d.restriction then
      for _, c in ipairs(flatten(d.base)) do list[#list + 1] = c end
    end
    local m = d.model
    if m then
      if m.kind == "sequence" and m.min == 1 and m.max == 1 then
        for _, k in ipairs(m.kids) do list[#list + 1] = particle(k, false, name) end
      else
        list[#list + 1] = particle(m, false, name)
      end
    end
    flat[name] = list
    return list
  end

  -- Snake-name collisions inside one flattened model.
  local function walk_elements(idx, fn)
    local p = particles[idx + 1]
    if p.kind == 0 then fn(p) return end
    for i = p.first, p.first + p.count - 1 do walk_elements(children[i + 1], fn) end
  end

  -- Concrete descendants of every abstract type.
  local subs_of = {}
  for _, n in ipairs(names) do
    local d = defs[n]
    if d.kind == "complex" and not d.abstract then
      for _, a in ipairs(d.chain) do
        if a ~= n and defs[a].abstract then
          subs_of[a] = subs_of[a] or {}
          table.insert(subs_of[a], index[n])
        end
      end
    end
  end

  local c = out.counts
  for i, n in ipairs(names) do
    local d = defs[n]
    local t = { name = index[n], kind = 0, prim = 0, role = 0, flags = 0, base = NONE,
      length = 0, min_length = 0, max_length = 0, min_incl = NONE, max_incl = NONE,
      enum_first = 0, enum_count = 0, pattern_first = 0, pattern_count = 0,
      content = NONE, subs_first = 0, subs_count = 0, response = NONE }
    t.name = str(n)
    if d.kind == "simple" then
      t.prim = d.prim
      if not d.builtin then
        c.simple_types = c.simple_types + 1
        t.base = index[d.base]
        local e = d.eff
        if e.length then t.flags = t.flags | TF.length; t.length = int32(e.length, n) end
        if e.minLength then t.flags = t.flags | TF.minLength; t.min_length = int32(e.minLength, n) end
        if e.maxLength then t.flags = t.flags | TF.maxLength; t.max_length = int32(e.maxLength, n) end
        if e.minInclusive then t.flags = t.flags | TF.minInclusive; t.min_incl = str(e.minInclusive) end
        if e.maxInclusive then t.flags = t.flags | TF.maxInclusive; t.max_incl = str(e.maxInclusive) end
        if e.whiteSpace == "preserve" then t.flags = t.flags | TF.ws_preserve end
        if d.eff_enums then
          if d.enums then c.enum_types = c.enum_types + 1 end
          t.enum_first, t.enum_count = #out.enums, #d.eff_enums
          for _, v in ipairs(d.eff_enums) do out.enums[#out.enums + 1] = str(v) end
        end
        if #d.eff_patterns > 0 then
          t.pattern_first, t.pattern_count = #out.patterns, #d.eff_patterns
          for _, v in ipairs(d.eff_patterns) do out.patterns[#out.patterns + 1] = str(v) end
        end
      end
    else
      t.kind = 1
      t.role = ROLE[d.role]
      if d.abstract then t.flags = t.flags | TF.abstract end
      if d.base then t.base = index[d.base] end
      local list = flatten(n)
      if #list > 0 then
        local first, count = add_children(list)
        t.content = add_particle({ kind = 1, flags = 0, min = 1, max = 1, name = NONE,
          snake = NONE, type = NONE, dflt = NONE, fixed = NONE, first = first, count = count })
        local seen = {}
        walk_elements(t.content, function(p)
          if seen[p.snake] and seen[p.snake] ~= p.name then
            out.warnings[#out.warnings + 1] = "snake-name collision in " .. n
          end
          seen[p.snake] = p.name
        end)
      end
      local s = subs_of[n]
      if s then
        t.subs_first, t.subs_count = #out.subs, #s
        for _, v in ipairs(s) do out.subs[#out.subs + 1] = v end
      end
      if d.role == "request" then
        c.requests = c.requests + 1
        if d.deprecated then
          t.flags = t.flags | TF.deprecated
          c.deprecated = c.deprecated + 1
        end
        t.response = index[d.response]
        out.requests[#out.requests + 1] = i - 1
      elseif d.role == "response" then
        c.responses = c.responses + 1
        if d.ancestors.OCIDataResponse then c.data_responses = c.data_responses + 1 end
      elseif d.role == "data" then
        c.data_types = c.data_types + 1
      end
    end
    out.types[i] = t
  end
  c.particles = #particles

  -- Column hints last, so their strings never move the offsets of the XSD facts.
  -- `hints` (gen/columns.lua resolve) is already sorted by (type name, element).
  for _, h in ipairs(hints or {}) do
    local first = #out.columns
    for _, col in ipairs(h.columns) do out.columns[#out.columns + 1] = str(col) end
    out.hints[#out.hints + 1] = { type = index[h.type], elem = str(h.element),
      first = first, count = #h.columns, key = h.type .. "." .. h.element }
  end
  c.hints = #out.hints
  return out
end

return M
