-- ocip apply FILE [--group SP/GROUP] --yes: makes a live group match a configuration file
-- (ocip.config), on the pack plumbing (ocip.pack): report, signals, exit codes.
local ocip = require "ocip"
local pack = require "ocip.pack"
local config = require "ocip.config"
local apply = require "ocip.config.apply"
local text = require "ocip.config.text"
local common = require "ocip.cli.config_common"
local profile = require "ocip.profile"

local USAGE = [[
usage: ocip apply FILE [--group SP/GROUP] (--yes | --dry-run) [flags] [connection flags]
Makes the live group match FILE (from ocip snapshot, edited or by hand): reads the group,
prints the plan (as ocip plan does), then sends exactly those changes in dependency order:
the group itself (created when missing), departments (parents first), phone numbers,
devices, users and their services, hunt groups, call centers and their agents, auto
attendants, pickup groups; then the deletes, in the reverse order. The changes of one
step run concurrently; a change waits for every change of the steps before it. Each
change's outcome is printed as it ends. Run it again and it finds nothing to do.
  --group SP/GROUP  apply to this group instead of FILE's own (copy a group to another
                    group id or system; the group is created when missing)
  --yes (-y)        really change the group; without it the plan is printed, nothing is
                    sent, and the exit status is 2
  --dry-run (-n)    print the plan and stop (exit 0), as ocip plan does
  --limit N         at most the first N changes, in the order they would run
  --report FILE     the outcome of every change as it ends: row (the change's place in the
                    plan), key (what it changes: "user alice@example.net"), outcome (ok,
                    failed, interrupted; dry run: valid), error_kind, error_code, message
  --format F        csv (default), json or ndjson: the --report file
  --raw-csv         report cells as they are (default: a ' before a cell starting with
                    = + - @ tab or CR, which a spreadsheet would run as a formula)
  --concurrency N   changes in flight at once within a step (default ]] .. pack.DEFAULT_CONCURRENCY .. [[)
  --rate N          at most N commands per second
  progress on stderr: a bar on a terminal, else a line every 10 s (OCIP_PROGRESS=bar|lines|off)
]] .. common.RULES .. [[

signals: SIGINT (Ctrl-C) or SIGTERM stops sending, waits up to ]] .. pack.GRACE .. [[ s for the changes
        in flight, writes the report and the summary and exits 130 (a second one: at once);
        run apply again to finish: the plan is computed afresh
exit:   0 every change done (or none needed), 1 some change failed (or FILE holds values no
        request accepts: nothing sent), 2 usage (also: FILE unreadable, or changes to make
        but no --yes), 3 could not connect or log in (nothing done), 130 interrupted
]] .. profile.HELP

local function outcome_line(it, r, err)
  local ch = it.change
  local head = "  " .. text.SIGN[ch.action] .. " " .. ch.label .. ": "
  if r then return head .. "done" end
  if type(err) ~= "table" then return head .. "failed: " .. tostring(err) end
  local msg = tostring(err.summary_english or err.summary or err.message)
  if err.code and not msg:find("[Error " .. tostring(err.code) .. "]", 1, true) then
    msg = "[" .. tostring(err.code) .. "] " .. msg
  end
  return head .. "failed: " .. msg
end

return function(args)
  local p = pack.new{
    name = "ocip apply",
    args = { min = 1, max = 1, name = "FILE" },
    options = { ["--group"] = { "group", "s" }, ["--yes"] = { "yes", true }, ["-y"] = { "yes", true } },
    usage = USAGE,
  }
  p.help = USAGE
  local o = p:parse(args)
  local target
  if o.group then
    local err
    target, err = config.target(o.group)
    if not target then p:die("--group: " .. err.message) end
  end
  local want, err = config.load(o.args[1])
  if not want then p:die(err) end
  target = target or want.group
  p:settings()
  local c = p:connect()
  local plan
  plan, err = config.plan(c, want, target, { concurrency = o.concurrency })
  if not plan then
    c:close()
    p:die(tostring(err), pack.EXIT.failed)
  end
  io.stdout:write(config.text(plan))
  io.stdout:flush()
  if common.problems("apply", plan) then
    c:close()
    p:die("nothing was sent", pack.EXIT.failed)
  end
  local items = p:take(apply.items(plan))
  if #items == 0 then
    c:close()
    p:finish{ what = "changes", summary = common.where(target) .. " matches " .. o.args[1] .. ", nothing sent" }
  end
  if o.dry_run then
    for _, it in ipairs(items) do p:ok(it.row, it.key, "dry run: not applied") end
    c:close()
    p:finish{ what = "changes" }
  end
  if not o.yes then
    c:close()
    p:die(("refusing to make %d change(s) to %s without --yes (the plan above; nothing was sent)")
      :format(#items, common.where(target)))
  end
  io.stdout:write(("\nApplying %d change(s) to %s:\n"):format(#items, common.where(target)))
  io.stdout:flush()
  local gate = apply.gate(items)
  p:run(c, items, function(it)
    gate:wait(it)
    if p.interrupted then
      gate:done(it)
      return nil, ocip.Error.new("closed", "not sent: stopped by " .. p.interrupted)
    end
    local ok, r, serr = pcall(apply.send, c, it.change)
    gate:done(it)
    if not ok then r, serr = nil, r end
    io.stdout:write(outcome_line(it, r, serr), "\n")
    io.stdout:flush()
    return r, serr
  end, { label = "apply", what = "changes",
    go_on = "the same ocip apply again (it plans afresh: only what is left is sent)" })
  c:close()
  p:finish{ what = "changes" }
end
