-- ocip.pack.output and ocip.pack.report, offline: formats, streaming, reading back.
local output = require "ocip.pack.output"
local report = require "ocip.pack.report"
local cjson = require "cjson"
local NIL = require("ocip").NIL

local function tmp()
  local path = os.tmpname()
  os.remove(path)
  return path
end

local function read(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

local COLS = { "id", "name", "n", "list", "flag", "none" }
local ROWS = {
  { "u1", '=HYPERLINK("x")', 3, { "a", "b" }, true, nil },
  { "u2", 'tab\there "q" \\ é', -2, {}, false, NIL },
}

describe("ocip.pack.output", function()
  it("csv: header, neutralised cells, lists joined; appears only when closed", function()
    local path = tmp()
    local out = assert(output.open{ path = path, format = "csv", columns = COLS })
    for _, r in ipairs(ROWS) do out:row(r) end
    assert.is_nil(io.open(path, "rb"))
    assert(out:close())
    assert.are.equal('id,name,n,list,flag,none\r\nu1,"\'=HYPERLINK(""x"")",3,a;b,true,\r\n'
      .. 'u2,"tab\there ""q"" \\ é",\'-2,,false,\r\n', read(path))
    os.remove(path)
  end)

  it("json and ndjson: objects in column order, absent values left out, null for ocip.NIL", function()
    for _, format in ipairs { "json", "ndjson" } do
      local path = tmp()
      local out = assert(output.open{ path = path, format = format, columns = COLS })
      for _, r in ipairs(ROWS) do out:row(r) end
      assert(out:close())
      local text = read(path)
      os.remove(path)
      local list
      if format == "json" then
        list = cjson.decode(text)
      else
        list = {}
        for line in text:gmatch("[^\n]+") do list[#list + 1] = cjson.decode(line) end
      end
      assert.are.equal(2, #list)
      assert.are.same({ id = "u1", name = '=HYPERLINK("x")', n = 3, list = { "a", "b" }, flag = true }, list[1])
      assert.are.equal('tab\there "q" \\ é', list[2].name)
      assert.are.equal(cjson.null, list[2].none)
      assert.truthy(text:find('{"id":"u1","name":', 1, true), text)
    end
  end)

  it("an empty json document is an empty array; abandon leaves no file", function()
    local path = tmp()
    local out = assert(output.open{ path = path, format = "json", columns = COLS })
    assert(out:close())
    assert.are.same({}, cjson.decode(read(path)))
    os.remove(path)
    out = assert(output.open{ path = path, format = "csv", columns = COLS })
    out:row(ROWS[1])
    out:abandon()
    assert.is_nil(io.open(path, "rb"))
    assert.is_nil(io.open(path .. ".part", "rb"))
  end)

  it("refuses an unknown format", function()
    local out, err = output.open{ format = "xml", columns = COLS }
    assert.is_nil(out)
    assert.matches("csv, json, ndjson", err.message)
  end)
end)

describe("ocip.pack.report", function()
  local function e(row, key, outcome, msg) return { row = row, key = key, outcome = outcome, message = msg } end

  it("entry() takes an ocip.Error apart", function()
    local err = require("ocip").Error.new("server", "x", { code = "4010", summary = "Duplicate user: a",
      detail = "line1\nline2" })
    assert.are.same({ row = 2, key = "a", outcome = "exists", error_kind = "server", error_code = 4010,
      message = "Duplicate user: a (line1\nline2)" }, report.entry(2, "a", "exists", err))
  end)

  for _, format in ipairs { "csv", "ndjson", "json" } do
    it(format .. ": every row is on disk as soon as it is added; a cut last line is left out", function()
      local path = tmp()
      local r = assert(report.start(path, format, { e(1, "a", "ok") }))
      r:add(e(3, "c", "failed", "multi\nline =1"))
      r:add(e(2, "b", "exists"))
      -- no close: as after kill -9
      local text = read(path)
      local list = assert(report.read(path))
      assert.are.same({ e(1, "a", "ok"), e(3, "c", "failed", "multi line =1"), e(2, "b", "exists") }, list)
      -- a line cut half-way
      local f = assert(io.open(path, "ab"))
      f:write(({ csv = "4,d,o", ndjson = '{"row":4,"ke', json = ',\n{"row":4,"ke' })[format])
      f:close()
      assert.are.same(list, assert(report.read(path)))
      assert(r:compact({ e(3, "c", "failed"), e(1, "a", "ok"), e(2, "b", "exists"), e(3, "c", "ok") }))
      assert.are.same({ e(1, "a", "ok"), e(2, "b", "exists"), e(3, "c", "ok") }, assert(report.read(path)))
      if format == "json" then assert.are.equal(3, #cjson.decode(read(path))) end
      assert.is_nil(io.open(path .. ".part", "rb"))
      os.remove(path)
      assert.truthy(#text > 0)
    end)
  end

  it("start() over the file it resumes from keeps the carried rows at every moment", function()
    local path = tmp()
    local r = assert(report.start(path, "csv", { e(1, "a", "ok"), e(2, "b", "failed") }))
    r:add(e(3, "c", "ok"))
    local old = assert(report.read(path))
    local r2 = assert(report.start(path, "csv", { old[1], old[3] }))
    assert.are.same({ e(1, "a", "ok"), e(3, "c", "ok") }, assert(report.read(path)))
    r2:add(e(2, "b", "ok"))
    assert.are.same({ e(1, "a", "ok"), e(3, "c", "ok"), e(2, "b", "ok") }, assert(report.read(path)))
    os.remove(path)
  end)

  it("read() refuses what is not a report", function()
    local path = tmp()
    local f = assert(io.open(path, "wb"))
    f:write("user_id,last_name\r\nx,y\r\n")
    f:close()
    local r, err = report.read(path)
    os.remove(path)
    assert.is_nil(r)
    assert.matches("not a report %(no row column%)", err.message)
    r, err = report.read(path)
    assert.is_nil(r)
    assert.are.equal("usage", err.kind)
  end)
end)

describe("ocip.pack.flat", function()
  local flat = require "ocip.pack.flat"

  it("a response with an OCITable: its rows under the heading keys, the rest named", function()
    local t = { headings = { "User Id", "Last Name" }, { user_id = "a", last_name = "A" }, { user_id = "b" } }
    local cols, rows, left = flat.rows{ _type = "NoSuchResponse", user_table = t, total = 2 }
    assert.are.same({ "user_id", "last_name" }, cols)
    assert.are.same({ { "a", "A" }, { "b" } }, rows)
    assert.are.same({ "total" }, left)
  end)

  it("otherwise one row: records dotted, lists of records indexed from 0, value lists kept", function()
    local cols, rows, left = flat.rows{ _type = "NoSuchResponse", name = "n", address = { city = "Paris" },
      agents = { { id = "x" }, { id = "y" } }, alias = { "sip:a", "sip:b" } }
    assert.are.same({ "address.city", "agents[0].id", "agents[1].id", "alias", "name" }, cols)
    assert.are.same({ { "Paris", "x", "y", { "sip:a", "sip:b" }, "n" } }, rows)
    assert.are.same({}, left)
    cols, rows = flat.rows{ _type = "SuccessResponse" }
    assert.are.same({}, cols)
    assert.are.same({}, rows)
  end)
end)
