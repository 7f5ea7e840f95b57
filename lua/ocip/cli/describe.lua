-- ocip describe CMD | ocip describe --find PATTERN
-- Prints a request's (or any type's) fields in schema order with their constraints.
local catalog = require "ocip.catalog"
local pretty = require "ocip.pretty"

local USAGE = [[
usage: ocip describe NAME          fields of a request (or any type) and its response
       ocip describe --find TEXT   request names containing TEXT (or matching a Lua pattern),
                                   the newest version of each family and the deprecated
                                   ones marked]]

local function constraints(f)
  local out = {}
  if f.abstract then out[#out + 1] = "abstract: " .. table.concat(f.subs or {}, " | ") end
  if f.enum then out[#out + 1] = "enum: " .. table.concat(f.enum, " | ") end
  local fa = f.facets
  if fa then
    if fa.length then out[#out + 1] = "length " .. fa.length end
    if fa.min_length or fa.max_length then
      out[#out + 1] = ("length %s..%s"):format(fa.min_length or 0, fa.max_length or "")
    end
    if fa.min_inclusive or fa.max_inclusive then
      out[#out + 1] = ("range %s..%s"):format(fa.min_inclusive or "", fa.max_inclusive or "")
    end
    for _, p in ipairs(fa.patterns or {}) do out[#out + 1] = "pattern " .. p end
  end
  if f.default then out[#out + 1] = "default " .. tostring(f.default) end
  if f.fixed then out[#out + 1] = "fixed " .. tostring(f.fixed) end
  if f.nillable then out[#out + 1] = "nillable" end
  if f.choice then out[#out + 1] = ("choice %d.%d"):format(f.choice, f.branch) end
  return table.concat(out, "; ")
end

-- "version: 18 of 24 in family UserGetRequest; the newest is UserGetRequest23V2", or nil
-- for the only request of its family
local function version_line(d)
  local _, list = catalog.family(d.name)
  if not list or #list < 2 then return nil end
  local pos = 0
  for i, n in ipairs(list) do if n == d.name then pos = i end end
  local line = ("version: %d of %d in family %s"):format(pos, #list, d.family)
  if d.latest == d.name then return line .. ", the newest" end
  if d.latest then return line .. "; the newest is " .. d.latest end
  return line .. "; every version is deprecated"
end

local function unknown(name)
  local close = catalog.suggest(name, 6, true)
  io.stderr:write("ocip describe: unknown request or type '", name, "'\n")
  if #close > 0 then
    io.stderr:write("did you mean:\n")
    for _, n in ipairs(close) do io.stderr:write("  ", n, "\n") end
  end
  return 2
end

local function show(name)
  local d = catalog.describe(name)
  if not d then return unknown(name) end
  local out = {}
  if d.kind == "simple" then
    out[#out + 1] = ("%s (simple type, %s)"):format(d.name, d.prim or d.base or "?")
    local c = constraints({ enum = d.enum, facets = d.facets })
    if c ~= "" then out[#out + 1] = "  " .. c end
    print(table.concat(out, "\n"))
    return 0
  end
  local head = ("%s (%s%s%s)"):format(d.name, d.abstract and "abstract " or "", d.kind,
    d.deprecated and ", deprecated" or "")
  if d.base then head = head .. " extends " .. d.base end
  out[#out + 1] = head
  if d.kind == "request" then
    out[#out + 1] = "response: " .. tostring(d.response or "SuccessResponse")
    local line = version_line(d)
    if line then out[#out + 1] = line end
  end
  if d.abstract and #d.subs > 0 then out[#out + 1] = "concrete types: " .. table.concat(d.subs, ", ") end
  if #d.fields == 0 then
    out[#out + 1] = "(no fields)"
  else
    local rows = {}
    for _, f in ipairs(d.fields) do
      local max = f.max_occurs
      rows[#rows + 1] = {
        field = f.name, xml_name = f.xml_name, type = f.type,
        required = f.required and "yes" or "",
        list = f.list and ((f.min_occurs or 0) .. ".." .. ((max == nil or max < 0 or max >= 0xFFFF) and "n" or max)) or "",
        constraints = constraints(f),
      }
    end
    out[#out + 1] = pretty.table(rows, { "Field", "XML Name", "Type", "Required", "List", "Constraints" })
    -- table fields with known headings (column hints): one line each, after the table
    for _, f in ipairs(d.fields) do
      if f.columns then
        out[#out + 1] = ("%s columns: %s"):format(f.name, table.concat(f.columns, ", "))
      end
    end
  end
  print(table.concat(out, "\n"))
  return 0
end

-- One name a line; marked ones ("newest", "deprecated") padded into a column.
local function find(pattern)
  local names, marks = catalog.find(pattern)
  if #names == 0 then
    io.stderr:write("ocip describe: no request matches '", pattern, "'\n")
    return 1
  end
  local width = 0
  for _, n in ipairs(names) do
    if marks[n] and #n > width then width = #n end
  end
  local lines = {}
  for i, n in ipairs(names) do
    lines[i] = marks[n] and ("%-" .. width .. "s  %s"):format(n, marks[n]) or n
  end
  print(table.concat(lines, "\n"))
  return 0
end

return function(args)
  local a = args[1]
  if a == "-h" or a == "--help" then print(USAGE) return 0 end
  if a == "--find" or a == "-f" then
    if not args[2] or args[3] then io.stderr:write(USAGE, "\n") return 2 end
    return find(args[2])
  end
  if not a or args[2] or a:sub(1, 1) == "-" then io.stderr:write(USAGE, "\n") return 2 end
  return show(a)
end
