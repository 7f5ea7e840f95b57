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

describe("ocip.csv spreadsheet safety (formula injection)", function()
  it("writes a cell that starts with =, +, -, @, tab or CR behind a single quote", function()
    assert.are.equal("'=cmd|' /C calc'!A0", csv.field("=cmd|' /C calc'!A0"))
    assert.are.equal("'+1-3125550101", csv.field("+1-3125550101"))
    assert.are.equal("'-2", csv.field(-2))
    assert.are.equal("'@SUM(A1)", csv.field("@SUM(A1)"))
    assert.are.equal("'\tx", csv.field("\tx"))
    assert.are.equal("\"'\rx\"", csv.field("\rx"))
    -- a quote already in front of a trigger gets one more, so that reading undoes exactly one
    assert.are.equal("''=x", csv.field("'=x"))
    -- harmless cells are left alone
    for _, v in ipairs { "a=b", "O'Neil", "'quoted'", "x-1", "", " lead" } do
      assert.are.equal(v, (csv.field(v):gsub('^"(.*)"$', "%1")))
    end
    assert.are.equal("'=1,x\r\n", csv.line({ "=1", "x" }, 2))
  end)

  it("raw = true writes cells as they are", function()
    assert.are.equal("=SUM(A1),+1\r\n", csv.line({ "=SUM(A1)", "+1" }, 2, { raw = true }))
    local buf = {}
    local w = csv.writer({ write = function(_, s) buf[#buf + 1] = s return true end }, { raw = true })
    w:row({ "@x" }, 1)
    assert.are.equal("@x\r\n", table.concat(buf))
  end)

  it("parse() and records() undo the quote it added; raw = true keeps cells as read", function()
    assert.are.same({ { "=x", "'=y", "'a" } }, (csv.parse("'=x,''=y,'a\r\n")))
    assert.are.same({ { "'=x" } }, (csv.parse("'=x\r\n", { raw = true })))
    local _, rows = csv.records("a,b,c,d,e\r\n'=x,''=y,'plain,',\"'\tz\"\r\n")
    assert.are.same({ _row = 1, _line = 2, a = "=x", b = "'=y", c = "'plain", d = "'", e = "\tz" }, rows[1])
    _, rows = csv.records("a\r\n'=x\r\n", { raw = true })
    assert.are.equal("'=x", rows[1].a)
  end)

  it("round trips every value through writer and records()", function()
    local alphabet = { "'", "=", "+", "-", "@", "\t", "\r", "\n", "a", " ", ",", '"', ";" }
    local seed = 7
    local function rand(n) seed = (seed * 1103515245 + 12345) % 2147483648 return seed % n + 1 end
    for _ = 1, 3000 do
      local parts = {}
      for i = 1, rand(5) do parts[i] = alphabet[rand(#alphabet)] end
      local v = table.concat(parts)
      local _, rows = csv.records("v,k\r\n" .. csv.line({ v, "k" }, 2))
      assert.are.equal(v, rows[1].v or "", ("%q"):format(v))
    end
  end)
end)

describe("ocip.csv separators", function()
  it("reads a ;-separated file (Excel in much of Europe)", function()
    local header, rows, sep = csv.records('user_id;last_name;note\r\nu1;"Doe; J";a,b\r\nu2;Roe;\r\n')
    assert.are.equal(";", sep)
    assert.are.same({ "user_id", "last_name", "note" }, header)
    assert.are.same({ _row = 1, _line = 2, user_id = "u1", last_name = "Doe; J", note = "a,b" }, rows[1])
    assert.are.same({ _row = 2, _line = 3, user_id = "u2", last_name = "Roe" }, rows[2])
  end)

  it("keeps commas the default: a ; inside a quoted header or value does not switch", function()
    local header, rows, sep = csv.records('"a;b",c\r\n"x;y",z\r\n')
    assert.are.equal(",", sep)
    assert.are.same({ "a;b", "c" }, header)
    assert.are.equal("x;y", rows[1]["a;b"])
    local _, _, sep1 = csv.records("user_id\r\nu;1\r\n")
    assert.are.equal(",", sep1)
  end)

  it("parse(text, sep) takes the separator", function()
    assert.are.same({ { "a", "b,c" }, { "1", "2" } }, (csv.parse("a;b,c\r\n1;2\r\n", { sep = ";" })))
    local r, err = csv.parse('a;"b"c\r\n', { sep = ";" })
    assert.is_nil(r)
    assert.matches("after a closing quote", err.message)
  end)
end)

describe("ocip.csv fuzz findings", function()
  it("a first cell starting with a byte-order mark survives write + read (it is quoted)", function()
    local bom = "\239\187\191"
    local text = csv.line({ bom .. "x", "y" }, 2)
    assert.equal('"' .. bom .. 'x",y\r\n', text)
    assert.same({ { bom .. "x", "y" } }, (csv.parse(text)))
  end)

  it("trims header names in linear time (many inner spaces)", function()
    local name = "a" .. string.rep(" ", 200000) .. "b"
    local t0 = os.clock()
    local header = csv.records(name .. ",c\r\n1,2\r\n")
    assert.equal(name, header[1])
    assert.is_true(os.clock() - t0 < 2, "trim took " .. (os.clock() - t0) .. " s")
    assert.equal("a  b", csv.trim("  a  b \t"))
    assert.equal("", csv.trim("   "))
  end)
end)
