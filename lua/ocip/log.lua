-- ocip.log: loggers for the client. A logger spec is what users pass as `log =`:
--   ocip.log.stderr "debug"          -- lines on stderr up to that level
--   ocip.log.fn(function(level, line) ... end, "trace")
--   function(level, line) ... end    -- same as ocip.log.fn(f, "info")
--   false                            -- silent
-- Levels: error < warn < info < debug < trace (trace dumps wire documents).
-- Every line goes through ocip.redact before it reaches any sink: passwords, signed
-- passwords, passcodes, cookies and the configured secrets never leave.
local redact = require "ocip.redact"

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

--- ocip.log.redact(text, secrets?) -> text with every secret masked (see ocip.redact):
-- secret elements' text and header values whatever they hold; each string of secrets
-- (passwords, signed passwords, cookie values), raw or XML-escaped, where it stands
-- as a whole token, never inside another word.
function M.redact(text, secrets)
  return redact.text(text, redact.compile(secrets))
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
  local mine = {}
  for _, s in ipairs(secrets or {}) do
    if type(s) == "string" and s ~= "" then mine[#mine + 1] = s end
  end
  return setmetatable({ level = spec.level, sink = spec.sink, secrets = mine, fixed = #mine,
    forms = redact.compile(mine) }, Logger)
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
  self.forms = redact.compile(secrets) -- once per new secret, not per line
end

function Logger:log(level, fmt, ...)
  local n = LEVELS[level]
  if n > self.level then return end
  local line = select("#", ...) > 0 and string.format(fmt, ...) or fmt
  line = redact.text(line, self.forms)
  local ok, err = pcall(self.sink, NAMES[n], line)
  if not ok then io.stderr:write("ocip: log sink failed: ", redact.text(tostring(err), self.forms), "\n") end
end

return M
