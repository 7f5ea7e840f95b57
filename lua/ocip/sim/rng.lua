-- Deterministic pseudo-random numbers (splitmix64) so that seeded data and
-- fault decisions repeat exactly for the same --seed, independent of math.random.
local M = {}
M.__index = M

--- rng.new(seed) -> generator; seed is any integer or string.
function M.new(seed)
  local s = 0
  if type(seed) == "string" then
    for i = 1, #seed do s = s * 31 + seed:byte(i) end
  else
    s = math.tointeger(seed) or math.floor(tonumber(seed) or 0)
  end
  return setmetatable({ s = s ~ 0x5DEECE66D }, M)
end

local function next64(self)
  local z = self.s + -7046029254386353131 -- 0x9E3779B97F4A7C15
  self.s = z
  z = (z ~ (z >> 30)) * -4658895280553007687 -- 0xBF58476D1CE4E5B9
  z = (z ~ (z >> 27)) * -7723592293110705685 -- 0x94D049BB133111EB
  return z ~ (z >> 31)
end

--- g:float() -> number in [0, 1)
function M:float()
  return (next64(self) >> 11) * (1.0 / 9007199254740992.0)
end

--- g:int(lo, hi) -> integer in [lo, hi]
function M:int(lo, hi)
  return lo + (next64(self) >> 1) % (hi - lo + 1)
end

--- g:chance(p) -> true with probability p (p <= 0 never draws, so it costs nothing)
function M:chance(p)
  if not p or p <= 0 then return false end
  return self:float() < p
end

--- g:fork(tag) -> an independent generator derived from this one
function M:fork(tag)
  local child = M.new(tag or 0)
  child.s = child.s ~ next64(self)
  return child
end

return M
