-- ocip.correlate: the rules deciding whether an answer belongs to a document.
local Error = require "ocip.error"
local correlate = require "ocip.correlate"

local function rec(names)
  local entries = {}
  for i, n in ipairs(names) do entries[i] = { name = n } end
  return { entries = entries, echo = correlate.echo(2, 7), sid = "SID" }
end

local function get(echo) return { _type = "UserGetResponse23V2", _echo = echo } end
local function err(echo) return Error.new("server", "x", { severity = "Error", echo = echo }) end

describe("ocip.correlate", function()
  local two = rec { "UserGetRequest23V2", "UserModifyRequest22" }

  it("names command i of document n of session s s<s>d<n>c<i>", function()
    assert.equal("s2d7c", correlate.echo(2, 7))
  end)

  it("accepts each response in place, of the paired type or ErrorResponse", function()
    assert.is_nil(correlate.check(two, { session_id = "SID", responses = {
      get("s2d7c1"), { _type = "SuccessResponse", _echo = "s2d7c2" } } }))
    assert.is_nil(correlate.check(two, { responses = { err("s2d7c1"), err("s2d7c2") } }))
  end)

  it("refuses another session id, count, echo, missing echo, order or type", function()
    local cases = {
      { { session_id = "OTHER", responses = { get("s2d7c1"), { _type = "SuccessResponse", _echo = "s2d7c2" } } }, "session id" },
      { { responses = { get("s2d7c1") } }, "batch = 1" },
      { { responses = { get("s2d7c1"), err("s2d7c2"), err("s2d7c2") } }, "3 commands for 2" },
      { { responses = { get("s2d6c1"), { _type = "SuccessResponse", _echo = "s2d6c2" } } }, "echoes" },
      { { responses = { get(""), { _type = "SuccessResponse", _echo = "s2d7c2" } } }, "no echo" },
      { { responses = { get(nil), { _type = "SuccessResponse", _echo = "s2d7c2" } } }, "no echo" },
      { { responses = { { _type = "SuccessResponse", _echo = "s2d7c2" }, get("s2d7c1") } }, "echoes" },
      { { responses = { { _type = "GroupGetResponse22V5", _echo = "s2d7c1" }, { _type = "SuccessResponse", _echo = "s2d7c2" } } },
        "GroupGetResponse22V5" },
      { { responses = { { _type = "SuccessResponse", _echo = "s2d7c1" }, { _type = "SuccessResponse", _echo = "s2d7c2" } } },
        "expected UserGetResponse23V2" },
      { { responses = { get("s2d7c1"), err("") } }, "no echo" },
    }
    for i, c in ipairs(cases) do
      local why = correlate.check(two, c[1])
      assert.is_string(why, "case " .. i)
      assert.matches(c[2], why, 1, true)
    end
  end)

  it("a lone echo-less ErrorResponse: the command's error for one, document-level for more", function()
    local one = rec { "UserModifyRequest22" }
    assert.is_nil(correlate.check(one, { responses = { err("") } }))
    assert.is_nil(correlate.check(one, { responses = { err(nil) } }))
    assert.is_false(correlate.document_error(one, { responses = { err("") } }))
    assert.is_true(correlate.document_error(two, { session_id = "SID", responses = { err("") } }))
    assert.is_true(correlate.document_error(two, { responses = { err(nil) } }))
    assert.is_false(correlate.document_error(two, { responses = { err("s2d7c1") } }))
    assert.is_false(correlate.document_error(two, { session_id = "OTHER", responses = { err("") } }))
    local warning = Error.new("server", "w", { severity = "Warning" })
    assert.is_false(correlate.document_error(two, { responses = { warning } }))
  end)
  it("checks the head of a rows answer before its first row (check_head)", function()
    local one = rec { "UserGetListInSystemRequest" }
    local list = function(echo) return { _type = "UserGetListInSystemResponse", _echo = echo } end
    assert.is_nil(correlate.check_head(one, "SID", list("s2d7c1"), 0))
    assert.is_nil(correlate.check_head(one, nil, list("s2d7c1"), 0))
    local cases = {
      { "OTHER", list("s2d7c1"), 0, "session id" },
      { "SID", list("s2d6c1"), 0, "echoes" },
      { "SID", list(nil), 0, "no echo" },
      { "SID", list(""), 0, "no echo" },
      { "SID", { _type = "GroupGetListInSystemResponse", _echo = "s2d7c1" }, 0, "expected UserGetListInSystemResponse" },
      { "SID", list("s2d7c1"), 1, "more than 1 command" },
      { "SID", nil, 0, "more than 1 command" },
    }
    for _, c in ipairs(cases) do
      local why = correlate.check_head(one, c[1], c[2], c[3])
      assert.is_string(why)
      assert.matches(c[4], why, 1, true)
    end
  end)
end)
