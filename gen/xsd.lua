-- Reads an XSD file set into plain Lua trees: element nodes with resolved tag
-- names and their in-scope namespace map. Annotations are skipped at parse
-- time so no documentation text ever reaches the generator.
local lxp = require "lxp"

local M = {}

M.XS = "http://www.w3.org/2001/XMLSchema"

local function read_file(path)
  local f, err = io.open(path, "rb")
  if not f then error("cannot read " .. path .. ": " .. tostring(err), 0) end
  local data = f:read("a")
  f:close()
  return data
end

-- New namespace map when the element declares xmlns attributes, else the parent's.
local function scope(parent, attrs)
  local map
  for k, v in pairs(attrs) do
    if type(k) == "string" then
      local prefix = k == "xmlns" and "" or k:match("^xmlns:(.+)$")
      if prefix then
        if not map then
          map = {}
          for p, u in pairs(parent) do map[p] = u end
        end
        map[prefix] = v
      end
    end
  end
  return map or parent
end

-- Attributes the generator understands. Anything else (mixed, ref, form,
-- substitutionGroup, ...) would change the meaning, so it stops generation.
local KNOWN_ATTRS = {
  abstract = true, attributeFormDefault = true, base = true, default = true,
  elementFormDefault = true, fixed = true, id = true, maxOccurs = true, minOccurs = true,
  name = true, namespace = true, nillable = true, schemaLocation = true,
  targetNamespace = true, type = true, use = true, value = true, version = true,
}

-- Parse one file into a tree {tag=local name, attr=, ns=, kids={...}}.
-- Only elements of the XSD namespace are kept; xs:annotation subtrees are dropped.
function M.parse(path)
  local root
  local stack = {}
  local skip = 0
  local callbacks = {
    StartElement = function(_, name, attrs)
      if skip > 0 then skip = skip + 1 return end
      local parent = stack[#stack]
      local ns = scope(parent and parent.ns or {}, attrs)
      local prefix, lname = name:match("^([^:]*):(.*)$")
      if not prefix then prefix, lname = "", name end
      if ns[prefix] ~= M.XS then
        error(path .. ": unexpected element " .. name, 0)
      end
      if lname == "annotation" then skip = 1 return end
      local a = {}
      for k, v in pairs(attrs) do
        if type(k) == "string" then
          if not KNOWN_ATTRS[k] and k ~= "xmlns" and not k:match("^xmlns:") then
            error(path .. ": unsupported attribute " .. k .. " on xs:" .. lname, 0)
          end
          a[k] = v
        end
      end
      local node = { tag = lname, attr = a, ns = ns, kids = {} }
      if parent then
        parent.kids[#parent.kids + 1] = node
      else
        root = node
      end
      stack[#stack + 1] = node
    end,
    EndElement = function()
      if skip > 0 then skip = skip - 1 return end
      stack[#stack] = nil
    end,
  }
  local p = lxp.new(callbacks)
  local ok, err, line = p:parse(read_file(path))
  if ok then ok, err, line = p:parse() end
  p:close()
  if not ok then error(path .. ":" .. tostring(line) .. ": " .. tostring(err), 0) end
  if not root or root.tag ~= "schema" then error(path .. ": not an XSD schema", 0) end
  return root
end

local function dirname(path)
  return path:match("^(.*)/[^/]*$") or "."
end

-- Collapse "a/b/../c" so the same file reached by two paths is read once.
local function normalize(path)
  local parts = {}
  for seg in path:gmatch("[^/]+") do
    if seg == ".." and #parts > 0 and parts[#parts] ~= ".." then
      parts[#parts] = nil
    elseif seg ~= "." then
      parts[#parts + 1] = seg
    end
  end
  return table.concat(parts, "/")
end

-- Load the set reachable from `root_file` (relative to `dir`) through
-- xs:include / xs:import. Returns a list of {rel=, tree=} in a deterministic
-- (sorted by relative path) order.
function M.load_set(dir, root_file)
  local seen, files = {}, {}
  local queue = { normalize(root_file) }
  while #queue > 0 do
    local rel = table.remove(queue, 1)
    if not seen[rel] then
      seen[rel] = true
      local tree = M.parse(dir .. "/" .. rel)
      files[#files + 1] = { rel = rel, tree = tree }
      for _, k in ipairs(tree.kids) do
        if (k.tag == "include" or k.tag == "import") and k.attr.schemaLocation then
          local loc = k.attr.schemaLocation
          if loc:match("^%a+://") then error(rel .. ": remote schemaLocation " .. loc, 0) end
          local d = dirname(rel)
          queue[#queue + 1] = normalize((d == "." and "" or d .. "/") .. loc)
        end
      end
    end
  end
  table.sort(files, function(a, b) return a.rel < b.rel end)
  return files
end

-- Resolve a QName value ("core:OCIRequest", "xs:int", "UserId") in a node's scope:
-- built-ins become "xs:<local>", everything else its local name.
function M.qname(node, value)
  local prefix, lname = value:match("^([^:]*):(.*)$")
  if not prefix then prefix, lname = "", value end
  local uri = node.ns[prefix]
  if uri == M.XS then return "xs:" .. lname, true end
  if prefix ~= "" and uri == nil then
    error("undeclared namespace prefix in " .. value, 0)
  end
  return lname, false
end

return M
