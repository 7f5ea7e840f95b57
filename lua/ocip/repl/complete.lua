-- ocip.repl.complete: what Tab offers at the prompt. A pure function of the text before
-- the cursor (and the globals), so it is tested without a terminal.
--   complete(before, env) -> sorted array of words that complete the identifier being
--   typed at the end of `before` (the caller replaces that fragment with one of them).
--   after `ocip.commands.` or `c:` (a client)  -> request names
--   inside `{ ... }` after a request name      -> that request's field names (snake);
--                                                  nested `field = { ...` -> the field type's
--   after `x.` / `x:`                          -> the keys (methods) of x
--   a plain identifier                         -> globals and Lua keywords
--   candidates(before, after, env) -> what Tab inserts: complete()'s words, except that a
--   sole field name inside a request's braces comes with " = " (unless the text after the
--   cursor already starts with "=").
-- Request names come from the catalog's sorted name list (prefix search by bisection):
-- completing never materialises a type except the one whose fields are asked for.
local M = {}

local KEYWORDS = { "and", "break", "do", "else", "elseif", "end", "false", "for", "function",
  "goto", "if", "in", "local", "nil", "not", "or", "repeat", "return", "then", "true", "until", "while" }

-- ocip's lazily loaded fields (lua/ocip/init.lua) cannot be listed through the module.
local OCIP_FIELDS = { "NIL", "Error", "core", "_VERSION", "commands", "catalog", "describe", "xml",
  "log", "sim", "spawn", "gather", "semaphore", "sleep", "timeout", "run", "now", "connect", "client" }

