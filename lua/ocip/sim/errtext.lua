-- Validation error texts as a server writes them: the validator (ocip.validate,
-- made for the Lua API) names fields in snake_case (`plain_text_password`); a
-- BroadWorks server names XML elements (`plainTextPassword`). The path is walked
-- through the schema (and the request's own values, for xsi:type subtypes), so
-- every known element gets its exact XML name; unknown ones are camel-cased back.
local schema = require "ocip.sim.schema"

local M = {}

-- "foo_bar_2" -> "fooBar2": the decoder's snake name of an element the catalog
-- does not know, back to the usual lowerCamel of OCI element names
local function camel(s)
  return (s:gsub("_(%w)", string.upper))
end

local function element(tname, key)
  local plan = tname and schema.plan(tname)
  return plan and (plan.by_snake[key] or plan.by_name[key])
end

-- Walks `field` ("Req.a.b[2].c") from request `name` with value `cmd`. Returns the
-- path with XML names and the types met (the last one: the failing field's parent).
local function walk(name, cmd, field)
  local out, types = {}, {}
  local tname, value = name, cmd
  local first = true
  for seg in field:gmatch("[^%.]+") do
    if first then
      out[1] = seg
      first = false
    else
      local key, idx = seg:match("^([^%[]+)(.*)$")
      types[#types + 1] = tname
      local e = element(tname, key)
      out[#out + 1] = (e and e.name or camel(key)) .. idx
      local v = type(value) == "table" and (value[key] or (e and value[e.name])) or nil
      local i = idx:match("%[(%d+)%]")
      if i and type(v) == "table" then v = v[tonumber(i)] end
      tname = type(v) == "table" and v._type or (e and e.type)
      value = v
    end
  end
  types[#types + 1] = tname
  return table.concat(out, "."), types
end

-- fn applied to the parts of s outside double quotes (values the validator quotes
-- with %q stay as they were sent)
local function outside_quotes(s, fn)
  local out, pos = {}, 1
  while pos <= #s do
    local a = s:find('"', pos, true)
    if not a then out[#out + 1] = fn(s:sub(pos)) break end
    local b = s:find('"', a + 1, true) or #s
    out[#out + 1] = fn(s:sub(pos, a - 1))
    out[#out + 1] = s:sub(a, b)
    pos = b + 1
  end
  return table.concat(out)
end

-- One problem's text with XML names.
local function problem(name, cmd, err)
  local msg = type(err) == "table" and (err.message or tostring(err)) or tostring(err or "invalid")
  local field = type(err) == "table" and err.field
  if type(field) ~= "string" or msg:sub(1, #field + 2) ~= field .. ": " then
    field = msg:match("^([%w_%.%[%]]+): ")
    if not field then return msg end
  end
  local path, types = walk(name, cmd, field)
  -- snake words in the rest name siblings of the failing field (choices) or its
  -- children: look them up from the innermost type outwards
  local function xml_names(text)
    return (text:gsub("%f[%w_]%l[%w]*_[%w_]+", function(word)
      for i = #types, 1, -1 do
        local e = element(types[i], word)
        if e then return e.name end
      end
      return camel(word)
    end))
  end
  return path .. ": " .. outside_quotes(msg:sub(#field + 3), xml_names)
end

--- errtext.validation(name, cmd, err) -> the validator's message for request
--- `name` (decoded `cmd`) with XML element names instead of snake_case keys: one
--- line per problem when there are several (err.problems).
function M.validation(name, cmd, err)
  local list = type(err) == "table" and type(err.problems) == "table" and err.problems
  if not list or #list < 2 then return problem(name, cmd, err) end
  local out = {}
  for i, p in ipairs(list) do
    out[i] = problem(name, cmd, { field = p.field, message = tostring(p.field) .. ": "
      .. tostring(p.message) })
  end
  return table.concat(out, "\n")
end

return M
