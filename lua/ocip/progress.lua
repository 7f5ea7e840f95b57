-- ocip.progress: progress of a bulk run on stderr.
--   local p = progress.new{ total = N, label = "users_add", mode = "auto" }
--   p:step(ok)      -- one item done (ok false = failed); redraws when due
--   p:finish()      -- final state, ends the bar's line
-- Modes: "bar" (a redrawn line: bar, done/total, rate, ETA, failures; for terminals),
-- "lines" (one plain line every `interval` seconds, default 10; for logs), "off".
-- "auto" (default) = OCIP_PROGRESS (bar|lines|off) if set, else "bar" when stderr is a
-- terminal and "lines" otherwise. Options for tests: `write` (fn(text)), `now` (fn),
-- `tty` (boolean: skip the terminal check), `width` (bar cells, default 24).
local M = {}
local P = {}
P.__index = P

--- stderr_is_tty() -> boolean
function M.stderr_is_tty()
  return require("ocip.core").isatty(2)
end

local function clock()
  local ok, ocip = pcall(require, "ocip")
  if ok and ocip.now then return ocip.now end
  return os.clock
end

--- duration(s) -> "42s", "3m05s", "2h10m", "?" (unknown)
function M.duration(s)
  if not s or s ~= s or s == math.huge or s < 0 then return "?" end
  s = math.floor(s + 0.5)
  if s < 60 then return s .. "s" end
  if s < 3600 then return ("%dm%02ds"):format(s // 60, s % 60) end
  return ("%dh%02dm"):format(s // 3600, (s % 3600) // 60)
end

function M.new(o)
  o = o or {}
  local mode = o.mode or "auto"
  if mode == "auto" then
    local env = os.getenv("OCIP_PROGRESS")
    if env == "bar" or env == "lines" or env == "off" then mode = env
    else
      local tty = o.tty
      if tty == nil then tty = M.stderr_is_tty() end
      mode = tty and "bar" or "lines"
    end
  end
  local now = o.now or clock()
  local p = setmetatable({
    total = o.total or 0, done = 0, failed = 0, label = o.label or "progress", mode = mode,
    interval = o.interval or (mode == "bar" and 0.1 or 10), width = o.width or 24,
    write = o.write or function(s) io.stderr:write(s) io.stderr:flush() end,
    now = now, started = now(), last = nil, drawn = false,
  }, P)
  p.last = p.started
  return p
end

--- text() -> the status line (no line end)
function P:text()
  local elapsed = self.now() - self.started
  local rate = elapsed > 0 and self.done / elapsed or 0
  local left = self.total - self.done
  local eta = left <= 0 and 0 or (rate > 0 and left / rate or nil)
  local status = ("%d/%d  %.1f/s  ETA %s  %d failed"):format(self.done, self.total, rate,
    M.duration(eta), self.failed)
  if self.mode ~= "bar" then return self.label .. ": " .. status end
  local frac = self.total > 0 and math.min(1, self.done / self.total) or 1
  local full = math.floor(frac * self.width + 0.5)
  return ("%s [%s%s] %3d%%  %s"):format(self.label, ("#"):rep(full), ("."):rep(self.width - full),
    math.floor(frac * 100), status)
end

function P:draw()
  if self.mode == "bar" then
    self.write("\r" .. self:text() .. "\27[K")
    self.drawn = true
  elseif self.mode == "lines" then
    self.write(self:text() .. "\n")
  end
end

--- step(ok, n): n (default 1) items done; ok == false counts them as failed
function P:step(ok, n)
  n = n or 1
  self.done = self.done + n
  if ok == false then self.failed = self.failed + n end
  if self.mode == "off" then return end
  local t = self.now()
  if t - self.last >= self.interval then
    self.last = t
    self:draw()
  end
end

--- finish(): the bar is drawn complete and its line ended; "lines" prints nothing more
-- (the caller's summary follows) unless it has printed progress before.
function P:finish()
  if self.mode == "bar" then
    self:draw()
    self.write("\n")
  elseif self.mode == "lines" and self.last ~= self.started then
    self:draw()
  end
end

return M
