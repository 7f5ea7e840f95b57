-- ocip complete WORD... : completion candidates for the shell scripts (docs/completion/),
-- one per line. The words are the command line after `ocip`, the last one being the
-- word under the cursor (possibly empty). Candidates: subcommands, request names (send,
-- describe), `field=` names of the request (send), pack names (run), help topics.
-- Not listed in help: the shells call it, people do not.
local catalog = require "ocip.catalog"

local SUBS = { "run", "repl", "send", "bulk", "describe", "packs", "snapshot", "plan", "apply", "sim", "help" }

local function starts(s, prefix) return s:sub(1, #prefix) == prefix end

local function emit(list, prefix, suffix)
  for _, v in ipairs(list) do
    if starts(v, prefix) then io.stdout:write(v, suffix or "", "\n") end
  end
end

local function requests(prefix)
  local out = {}
  for _, name in ipairs(catalog.requests()) do
    if starts(name, prefix) then out[#out + 1] = name end
  end
  return out
end

-- The request named among words (first word that is a request), or nil.
local function request_in(words)
  for _, w in ipairs(words) do
    if catalog.is_request(w) then return w end
  end
end

-- Top-level field names of a request (snake_case), in schema order.
local function fields_of(name)
  local d = catalog.describe(name)
  local out = {}
  for _, f in ipairs(d and d.fields or {}) do
    out[#out + 1] = f.name
  end
  return out
end

return function(args)
  local n = #args
  local cur = args[n] or ""
  local sub = args[1]
  if n <= 1 then
    emit(SUBS, cur)
    return 0
  end
  if sub == "bulk" and n == 2 then
    emit(requests(cur), cur)
    return 0
  end
  if sub == "send" or sub == "describe" then
    if starts(cur, "-") then
      emit(sub == "send" and { "--json", "--csv", "--dry-run", "--help" } or { "--find", "--help" }, cur)
      return 0
    end
    local prior = { table.unpack(args, 2, n - 1) }
    local req = request_in(prior)
    if sub == "send" and req then
      if not cur:find("=", 1, true) then emit(fields_of(req), cur, "=") end
      return 0
    end
    if not req then emit(requests(cur), cur) end
    return 0
  end
  local FLAGS = {
    snapshot = { "--group", "--out", "--format", "--concurrency", "--help" },
    plan = { "--group", "--exit-code", "--concurrency", "--help" },
    apply = { "--group", "--yes", "--dry-run", "--limit", "--report", "--format", "--concurrency", "--help" },
  }
  if FLAGS[sub] and starts(cur, "-") then
    emit(FLAGS[sub], cur)
    return 0
  end
  if sub == "run" and n == 2 then
    local names = {}
    for _, p in ipairs(require("ocip.packs").list()) do
      if not p.shadowed then names[#names + 1] = p.name end
    end
    emit(names, cur)
    return 0
  end
  if sub == "help" and n == 2 then
    local topics = { "connect", "exit", "lua" }
    for _, s in ipairs(SUBS) do if s ~= "help" then topics[#topics + 1] = s end end
    table.sort(topics)
    emit(topics, cur)
    return 0
  end
  return 0
end
