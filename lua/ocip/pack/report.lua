-- ocip.pack.report: the outcome of every input row, streamed to a file as it arrives and
-- read back by --resume.
--   report.COLUMNS = { "row", "key", "outcome", "error_kind", "error_code", "message" }
--   report.entry(row, key, outcome, err) -> entry (a table keyed by the columns)
--   local r = report.start(path, format, first, raw) -> r | nil, err
--       the file is created as PATH.part holding the header and the entries `first`, then
--       renamed over PATH (an earlier report at PATH is never lost half-way), and kept open:
--   r:add(entry)        one line, flushed at once: kill -9 leaves every outcome known so far
--   r:compact(entries)  the final file: one entry per (row, key), in row order (PATH.part,
--                       renamed over PATH); the stream is closed first
--   report.read(path) -> entries | nil, err   any format; a cut last line (kill -9) is
--                       ignored; later lines win for the same row and key
--   report.DONE[outcome] -> true for ok, exists, absent: what --resume does not send again
-- Formats: csv (default), ndjson, json (an array with one object per line; while the run
-- goes on the closing "]" is missing, which report.read accepts). Messages and keys are
-- kept on one line (line breaks become spaces) so that every entry is one line.
local csv = require "ocip.csv"
local output = require "ocip.pack.output"
local Error = require "ocip.error"

local M = {}

M.COLUMNS = { "row", "key", "outcome", "error_kind", "error_code", "message" }
M.DONE = { ok = true, exists = true, absent = true }

local function one_line(v)
  if type(v) ~= "string" then return v end
  return (v:gsub("[\r\n]+", " "))
end

--- entry(row, key, outcome, err): err an ocip.Error, a string or a { message = } table
function M.entry(row, key, outcome, err)
  local e = { row = row, key = key ~= nil and tostring(key) or nil, outcome = outcome }
  if type(err) == "table" then
    local msg = err.summary_english or err.summary or err.message
    if err.detail and err.detail ~= "" then msg = tostring(msg) .. " (" .. tostring(err.detail) .. ")" end
    e.error_kind, e.message = err.kind, msg ~= nil and tostring(msg) or nil
    e.error_code = err.code ~= nil and (math.tointeger(tonumber(err.code)) or tostring(err.code)) or nil
  elseif err ~= nil then
    e.error_kind, e.message = "error", tostring(err)
  end
  return e
end

local function values(e)
  return { e.row, one_line(e.key), e.outcome, e.error_kind, e.error_code, one_line(e.message) }
end

local R = {}
R.__index = R

local function write_all(path, format, entries, raw)
  local out, err = output.open{ path = path, format = format, columns = M.COLUMNS, raw = raw }
  if not out then return nil, err end
  for _, e in ipairs(entries or {}) do out:row(values(e)) end
  return out
end

function M.start(path, format, first, raw)
  local out, err = write_all(path, format, first, raw)
  if not out then return nil, err end
  -- the open handle follows the file through the rename: later rows land in PATH
  out:flush()
  local ok, rerr = os.rename(out.tmp, path)
  if not ok then out:abandon() return nil, Error.new("usage", tostring(rerr)) end
  out.tmp = nil
  return setmetatable({ out = out, path = path, format = format, raw = raw }, R)
end

function R:add(e)
  self.out:row(values(e))
  self.out:flush()
end

local function sorted(entries)
  local list, at = {}, {}
  for _, e in ipairs(entries) do
    local k = tostring(e.row) .. "\0" .. tostring(e.key)
    if at[k] then list[at[k]] = e else list[#list + 1] = e; at[k] = #list end
  end
  table.sort(list, function(a, b)
    if a.row ~= b.row then return (a.row or 0) < (b.row or 0) end
    return tostring(a.key) < tostring(b.key)
  end)
  return list
end
M.sorted = sorted

function R:compact(entries)
  if not self.out.closed then
    self.out.closed = true
    self.out.file:close()
  end
  local out, err = write_all(self.path, self.format, sorted(entries), self.raw)
  if not out then return nil, err end
  return out:close()
end

-- A JSON value from one report line (ndjson, or json's one object per line).
local function decode_line(line)
  local ok, v = pcall(require("cjson").decode, line)
  if not ok or type(v) ~= "table" then return nil end
  local e = {}
  for _, k in ipairs(M.COLUMNS) do
    local x = v[k]
    if x ~= nil and x ~= require("cjson").null then e[k] = x end
  end
  e.row = math.tointeger(tonumber(e.row)) or e.row
  if e.key ~= nil then e.key = tostring(e.key) end
  return e
end

function M.read(path)
  local text, err = csv.read_file(path)
  if not text then return nil, err end
  local entries = {}
  local first = text:match("^%s*(.)")
  if first == "[" or first == "{" then
    local lines = {}
    for line in text:gmatch("[^\r\n]+") do lines[#lines + 1] = line end
    for i, line in ipairs(lines) do
      line = csv.trim(line):gsub(",$", "")
      if line ~= "" and line ~= "[" and line ~= "]" then
        local e = decode_line(line)
        if e then entries[#entries + 1] = e
        elseif i < #lines then
          return nil, Error.new("usage", ("%s: line %d is not a report entry"):format(path, i))
        end
      end
    end
    return entries
  end
  -- CSV: every entry is one line, so a line cut by kill -9 is the text after the last
  -- line end; leave it out.
  if not text:match("\n$") then text = text:match("^(.*\n)") or "" end
  local header, rows = csv.records(text, { sep = "," })
  if not header then
    return nil, Error.new("usage", path .. ": " .. tostring(rows and rows.message or rows))
  end
  for _, col in ipairs { "row", "key", "outcome" } do
    local found = false
    for _, h in ipairs(header) do found = found or h == col end
    if not found then return nil, Error.new("usage", path .. ": not a report (no " .. col .. " column)") end
  end
  for _, r in ipairs(rows) do
    if not r._error then
      entries[#entries + 1] = { row = math.tointeger(tonumber(r.row)) or r.row, key = r.key or "",
        outcome = r.outcome, error_kind = r.error_kind, error_code = r.error_code, message = r.message }
    end
  end
  return entries
end

return M
