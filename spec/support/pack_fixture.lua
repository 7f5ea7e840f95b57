-- Input files for the entity packs' specs: n good rows with bad rows at known places,
-- the outcome each row must get, and the pack's report read back.
--   local fx = pack_fixture.build{ n = 200, header = { ... }, good = fn(i) -> cells,
--     bad = { [i] = { cells = {...} | duplicate = true, outcome = "skipped", code = "4007",
--                    message = "lua pattern", extra = { key = value } (NDJSON) } },
--     format = "csv" | "ndjson" }
--     bad row [i] comes right after good row i; `duplicate` repeats good row i.
--   fx.path, fx.rows (data rows), fx.expect[row] = { outcome=, code=, message= },
--   fx.good[i] = cells of good row i (by column name: fx.cell(i, "name"))
--   pack_fixture.run(sim, pack, path, args) -> report rows, exit code, stdout, stderr
--   pack_fixture.check(rows, fx): every row reported once, in order, with its outcome
local helpers = require "spec.helpers"
local csv = require "ocip.csv"
local cjson = require "cjson"
local assert = require "luassert"

local M = {}

-- names that need care: non-ASCII, a comma, a quote, a formula-like cell
M.NAMES = { "Ährens", "Smith, Jr.", 'O"Brien', "Łukasz", "Nguyễn", "=cmd|' /C calc'!A0", "Plain" }

--- name(i) -> one of M.NAMES with i appended (distinct, at most 30 characters)
function M.name(i) return M.NAMES[i % #M.NAMES + 1] .. " " .. i end

local write_file = helpers.temp_file

function M.build(spec)
  local format = spec.format or "csv"
  local lines, expect, good = {}, {}, {}
  if format == "csv" then
    local h = {}
    for i, c in ipairs(spec.header) do h[i] = csv.field(c) end
    lines[1] = table.concat(h, ",")
  end
  local function add(cells, extra)
    if format == "csv" then
      local out = {}
      for i = 1, #spec.header do out[i] = csv.field(cells[i] or "", { raw = true }) end
      lines[#lines + 1] = table.concat(out, ",")
    else
      local o = {}
      for i, name in ipairs(spec.header) do
        if cells[i] ~= nil and cells[i] ~= "" then o[name] = cells[i] end
      end
      for k, v in pairs(extra or {}) do o[k] = v end
      lines[#lines + 1] = cjson.encode(o)
    end
    return #lines - (format == "csv" and 1 or 0)
  end
  for i = 1, spec.n do
    local cells = spec.good(i)
    good[i] = cells
    expect[add(cells)] = { outcome = "ok" }
    local b = spec.bad and spec.bad[i]
    if b then
      local row = add(b.duplicate and cells or b.cells, b.extra)
      expect[row] = { outcome = b.outcome or "skipped", code = b.code, message = b.message }
    end
  end
  local fx = { path = write_file(table.concat(lines, "\r\n") .. "\r\n"), expect = expect, good = good,
    rows = #lines - (format == "csv" and 1 or 0), header = spec.header }
  local col = {}
  for i, name in ipairs(spec.header) do col[name] = i end
  function fx.cell(i, name) return good[i][col[name]] end
  return fx
end

--- run(sim, pack, path, args) -> report rows, exit code, stdout, stderr
function M.run(sim, pack, path, args)
  local q = helpers.shell_quote
  local rep = os.tmpname()
  local out, code, err = sim.sh(q(helpers.host()) .. " run " .. pack .. " " .. q(path) ..
    " --report " .. q(rep) .. " " .. (args or "") .. " </dev/null")
  local text = helpers.read_file(rep) or ""
  os.remove(rep)
  local rows = {}
  if text ~= "" then
    local _, r = csv.records(text)
    rows = r
  end
  return rows, code, out, err
end

--- check(rows, fx, ok): every row reported once, in order, with its expected outcome
-- (good rows: `ok`, or the outcome given, e.g. "valid" for a dry run, "exists")
function M.check(rows, fx, ok)
  assert.are.equal(fx.rows, #rows, "one report row per input row")
  for i, r in ipairs(rows) do
    local want = fx.expect[i]
    assert.are.equal(tostring(i), r.row)
    local outcome = want.outcome == "ok" and (ok or "ok") or want.outcome
    -- only the server can tell these apart from ok
    if ok == "valid" and (want.outcome == "failed" or want.outcome == "absent" or want.outcome == "exists") then
      outcome = "valid"
    end
    assert.are.equal(outcome, r.outcome, ("row %d (%s): %s"):format(i, tostring(r.key), tostring(r.message)))
    if want.code and r.outcome == "failed" then assert.are.equal(want.code, r.error_code, "row " .. i) end
    if want.message and r.outcome ~= "valid" then
      assert.matches(want.message, r.message or "", 1, false, "row " .. i)
    end
  end
end

--- dry_then_real(sim, pack, fx, args) -> the real run's stderr: the pack on fixture fx,
-- first with --dry-run (good rows valid, bad rows skipped), then for real; both reports
-- checked row by row, and the exit codes (1 when some row is skipped or fails)
function M.dry_then_real(sim, pack, fx, args)
  local rows, code, out = M.run(sim, pack, fx.path, "--dry-run " .. (args or ""))
  assert.are.equal(M.count(fx, "skipped") > 0 and 1 or 0, code, out)
  M.check(rows, fx, "valid")
  local err
  rows, code, _, err = M.run(sim, pack, fx.path, args)
  assert.are.equal((M.count(fx, "skipped") + M.count(fx, "failed")) > 0 and 1 or 0, code, err)
  M.check(rows, fx)
  return err
end

--- send(sim, command) -> the decoded JSON answer of `ocip send --json COMMAND` (asserted ok)
function M.send(sim, command)
  local out, code, err = sim.sh(helpers.shell_quote(helpers.host()) .. " send --json " .. command)
  assert(code == 0, command .. ": " .. err)
  return require("cjson").decode(out)
end

--- count(fx, outcome) -> how many rows should end with outcome ("sent": every row but
-- the skipped ones, i.e. the requests that reach the server)
function M.count(fx, outcome)
  local n = 0
  for _, e in pairs(fx.expect) do
    if e.outcome == outcome or (outcome == "sent" and e.outcome ~= "skipped") then n = n + 1 end
  end
  return n
end

return M
