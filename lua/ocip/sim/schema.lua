-- The catalog as the simulator needs it: cached type descriptions and, per
-- complex type, a flat ordered list of its elements (choices flattened; each
-- element knows whether it is required and which choice it belongs to).
local core = require "ocip.core"

local M = {}
local types, plans = {}, {}

--- schema.type(name) -> catalog description (cached) or nil
function M.type(name)
  local t = types[name]
  if t == nil then
    t = core.catalog_type(name) or false
    types[name] = t
  end
  return t or nil
end

-- Flattens the particle tree. `required` is true only when every enclosing group
-- is required and (for choices) the element is the only way to satisfy it.
local function flatten(p, out, required, choice)
  if p.kind == "element" then
    out[#out + 1] = {
      name = p.name, snake = p.snake, type = p.type,
      list = p.list or (p.max_occurs or 1) > 1,
      required = required and (p.min_occurs or 1) > 0, choice = choice,
      min = p.min_occurs or 1, nillable = p.nillable, default = p.default, fixed = p.fixed,
      columns = p.columns, -- OCITable headings from the catalog's column hints, or nil
    }
    return
  end
  local req = required and (p.min_occurs or 1) > 0
  if p.kind == "choice" then
    local group = { required = req, branches = {} }
    for _, item in ipairs(p.items or {}) do
      local first = #out + 1
      flatten(item, out, false, group)
      group.branches[#group.branches + 1] = { first = first, last = #out, item = item }
    end
    return
  end
  for _, item in ipairs(p.items or {}) do flatten(item, out, req, choice) end
end

--- schema.plan(name) -> { desc=, elements={...}, by_name=, by_snake=, required={...},
--- choices={...} } for a complex type (elements carry their open/close tags)
function M.plan(name)
  local plan = plans[name]
  if plan then return plan end
  local desc = M.type(name)
  if not desc then return nil end
  local elements = {}
  if desc.content then flatten(desc.content, elements, true, nil) end
  local by_name, by_snake, required = {}, {}, {}
  local groups, seen = {}, {}
  for _, e in ipairs(elements) do
    by_name[e.name] = e
    by_snake[e.snake] = e
    local t = e.type and M.type(e.type)
    e.simple = t and t.kind == "simple" or false
    e.prim = t and t.prim
    e.table = t and t.role == "table" or false
    e.abstract = t and t.abstract or false
    e.open, e.close = "<" .. e.name .. ">", "</" .. e.name .. ">"
    if e.required then required[#required + 1] = e end
    local c = e.choice
    if c and c.required and not seen[c] then
      seen[c] = true
      groups[#groups + 1] = c
    end
  end
  -- Per required choice: the element names that answer it, whether a branch may
  -- be empty, and the required elements of its first branch (generic.fill).
  for _, c in ipairs(groups) do
    c.names, c.emptiable, c.first_required = {}, false, {}
    for bi, br in ipairs(c.branches) do
      local all_optional = true
      for i = br.first, br.last do
        local e = elements[i]
        c.names[#c.names + 1] = e.name
        if (e.min or 1) > 0 then
          all_optional = false
          if bi == 1 then c.first_required[#c.first_required + 1] = e end
        end
      end
      if all_optional then c.emptiable = true end
    end
  end
  plan = { desc = desc, elements = elements, by_name = by_name, by_snake = by_snake,
    required = required, choices = groups }
  plans[name] = plan
  return plan
end

--- schema.response_of(request_name) -> response type name or nil
function M.response_of(name)
  local d = M.type(name)
  return d and d.role == "request" and (d.response or "SuccessResponse") or nil
end

return M
