-- ocip.pretty: tables as aligned text; empty columns left out and tables fitted to a
-- terminal's width when asked (the REPL asks).
local pretty = require "ocip.pretty"

local function lines(s)
  local out = {}
  for l in (s .. "\n"):gmatch("(.-)\n") do out[#out + 1] = l end
  return out
end

local function users(n)
  local t = { headings = { "User Id", "Last Name", "First Name", "Department", "Phone Number",
    "Email Address", "Hiragana Last Name", "Hiragana First Name", "In Trunk Group" } }
  for i = 1, n do
    t[i] = { user_id = ("user%04d@example.com"):format(i), last_name = "Lastname" .. i,
      first_name = "Firstname" .. i, phone_number = "+1-312555" .. (1000 + i),
      email_address = ("first.last.%d@a-rather-long-domain.example.com"):format(i),
      hiragana_last_name = "Lastname" .. i, hiragana_first_name = "Firstname" .. i,
      in_trunk_group = "false" }
  end
  return t
end

describe("pretty.table", function()
  it("aligns columns under their headings (no options: every column, full width)", function()
    local t = { headings = { "Id", "Name", "Note" }, { id = "1", name = "Ann" }, { id = "22", name = "Bo" } }
    assert.are.equal(table.concat({
      "Id  Name  Note",
      "--  ----  ----",
      "1   Ann",
      "22  Bo",
      "(2 rows)",
    }, "\n"), pretty.table(t))
  end)

  it("leaves out columns empty in every row, and says which", function()
    local t = { headings = { "Id", "Name", "Note", "Email" }, { id = "1", name = "Ann" }, { id = "22", name = "Bo" } }
    assert.are.equal(table.concat({
      "Id  Name",
      "--  ----",
      "1   Ann",
      "22  Bo",
      "(2 rows; 2 empty columns not shown: Note, Email)",
    }, "\n"), pretty.table(t, nil, nil, { hide_empty = true }))
    -- a column with one value somewhere stays; a table with no rows keeps its headings
    t[2].note = "x"
    assert.matches("^Id  Name  Note\n", pretty.table(t, nil, nil, { hide_empty = true }))
    assert.matches("^Id  Name  Note  Email\n", pretty.table({ headings = t.headings }, nil, nil, { hide_empty = true }))
  end)

  it("fits a wide table into the width: cells cut with '…', then columns left out", function()
    local t = users(3)
    local wide = pretty.table(t, nil, nil, { hide_empty = true })
    assert.is_true(#lines(wide)[1] > 80, "the table is wider than 80 columns")
    local s = pretty.table(t, nil, nil, { hide_empty = true, width = 80 })
    local ls = lines(s)
    for i = 1, #ls - 1 do assert.is_true(utf8.len(ls[i]) <= 80, ls[i]) end
    assert.truthy(s:find("…", 1, true))
    assert.matches("^User Id", ls[1])
    assert.matches("^user0001@", ls[3])
    assert.matches("\n%(3 rows; %d more columns not shown: [^;]*Hiragana First Name, In Trunk Group; "
      .. "cut to 80 columns: :csv or :json show all; 1 empty column not shown: Department%)$", s)
    assert.matches("  %+1%-3125551001  ", ls[3]) -- a narrow column is never cut
    -- 30 columns cannot all fit: the ones on the right go, named in the note
    local many = { headings = {} }
    local row = {}
    for c = 1, 30 do
      many.headings[c] = "Column " .. c
      row["column_" .. c] = "value " .. c
    end
    many[1] = row
    s = pretty.table(many, nil, nil, { width = 80 })
    ls = lines(s)
    for i = 1, #ls - 1 do assert.is_true(utf8.len(ls[i]) <= 80, ls[i]) end
    assert.matches("^Column 1", ls[1])
    assert.matches("more columns not shown: Column %d+, .*Column 30", ls[#ls])
  end)

  it("fits nested tables of a response, their indent included", function()
    local r = { _type = "UserGetListInGroupResponse", user_table = users(2) }
    local s = pretty.response(r, { hide_empty = true, width = 60 })
    local ls = lines(s)
    assert.are.equal("UserGetListInGroupResponse", ls[1])
    for i = 1, #ls - 1 do assert.is_true(utf8.len(ls[i]) <= 60, ls[i]) end
    assert.matches("^    User Id", ls[3])
  end)

  it("pretty.fit keeps narrow columns and cuts the widest to one cap", function()
    local w, n = pretty.fit({ 4, 30, 40 }, 2, 50, 6)
    assert.are.equal(3, n)
    assert.are.equal(4, w[1])
    assert.are.equal(w[2], w[3])
    assert.is_true(4 + w[2] + w[3] + 4 <= 50)
    w, n = pretty.fit({ 4, 10 }, 2, 80, 6)
    assert.are.same({ 4, 10 }, w)
    assert.are.equal(2, n)
  end)
end)
