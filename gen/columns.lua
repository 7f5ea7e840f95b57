-- Column hints (schemas/columns.lua): OCITable column headings keyed by
-- "Type.element". Loaded as pure data and checked against the model, so a hint
-- naming a type or element that does not exist (or is not a table) fails the
-- generator instead of rotting silently.
local M = {}

local function fail(fmt, ...) error(string.format(fmt, ...), 0) end

--- load(path) -> hints table (key -> array of headings); raises on bad data.
function M.load(path)
  local chunk, err = loadfile(path, "t", {})
  if not chunk then fail("columns: %s", tostring(err)) end
  local ok, hints = pcall(chunk)
  if not ok then fail("columns: %s: %s", path, tostring(hints)) end
  if type(hints) ~= "table" then fail("columns: %s must return a table", path) end
  return hints
end

-- The element named `elem` anywhere in type `name`'s flattened content (base
-- content first unless the type restricts its base), or nil.
local function find_element(defs, name, elem)
  local function in_particle(p)
    if not p then return nil end
    if p.kind == "element" then return p.name == elem and p or nil end
    for _, k in ipairs(p.kids) do
      local hit = in_particle(k)
      if hit then return hit end
    end
    return nil
  end
  local d, steps = defs[name], 0
  while d and steps < 64 do
    local hit = in_particle(d.model)
    if hit or d.restriction or not d.base then return hit end
    d, steps = defs[d.base], steps + 1
  end
  return nil
end

--- resolve(defs, hints) -> array of { type =, element =, columns = {...} } sorted by
--- (type, element); raises with the offending key when a hint does not fit the model.
function M.resolve(defs, hints)
  local out = {}
  for key, cols in pairs(hints) do
    if type(key) ~= "string" then fail("columns: key %s is not a string", tostring(key)) end
    local tname, elem = key:match("^([^.]+)%.([^.]+)$")
    if not tname then fail("columns: key %q is not \"Type.element\"", key) end
    local d = defs[tname]
    if not d then fail("columns: %q: no type %s in the schema", key, tname) end
    if d.kind ~= "complex" then fail("columns: %q: %s is not a complex type", key, tname) end
    local p = find_element(defs, tname, elem)
    if not p then fail("columns: %q: type %s has no element %s", key, tname, elem) end
    local et = defs[p.type]
    if not et or et.role ~= "table" then
      fail("columns: %q: element %s is of type %s, not OCITable", key, elem, tostring(p.type))
    end
    if type(cols) ~= "table" or #cols == 0 then
      fail("columns: %q: headings must be a non-empty array of strings", key)
    end
    local seen, n = {}, 0
    for k in pairs(cols) do
      if math.type(k) ~= "integer" or k < 1 or k > #cols then
        fail("columns: %q: headings must be an array (bad key %s)", key, tostring(k))
      end
      n = n + 1
    end
    if n ~= #cols then fail("columns: %q: headings array has holes", key) end
    for i, h in ipairs(cols) do
      if type(h) ~= "string" or h == "" or h:find("[%c]") then
        fail("columns: %q: heading %d must be a non-empty one-line string", key, i)
      end
      if seen[h] then fail("columns: %q: heading %q appears twice", key, h) end
      seen[h] = true
    end
    out[#out + 1] = { type = tname, element = elem, columns = cols }
  end
  table.sort(out, function(a, b)
    if a.type ~= b.type then return a.type < b.type end
    return a.element < b.element
  end)
  return out
end

return M
