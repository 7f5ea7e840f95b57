-- ocip.log: loggers for the client. A logger spec is what users pass as `log =`:
--   ocip.log.stderr "debug"          -- lines on stderr up to that level
--   ocip.log.fn(function(level, line) ... end, "trace")
--   function(level, line) ... end    -- same as ocip.log.fn(f, "info")
--   false                            -- silent
-- Levels: error < warn < info < debug < trace (trace dumps wire documents).
-- Every line goes through redact() before it reaches any sink: passwords, signed
-- passwords, passcodes, JSESSIONID cookies and the configured secrets never leave.
local M = {}

local LEVELS = { error = 1, warn = 2, info = 3, debug = 4, trace = 5 }
local NAMES = { "error", "warn", "info", "debug", "trace" }
M.LEVELS = LEVELS

local Spec = { __name = "ocip.log" }
Spec.__index = Spec

local function level_number(level, default)
  if level == nil then return LEVELS[default] end
  local n = LEVELS[level]
  if not n then error("ocip.log: unknown level " .. tostring(level) .. " (error|warn|info|debug|trace)", 3) end
  return n
end

--- ocip.log.fn(f, level="info") -> logger spec calling f(level_name, line)
function M.fn(f, level)
  assert(type(f) == "function", "ocip.log.fn: function expected")
  return setmetatable({ level = level_number(level, "info"), sink = f }, Spec)
end

--- ocip.log.stderr(level="info") -> logger spec writing "ocip LEVEL: line" to stderr
function M.stderr(level)
  return M.fn(function(name, line)
    io.stderr:write("ocip ", name, ": ", line, "\n")
  end, level or "info")
end

-- Element local names whose text is a secret (password, signedPassword, newPassword,
-- passcode, ...), raw or escaped inside a SOAP envelope.
local function secret_name(name)
  local lname = (name:match(":([^:]+)$") or name):lower()
  return lname:find("password$") ~= nil or lname:find("passcode$") ~= nil
end

local MASK = "***"

-- &lt;password&gt;secret&lt;/ (a document escaped inside a SOAP body): found with
-- plain searches, so a long line costs linear time. Once no "&gt;" (or "&lt;/") is
-- left after a point, none is left after any later point either: stop there.
local function mask_escaped(text)
  local out, from, pos = {}, 1, 1
  while true do
    local lt = text:find("&lt;", pos, true)
    if not lt then break end
    local name, after = text:match("^([%w_%.%-:]+)()", lt + 4)
    if not name or not secret_name(name) then
      pos = lt + 4
    else
      local gt = text:find("&gt;", after, true)
      if not gt then break end
      if text:sub(gt - 1, gt - 1) == "/" then -- <password/>: nothing inside
        pos = gt + 4
      else
        local close = text:find("&lt;/", gt + 4, true)
        if not close then break end
        out[#out + 1] = text:sub(from, gt + 3)
        out[#out + 1] = MASK
        from, pos = close, close + 5
      end
    end
  end
  if from == 1 then return text end
  out[#out + 1] = text:sub(from)
  return table.concat(out)
end

local function mask_elements(text)
  -- <x:password attr="...">secret</
  text = text:gsub("(<([%w_%.%-:]+)([^<>]*)>)([^<]*)(</)", function(open, name, attrs, _, close)
    if attrs:sub(-1) ~= "/" and secret_name(name) then return open .. MASK .. close end
  end)
  return mask_escaped(text)
end

local function plain_pattern(s)
  return (s:gsub("[%^%$%(%)%%%.%[%]%*%+%-%?]", "%%%0"))
end

local function xml_escape(s)
  return (s:gsub("[&<>\"']", { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;",
    ['"'] = "&quot;", ["'"] = "&apos;" }))
end

-- Every form a secret can take in a trace: raw; as the encoder writes it into a
-- document (text or attribute: core.xml_escape, which leaves ' alone in text); that
-- escaped again for a SOAP body (core.text_escape); and the fully escaped forms.
-- Longest first, so that no form is left half-masked by a shorter one.
local function secret_forms(s)
  local seen, forms = {}, {}
  local function add(f)
    if type(f) == "string" and f ~= "" and not seen[f] then seen[f] = true; forms[#forms + 1] = f end
  end
  local function try(fn, ...)
    if not fn then return nil end
    local ok, r = pcall(fn, ...)
    return ok and r or nil
  end
  local core = package.loaded["ocip.core"] or select(2, pcall(require, "ocip.core"))
  core = type(core) == "table" and core or {}
  local once = xml_escape(s)
  local docs = { once, try(core.xml_escape, s, false), try(core.xml_escape, s, true) }
  add(s)
  for i = 1, #docs do
    local d = docs[i]
    if d then
      add(d)
      add(xml_escape(d))
      add(try(core.text_escape, d))
    end
  end
  add(try(core.text_escape, s))
  table.sort(forms, function(a, b) return #a > #b end)
  return forms
end

--- ocip.log.redact(text, secrets?) -> text with every secret masked.
-- secrets: array of strings (passwords, signed passwords, cookie values); each is also
-- masked in its XML-escaped and doubly escaped forms.
function M.redact(text, secrets)
  text = tostring(text)
  text = mask_elements(text)
  text = text:gsub("([Jj][Ss][Ee][Ss][Ss][Ii][Oo][Nn][Ii][Dd]%s*[=:]%s*[\"']?)[^;,%s\"'&<]+", "%1" .. MASK)
  if secrets then
    for i = 1, #secrets do
      local s = secrets[i]
      if type(s) == "string" and s ~= "" then
        for _, form in ipairs(secret_forms(s)) do
          text = text:gsub(plain_pattern(form), MASK)
        end
      end
    end
  end
  return text
end

-- The logger a client uses internally: a spec plus the client's secrets.
local Logger = {}
Logger.__index = Logger

--- ocip.log.bind(spec, secrets) -> logger with :enabled(level) and :log(level, fmt, ...)
-- spec: nil (stderr "warn"), false (silent), a function, or a spec from fn/stderr.
function M.bind(spec, secrets)
  if spec == nil then spec = M.stderr "warn"
  elseif type(spec) == "function" then spec = M.fn(spec, "info")
  elseif spec == false then spec = { level = 0, sink = function() end }
  elseif type(spec) == "string" then spec = M.stderr(spec)
  elseif getmetatable(spec) ~= Spec then
    error("ocip: log must be ocip.log.stderr(level), ocip.log.fn(f, level), a function or false", 3)
  end
  secrets = secrets or {}
  return setmetatable({ level = spec.level, sink = spec.sink, secrets = secrets, fixed = #secrets }, Logger)
end

function Logger:enabled(level)
  return LEVELS[level] <= self.level
end

--- logger:add_secret(s): mask s from now on (signed passwords, cookies learnt at run time)
function Logger:add_secret(s)
  if type(s) ~= "string" or s == "" then return end
  local secrets = self.secrets
  for i = 1, #secrets do if secrets[i] == s then return end end
  secrets[#secrets + 1] = s
  -- keep the configured ones (first) and the most recent learnt ones
  if #secrets > self.fixed + 64 then table.remove(secrets, self.fixed + 1) end
end

function Logger:log(level, fmt, ...)
  local n = LEVELS[level]
  if n > self.level then return end
  local line = select("#", ...) > 0 and string.format(fmt, ...) or fmt
  line = M.redact(line, self.secrets)
  local ok, err = pcall(self.sink, NAMES[n], line)
  if not ok then io.stderr:write("ocip: log sink failed: ", M.redact(tostring(err), self.secrets), "\n") end
end

return M
