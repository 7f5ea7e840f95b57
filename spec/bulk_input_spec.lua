-- ocip.bulk.input / ocip.bulk.paths: bulk files -> validated requests, before any I/O.
local input = require "ocip.bulk.input"
local paths = require "ocip.bulk.paths"
local NIL = require("ocip").NIL

local ADD = "UserAddRequest22V2"
local HEAD = "service_provider_id,group_id,user_id,last_name,first_name,calling_line_id_last_name,calling_line_id_first_name"

local function outcome(items)
  local out = {}
  for i, it in ipairs(items) do out[i] = it.req and "ok" or table.concat(it.problems or {}, "; ") end
  return out
end

describe("bulk column paths", function()
  it("resolve snake_case and XML names, any case, nested with dots and lists with [i]", function()
    local p = assert(paths.resolve(ADD, "serviceProviderId"))
    assert.equal("service_provider_id", p.segs[1].key)
    p = assert(paths.resolve(ADD, "ADDRESS.City"))
    assert.same({ "address", "city" }, paths.keys(p))
    p = assert(paths.resolve(ADD, "alias[1]"))
    assert.same({ "alias[1]" }, paths.keys(p))
    assert.is_nil(p.split)
    assert.is_true(assert(paths.resolve(ADD, "alias")).split) -- one cell, items split on ;
  end)

  it("name the problem, with a did-you-mean", function()
    local _, why = paths.resolve(ADD, "usr_id")
    assert.matches("unknown column .usr_id..*did you mean user_id", why)
    _, why = paths.resolve(ADD, "last_name[0]")
    assert.matches("last_name is not a list", why)
    _, why = paths.resolve(ADD, "is_place.x")
    assert.matches("is_place is a plain value", why)
    _, why = paths.resolve(ADD, "a b")
    assert.matches("bad column name", why)
  end)
end)

describe("bulk input", function()
  it("reads CSV rows into validated requests: empty cells absent, ; lists, @nil, --set", function()
    local text = HEAD .. ",alias,address.city\r\n" ..
      "sp1,g1,a@x.net,A,Ann,A,Ann,sip:a1@x.net; sip:a2@x.net,Paris\r\n" ..
      "sp1,g1,b@x.net,B,Bob,B,Bob,,\r\n"
    local items, problems = input.load(ADD, text, { set = { "password=Xx-12345678" } })
    assert.same({}, problems)
    assert.same({ "ok", "ok" }, outcome(items))
    local f = items[1].fields
    assert.same({ "sip:a1@x.net", "sip:a2@x.net" }, f.alias)
    assert.equal("Paris", f.address.city)
    assert.equal("Xx-12345678", f.password)
    assert.is_nil(items[2].fields.alias)
    assert.equal("a@x.net", items[1].key)
    assert.equal(2, items[2].row)
    -- @nil sends xsi:nil where the field is nillable, and is a row problem where not
    items = input.load("UserModifyRequest22", "user_id,title\nu@x.net,@nil\n")
    assert.equal(NIL, items[1].fields.title)
    assert.equal("ok", outcome(items)[1])
    items = input.load(ADD, HEAD .. ",title\nsp1,g1,a@x.net,A,Ann,A,Ann,@nil\n")
    assert.matches("title: not nillable", outcome(items)[1])
  end)

  it("reads boolean cells as booleans: true/false in any case (Excel writes TRUE), 1/0", function()
    local items = input.load("UserModifyRequest22", "user_id,allow_video\na@x.net,TRUE\nb@x.net,false\nc@x.net,0\nd@x.net,yes\n")
    assert.equal(true, items[1].fields.allow_video)
    assert.equal(false, items[2].fields.allow_video)
    assert.equal(false, items[3].fields.allow_video)
    assert.same({ "ok", "ok", "ok" }, { outcome(items)[1], outcome(items)[2], outcome(items)[3] })
    assert.matches("allow_video: boolean expected", outcome(items)[4])
    -- --set too, and nested fields
    items = input.load("UserModifyRequest22", "user_id\na@x.net\n", { set = { "allow_video=True" } })
    assert.equal(true, items[1].fields.allow_video)
  end)

  it("lists every file-level problem at once and builds no request", function()
    local items, problems = input.load(ADD, "service_provider_id,grup_id,,usr_id\nsp1,g1,x,y\n")
    assert.equal(3, #problems)
    assert.matches("grup_id.*did you mean group_id", problems[1])
    assert.matches("column 3 has no name", problems[2])
    assert.matches("usr_id", problems[3])
    for _, it in ipairs(items) do assert.is_nil(it.req) end
  end)

  it("lists every row's problems, with row numbers, and finds duplicates", function()
    local text = HEAD .. "\n" ..
      "sp1,g1,a@x.net,A,Ann,A,Ann\n" ..
      "sp1,g1,,B,Bob,B,Bob\n" ..           -- missing user_id
      "sp1,g1,a@x.net,A,Ann,A,Ann\n" ..    -- duplicate of row 1
      "sp1,g1,c@x.net,C\n"                  -- too few fields
    local items, problems = input.load(ADD, text)
    assert.same({}, problems)
    local o = outcome(items)
    assert.equal("ok", o[1])
    assert.matches("user_id: required field missing", o[2])
    assert.equal("row 2", items[2].key)
    assert.equal("duplicate of row 1", o[3])
    assert.matches("has 4 fields, the header 7", o[4])
  end)

  it("reads JSON arrays and NDJSON (null -> xsi:nil, integers stay integers)", function()
    local items, problems = input.load("UserModifyRequest22",
      '[{"user_id":"a@x.net","last_name":"Z"},{"userId":"b@x.net","title":null}]')
    assert.same({}, problems)
    assert.same({ "ok", "ok" }, outcome(items))
    assert.equal(NIL, items[2].fields.title)
    items, problems = input.load("GroupCallCenterModifyInstanceRequest22",
      '{"service_user_id":"cc@x.net","queue_length":"12"}\n\n{"service_user_id":"cc2@x.net","queue_length":7}\nnot json\n')
    assert.same({}, problems)
    assert.equal(3, #items)
    assert.equal("ok", outcome(items)[1])
    assert.equal(7, items[2].fields.queue_length)
    assert.matches("line 4: not a JSON object", outcome(items)[3])
  end)

  it("refuses an unknown request and an unknown format", function()
    local _, problems = input.load("UserGetRequest99", "a\n")
    assert.matches("unknown request", problems[1])
    _, problems = input.load(ADD, "a\n", { format = "xml" })
    assert.matches("unknown format", problems[1])
  end)
end)
