-- ocip.suggest: the edit distance (in C, banded) against a plain full-table one, and
-- the n best chosen without sorting every match.
local suggest = require "ocip.suggest"
local core = require "ocip.core"

-- the textbook dynamic programme, whole table
local function reference(a, b)
  local d = {}
  for i = 0, #a do d[i] = { [0] = i } end
  for j = 0, #b do d[0][j] = j end
  for i = 1, #a do
    for j = 1, #b do
      d[i][j] = math.min(d[i - 1][j] + 1, d[i][j - 1] + 1,
        d[i - 1][j - 1] + (a:byte(i) == b:byte(j) and 0 or 1))
    end
  end
  return d[#a][#b]
end

describe("ocip.suggest", function()
  it("edit_distance equals the full computation, capped at limit + 1", function()
    math.randomseed(20261203)
    local function word(max)
      local t = {}
      for i = 1, math.random(0, max) do t[i] = string.char(97 + math.random(0, 3)) end
      return table.concat(t)
    end
    for round = 1, 4000 do
      local long = round % 10 == 0 -- some past the 256-cell rows kept on the C stack
      local a, b = word(long and 300 or 12), word(long and 300 or 12)
      local limit = math.random(0, long and 40 or 6)
      local want = math.min(reference(a, b), limit + 1)
      assert.are.equal(want, core.edit_distance(a, b, limit), ("%q %q limit %d"):format(a, b, limit))
    end
    assert.are.equal(3, core.edit_distance("kitten", "sitting", 3))
    assert.are.equal(3, core.edit_distance("kitten", "sitting", 2))
    assert.are.equal(0, core.edit_distance("", "", 0))
    assert.has_error(function() core.edit_distance("a", "b", -1) end)
  end)

  it("close() gives the n best in order, the same as sorting every match", function()
    local names = {}
    for i = 1, 500 do names[i] = ("Name%03dGetRequest"):format(i) end
    names[#names + 1] = "GetRequest"
    local got = suggest.close("getreques", names, 4)
    assert.are.same({ "GetRequest", "Name001GetRequest", "Name002GetRequest", "Name003GetRequest" }, got)
    -- a tie order that reverses names
    got = suggest.close("getreques", names, 3, function(a, b) return a > b end)
    assert.are.same({ "GetRequest", "Name500GetRequest", "Name499GetRequest" }, got)
    assert.are.same({ "Name001GetRequest" }, suggest.close("NAME001_getrequest", names, 3))
  end)
end)
