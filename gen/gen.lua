-- OCI-P catalog generator: XSD release -> gen/catalog.inc (facts only).
-- usage: lua5.4 gen/gen.lua SCHEMA_DIR OUT_FILE [COLUMNS_FILE]
-- (COLUMNS_FILE defaults to schemas/columns.lua; another one is for testing hints)
local script_dir = (arg and arg[0] or ""):match("^(.*)/[^/]*$") or "."
package.path = script_dir .. "/?.lua;" .. package.path

local xsd = require "xsd"
local model = require "model"
local layout = require "layout"
local emit = require "emit"
local columns = require "columns"

local ROOT_FILE = "OCISchemaAS.xsd"
local REPO = script_dir .. "/.."
local SCHEMAS = REPO .. "/schemas"
local OVERLAY = REPO .. "/schemas/overlay.lua"
local COLUMNS = REPO .. "/schemas/columns.lua"

local function die(msg)
  io.stderr:write("gen: ", msg, "\n")
  os.exit(1)
end

local function shell_quote(s)
  return "'" .. s:gsub("'", "'\\''") .. "'"
end

local function run(cmd)
  local p = assert(io.popen(cmd, "r"))
  local text = p:read("a")
  local ok, _, code = p:close()
  if not ok then die("command failed (" .. tostring(code) .. "): " .. cmd) end
  return text
end

local function read(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

-- sha256sum manifest (relative paths, sorted) of every .xsd under `dir`.
local function manifest_of(dir)
  local q = shell_quote(dir)
  local list = run("cd " .. q .. " && find . -type f -name '*.xsd'")
  local files = {}
  for line in list:gmatch("[^\n]+") do files[#files + 1] = line:gsub("^%./", "") end
  table.sort(files)
  if #files == 0 then die("no .xsd files in " .. dir) end
  local args = {}
  for i, f in ipairs(files) do args[i] = shell_quote(f) end
  return run("cd " .. q .. " && sha256sum -- " .. table.concat(args, " "))
end

local function sha256_text(text)
  local tmp = os.tmpname()
  local f = assert(io.open(tmp, "wb"))
  f:write(text)
  f:close()
  local out = run("sha256sum " .. shell_quote(tmp))
  os.remove(tmp)
  return out:match("^(%x+)")
end

local function main(schema_dir, out_file, columns_file)
  if not schema_dir or not out_file then
    die("usage: lua5.4 gen/gen.lua SCHEMA_DIR OUT_FILE [COLUMNS_FILE]")
  end
  local t0 = os.clock()
  local overlay_chunk, err = loadfile(OVERLAY, "t", {})
  if not overlay_chunk then die("overlay: " .. tostring(err)) end
  local overlay = overlay_chunk()
  local okc, hints = pcall(columns.load, columns_file or COLUMNS)
  if not okc then die(hints) end

  local ok, files = pcall(xsd.load_set, schema_dir, ROOT_FILE)
  if not ok then die(files) end
  local ok2, defs = pcall(model.build, files, overlay)
  if not ok2 then die(defs) end
  local okr, resolved = pcall(columns.resolve, defs, hints)
  if not okr then die(resolved) end
  local ok3, lay = pcall(layout.layout, defs, overlay, resolved)
  if not ok3 then die(lay) end

  -- A known release has its manifest schemas/ocip-<release>.sha256.
  local manifest = manifest_of(schema_dir)
  local release = "custom"
  for name in run("cd " .. shell_quote(SCHEMAS) .. " && ls"):gmatch("[^\n]+") do
    local rel = name:match("^ocip%-(.+)%.sha256$")
    if rel and read(SCHEMAS .. "/" .. name) == manifest then release = rel:upper() end
  end
  local names = {}
  for n in pairs(defs) do names[#names + 1] = n end
  table.sort(names)
  local text = emit.emit(lay, { release = release, manifest_sha256 = sha256_text(manifest),
                                type_names = names })

  local tmp = out_file .. ".tmp"
  local f = io.open(tmp, "wb")
  if not f then die("cannot write " .. tmp) end
  f:write(text)
  f:close()
  local renamed, rerr = os.rename(tmp, out_file)
  if not renamed then die(rerr) end

  local total = select(2, manifest:gsub("\n", ""))
  local c = lay.counts
  for _, w in ipairs(lay.warnings) do io.stderr:write("gen: warning: ", w, "\n") end
  io.stderr:write(string.format(
    "gen: release %s: %d of %d files; %d types: %d requests (%d deprecated), %d responses (%d data), " ..
    "%d data types, %d simple types (%d enums), %d choices, %d tables; " ..
    "%d particles, %d column hints, %d string bytes; %.2fs cpu\n",
    release, #files, total, #lay.types, c.requests, c.deprecated, c.responses, c.data_responses,
    c.data_types, c.simple_types, c.enum_types, c.choices, c.tables,
    c.particles, c.hints, lay.string_size, os.clock() - t0))
end

main(arg[1], arg[2], arg[3])
