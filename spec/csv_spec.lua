-- ocip.csv: RFC 4180 reader and writer, alone and in round trips; ocip.progress lines.
local csv = require "ocip.csv"

local function write_all(records, n)
  local out = {}
  for i, r in ipairs(records) do out[i] = csv.line(r, n) end
  return table.concat(out)
end

describe("ocip.csv reader", function()
  it("reads plain records with CRLF and LF line ends, final line end optional", function()
    assert.are.same({ { "a", "b" }, { "1", "2" } }, (csv.parse("a,b\r\n1,2\r\n")))
    assert.are.same({ { "a", "b" }, { "1", "2" } }, (csv.parse("a,b\n1,2")))
    assert.are.same({ { "a", "b" }, { "1", "2" } }, (csv.parse("a,b\r1,2\r")))
    assert.are.same({}, (csv.parse("")))
  end)

  it("reads quoted fields: doubled quotes, commas, embedded newlines", function()
    local recs, lines = csv.parse('k,v\r\n"a,b","say ""hi"""\r\n"x\r\ny",z\r\n"",last\r\n')
    assert.are.same({ { "k", "v" }, { "a,b", 'say "hi"' }, { "x\r\ny", "z" }, { "", "last" } }, recs)
    assert.are.same({ 1, 2, 3, 5 }, lines)
  end)

  it("keeps empty fields", function()
    assert.are.same({ { "", "", "" }, { "a", "", "" } }, (csv.parse(",,\r\na,,\r\n")))
  end)

  it("drops a UTF-8 BOM", function()
    assert.are.same({ { "user_id" }, { "é" } }, (csv.parse("\239\187\191user_id\r\né\r\n")))
  end)

  it("rejects broken quoting with the line number", function()
    local r, err = csv.parse('a,b\r\n"open,x\r\n')
    assert.is_nil(r)
    assert.are.equal("usage", err.kind)
    assert.are.equal(2, err.line)
    assert.matches("unterminated", err.message)
    r, err = csv.parse('a\r\nb"c\r\n')
    assert.is_nil(r)
    assert.matches("line 2: quote inside an unquoted field", err.message)
    r, err = csv.parse('"a"b\r\n')
    assert.is_nil(r)
    assert.matches("after a closing quote", err.message)
  end)

  it("records(): header keys, absent empty fields, row numbers, field-count errors", function()
    local header, rows = csv.records(' User_ID ,Name\r\nu1,"Doe, J"\r\n\r\nu2,\r\nu3\r\n"u4\nx",y,z\r\n')
    assert.are.same({ "user_id", "name" }, header)
    assert.are.equal(4, #rows)
    assert.are.same({ _row = 1, _line = 2, user_id = "u1", name = "Doe, J" }, rows[1])
    assert.are.same({ _row = 2, _line = 4, user_id = "u2" }, rows[2])
    assert.are.equal("1 fields, the header has 2", rows[3]._error)
    assert.are.equal(6, rows[4]._line)
    assert.matches("3 fields", rows[4]._error)
    local h, err = csv.records("a,a\r\n")
    assert.is_nil(h)
    assert.matches("twice", err.message)
    h, err = csv.records("")
    assert.is_nil(h)
    assert.matches("no header", err.message)
  end)
end)

describe("ocip.csv writer", function()
  it("quotes only what needs it", function()
    assert.are.equal("a,\"b,c\",\"say \"\"hi\"\"\",\"x\r\ny\",,1\r\n",
      csv.line({ "a", "b,c", 'say "hi"', "x\r\ny", nil, 1 }, 6))
    assert.are.equal('" lead",x;y\r\n', csv.line({ " lead", { "x", "y" } }))
  end)

  it("round trips through the reader", function()
    local records = {
      { "user_id", "last_name", "note" },
      { "u1", 'O"Brien, Jr', "line1\r\nline2" },
      { "", "", "" },
      { "u3", "\"\"", "lf\nonly" },
      { ",", '"', "\r\n" },
      { "é ü", " edge ", "tail," },
    }
    local text = write_all(records, 3)
    assert.are.same(records, (csv.parse(text)))
    assert.are.same(records, (csv.parse("\239\187\191" .. text)))
    -- writer output of what the reader gave back is byte-identical
    assert.are.equal(text, write_all(csv.parse(text), 3))
  end)

  it("writer counts rows", function()
    local buf = {}
    local w = csv.writer({ write = function(_, s) buf[#buf + 1] = s return true end })
    w:row({ "a" }, 1)
    w:row({ "b", "c" }, 2)
    assert.are.equal(2, w.rows)
    assert.are.equal("a\r\nb,c\r\n", table.concat(buf))
  end)
end)

describe("ocip.progress", function()
  local progress = require "ocip.progress"
  local function make(mode)
    local t, out = 0, {}
    local p = progress.new{ total = 10, label = "t", mode = mode, now = function() return t end,
      write = function(s) out[#out + 1] = s end, interval = 1 }
    return p, out, function(x) t = x end
  end

  it("bar: done/total, rate, ETA, failures; redraws when due", function()
    local p, out, at = make("bar")
    at(0.5); p:step(true)
    assert.are.equal(0, #out)
    at(2); p:step(true); p:step(false)
    assert.are.equal(1, #out)
    assert.are.equal("\rt [#####...................]  20%  2/10  1.0/s  ETA 8s  0 failed\27[K", out[1])
    at(2.5); p:step(false)
    assert.are.equal(1, #out)
    at(4); p:finish()
    assert.are.equal("\rt [##########..............]  40%  4/10  1.0/s  ETA 6s  2 failed\27[K", out[#out - 1])
    assert.are.equal("\n", out[#out])
  end)

  it("lines: plain periodic lines, nothing when the run is short", function()
    local p, out, at = make("lines")
    p:step(true)
    p:finish()
    assert.are.equal(0, #out)
    p, out, at = make("lines")
    at(1.5); p:step(true)
    assert.are.same({ "t: 1/10  0.7/s  ETA 14s  0 failed\n" }, out)
  end)

  it("off writes nothing", function()
    local p, out, at = make("off")
    at(5); p:step(false); p:finish()
    assert.are.equal(0, #out)
    assert.are.equal(1, p.failed)
  end)

  it("formats durations", function()
    assert.are.equal("42s", progress.duration(42))
    assert.are.equal("3m05s", progress.duration(185))
    assert.are.equal("2h10m", progress.duration(7800))
    assert.are.equal("?", progress.duration(nil))
  end)
end)
