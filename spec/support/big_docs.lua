-- Large and hostile OCI-P documents for the decoder and network specs (and the
-- codec benchmark, which runs without busted: luassert is loaded only for checks).
local M = {}

M.HEAD = '<?xml version="1.0" encoding="ISO-8859-1"?>\n'
  .. '<BroadsoftDocument protocol="OCI" xmlns="C" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'

-- The headings a real server sends for UserGetListInSystemResponse.userTable.
M.USER_HEADINGS = { "User Id", "Group Id", "Service Provider Id", "Last Name", "First Name",
  "Department", "Phone Number", "Phone Number Activated", "Email Address", "Hiragana Last Name",
  "Hiragana First Name", "In Trunk Group", "Extension", "Reseller Id", "User External Id" }

--- user_id(i) -> the user id of row i (1-based) in user_list documents.
function M.user_id(i) return ("user%07d@provisioning.example.test"):format(i) end

-- Row i of the user table (~360 bytes; two empty columns, like real answers).
local function row(i)
  return ("<row><col>%s</col><col>group%04d</col><col>enterprise%03d</col>"
    .. "<col>M\xFCller-Lastname%d</col><col>Firstname%d</col><col>Department of Provisioning Tests</col>"
    .. "<col>+1-555%07d</col><col>true</col><col>user%07d@mail.example.test</col><col/><col/>"
    .. "<col>false</col><col>%04d</col><col/><col>external-id-%d</col></row>")
    :format(M.user_id(i), i % 1000, i % 100, i, i, i, i, i % 10000, i)
end

--- user_list(rows, session_id, echo) -> a UserGetListInSystemResponse document with
--- `rows` users (ISO-8859-1: last names hold a u-umlaut byte).
function M.user_list(rows, session_id, echo)
  local parts = { M.HEAD, '<sessionId xmlns="">', session_id or "s", "</sessionId>",
    '<command', echo and (' echo="' .. echo .. '"') or "",
    ' xsi:type="UserGetListInSystemResponse" xmlns=""><userTable>' }
  for _, h in ipairs(M.USER_HEADINGS) do parts[#parts + 1] = "<colHeading>" .. h .. "</colHeading>" end
  for i = 1, rows do parts[#parts + 1] = row(i) end
  parts[#parts + 1] = "</userTable></command></BroadsoftDocument>\n"
  return table.concat(parts)
end

--- user_table_pieces(rows, counter) -> pieces for spec.support.oci_peer: the userTable
--- element of a UserGetListInSystemResponse, rows generated and written in ~1 MB
--- batches (the server never holds the whole answer). counter.bytes (if given) adds up
--- the bytes written.
function M.user_table_pieces(rows, counter)
  local heads = {}
  for i, h in ipairs(M.USER_HEADINGS) do heads[i] = "<colHeading>" .. h .. "</colHeading>" end
  local function add(n) if counter then counter.bytes = (counter.bytes or 0) + n end end
  local head = "<userTable>" .. table.concat(heads)
  return {
    function(conn)
      add(#head)
      if not (conn:write(head) and conn:flush()) then return false end
      for first = 1, rows, 3000 do
        local batch = {}
        for i = first, math.min(rows, first + 2999) do batch[#batch + 1] = row(i) end
        local s = table.concat(batch)
        add(#s)
        if not (conn:write(s) and conn:flush()) then return false end
      end
      return true
    end,
    "</userTable>",
  }
end

--- filler(bytes, piece) -> a piece for spec.support.oci_peer writing `bytes` bytes of
--- character data in `piece`-byte writes (default 256 KiB), one string reused.
function M.filler(bytes, piece)
  piece = piece or 256 * 1024
  local chunk = ("x"):rep(piece)
  return function(conn)
    local left = bytes
    while left > 0 do
      local s = left >= piece and chunk or chunk:sub(1, left)
      if not (conn:write(s) and conn:flush()) then return false end
      left = left - #s
    end
    return true
  end
end

--- check_user_row(r, i): asserts the decoded record r is row i of user_list.
function M.check_user_row(r, i)
  local assert = require "luassert"
  assert.equal(M.user_id(i), r.user_id)
  assert.equal(("group%04d"):format(i % 1000), r.group_id)
  assert.equal("M\xC3\xBCller-Lastname" .. i, r.last_name) -- converted to UTF-8
  assert.equal(("+1-555%07d"):format(i), r.phone_number)
  assert.equal("external-id-" .. i, r.user_external_id)
  assert.is_nil(r.hiragana_last_name)
end

--- attributes(n, session_id) -> a document whose one element carries n attributes.
function M.attributes(n, session_id)
  local t = {}
  for i = 1, n do t[i] = ('a%d="x"'):format(i) end
  return M.HEAD .. '<sessionId xmlns="">' .. (session_id or "s") .. '</sessionId>'
    .. '<command xmlns="" xsi:type="SuccessResponse"><x ' .. table.concat(t, " ")
    .. '/></command></BroadsoftDocument>\n'
end

local function status_kib(field)
  local f = io.open("/proc/self/status", "r")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return tonumber(s:match(field .. ":%s*(%d+)"))
end

--- rss_kib() -> this process's resident set size in KiB (Linux), or nil.
function M.rss_kib() return status_kib("VmRSS") end

--- peak_rss_kib() -> the highest resident set size this process had, in KiB, or nil.
function M.peak_rss_kib() return status_kib("VmHWM") end

return M