local sorted_requests
local function requests()
  if not sorted_requests then
    local names = require("ocip.catalog").requests()
    local sorted = true
    for i = 2, #names do if names[i - 1] > names[i] then sorted = false break end end
    if not sorted then
      local copy = table.move(names, 1, #names, 1, {})
      table.sort(copy)
      names = copy
    end
    sorted_requests = names
  end
  return sorted_requests
end

--- prefixed(sorted, prefix) -> the entries of a sorted array that start with prefix
function M.prefixed(sorted, prefix)
  local lo, hi = 1, #sorted + 1
  while lo < hi do -- first index whose entry is >= prefix
    local mid = (lo + hi) // 2
    if sorted[mid] < prefix then lo = mid + 1 else hi = mid end
  end
  local out = {}
  for i = lo, #sorted do
    local s = sorted[i]
    if s:sub(1, #prefix) ~= prefix then break end
    out[#out + 1] = s
  end
  return out
end

local function from_keys(keys, prefix)
  local seen, out = {}, {}
  for _, k in ipairs(keys) do
    if type(k) == "string" and k:match("^[%a_][%w_]*$") and k:sub(1, #prefix) == prefix and not seen[k] then
      seen[k] = true
      out[#out + 1] = k
    end
  end
  table.sort(out)
  return out
end

-- Keys of a value for `x.` (fields) or `x:` (methods), following __index tables.
local function keys_of(v, methods)
  local keys, depth = {}, 0
  if type(v) == "string" then v = string end
  while type(v) == "table" and depth < 8 do
    for k, x in next, v do
      if not methods or type(x) == "function" then keys[#keys + 1] = k end
    end
    local mt = getmetatable(v)
    v = type(mt) == "table" and rawget(mt, "__index") or nil
    depth = depth + 1
  end
  return keys
end

-- Looks a dotted path ("ocip.sim") up in env without calling anything but plain
-- indexing of tables (metatables may load a module, as `ocip.x` does anyway).
local function resolve(path, env)
  local v = env
  for part in path:gmatch("[^.]+") do
    if type(v) ~= "table" then return nil end
    local ok, x = pcall(function() return v[part] end)
    if not ok then return nil end
    v = x
  end
  return v
end

local function is_client(v)
  if type(v) ~= "table" then return false end
  local ok, f = pcall(function() return v.raw_command end)
  return ok and type(f) == "function"
end

-- The text with string literals and comments blanked (same length), so that braces
-- inside them do not count.
local function blank_strings(s)
  local out, i, n = {}, 1, #s
  while i <= n do
    local c = s:sub(i, i)
    if c == '"' or c == "'" then
      local j = i + 1
      while j <= n and s:sub(j, j) ~= c do
        if s:sub(j, j) == "\\" then j = j + 1 end
        j = j + 1
      end
      out[#out + 1] = c .. string.rep(" ", math.min(j, n + 1) - i - 1) .. (j <= n and c or "")
      i = j + 1
    elseif s:sub(i, i + 1) == "--" then
      out[#out + 1] = string.rep(" ", n - i + 1)
      i = n + 1
    else
      out[#out + 1] = c
      i = i + 1
    end
  end
  return table.concat(out)
end

-- Positions of the unclosed `{` in s, outermost first.
local function open_braces(s)
  local stack = {}
  for i = 1, #s do
    local c = s:sub(i, i)
    if c == "{" then stack[#stack + 1] = i
    elseif c == "}" then stack[#stack] = nil end
  end
  return stack
end

local function field_type(type_name, field)
  local d = require("ocip.catalog").describe(type_name)
  if not d or not d.fields then return nil end
  for _, f in ipairs(d.fields) do
    if f.name == field or f.xml_name == field then return f.type end
  end
end

-- The type whose fields go in the brace at position pos (innermost of `braces`), or nil.
local function brace_type(s, braces, k)
  local pos = braces[k]
  local before = s:sub(1, pos - 1)
  local name = before:match("([%a_][%w_]*)%s*%(?%s*$")
  if name and (before:match(":%s*" .. name .. "%s*%(?%s*$") or before:match("commands%.%s*" .. name .. "%s*%(?%s*$")) then
    local catalog = require "ocip.catalog"
    if catalog.is_request(name) then return name end
    return nil
  end
  local field = before:match("([%a_][%w_]*)%s*=%s*$")
  if field and k > 1 then
    local outer = brace_type(s, braces, k - 1)
    if outer then return field_type(outer, field) end
  end
  return nil
end

local function fields_of(type_name, prefix)
  local d = require("ocip.catalog").describe(type_name)
  if not d or not d.fields then return {} end
  local names = {}
  for _, f in ipairs(d.fields) do names[#names + 1] = f.name end
  return from_keys(names, prefix)
end

-- The completions and, for field names inside a request's braces, the kind "field".
local function complete_at(before, env)
  env = env or _G
  before = tostring(before or "")
  local frag = before:match("[%a_][%w_]*$") or ""
  local head = before:sub(1, #before - #frag)
  if frag == "" and before:match("[%d]$") then return {} end -- inside a number

  -- ocip.commands.Name
  if head:match("commands%.%s*$") and head:match("[%a_][%w_%.]*commands%.%s*$") then
    return M.prefixed(requests(), frag)
  end

  -- obj:method  (a client: its methods and every request name)
  local obj = head:match("([%a_][%w_%.]*)%s*:%s*$")
  if obj then
    local v = resolve(obj, env)
    if is_client(v) then
      local out = M.prefixed(requests(), frag)
      for _, m in ipairs(from_keys(keys_of(v, true), frag)) do out[#out + 1] = m end
      table.sort(out)
      return out
    end
    return from_keys(keys_of(v, true), frag)
  end

  -- obj.field
  local path = head:match("([%a_][%w_%.]*)%.%s*$")
  if path then
    local v = resolve(path, env)
    local keys = keys_of(v, false)
    if v ~= nil and v == rawget(env, "ocip") or path == "ocip" then
      for _, k in ipairs(OCIP_FIELDS) do keys[#keys + 1] = k end
    end
    return from_keys(keys, frag)
  end

  -- a field name inside a request's braces: right after `{` or `,` (or `;`)
  local plain = blank_strings(head)
  if plain:match("[{,;]%s*$") then
    local braces = open_braces(plain)
    if #braces > 0 then
      local t = brace_type(plain, braces, #braces)
      if t then return fields_of(t, frag), "field" end
    end
  end

  if frag == "" then return {} end
  local keys = keys_of(env, false)
  for _, k in ipairs(KEYWORDS) do keys[#keys + 1] = k end
  return from_keys(keys, frag)
end

--- complete(before, env) -> array of completions of the identifier at the end of `before`
function M.complete(before, env)
  return (complete_at(before, env))
end

function M.candidates(before, after, env)
  local words, kind = complete_at(before, env)
  if kind == "field" and #words == 1 and not tostring(after or ""):match("^%s*=") then
    return { words[1] .. " = " }
  end
  return words
end

return M
