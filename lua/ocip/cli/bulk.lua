-- ocip bulk REQUEST FILE: any request of the catalog, one per row of a CSV file (or one
-- per object of a JSON array / NDJSON file), on the pack plumbing (ocip.pack): every row
-- validated before anything is sent, then --dry-run, --report, --resume, --concurrency,
-- --rate, progress, signals and exit codes as the packs have them.
-- The flow is ocip.bulk.recipe's, without friendly columns.
local recipe = require "ocip.bulk.recipe"

local USAGE = [[
usage: ocip bulk REQUEST FILE [--set FIELD=VALUE ...] [--input csv|json|ndjson] [flags]
  REQUEST    any request of the release (ocip describe REQUEST lists its fields)
  FILE       CSV with a header row of field names ("," ";" or tab separated; "-" = stdin),
             a JSON array of objects, or NDJSON (one object per line)
  CSV columns: snake_case or XML field names, any case; nested fields with dots
             (address.city, service_instance_profile.name); lists as alias[0], alias[1],
             or one cell split on ";" (alias = sip:a@x;sip:b@x); records in lists as
             agent[0].user_id; an abstract field's type as department._type
  cells:     empty = field absent; @nil = xsi:nil; true/false for booleans
  --set FIELD=VALUE   the same value on every row (same path syntax; repeatable)
  --input F  the file's format (default: from the extension, else from the content)
  --yes      needed to send a *Delete* request (unless --dry-run)
  --strict   send nothing when any row has a problem (default: send the valid rows)
  --ignore-unknown-columns   warn about CSV columns the request has no field for and
             leave them out (e.g. a users_export file as input to UserDeleteRequest)
Every row is validated before anything is sent and every problem is listed on stderr
with its row number; invalid and duplicate rows are skipped (outcome "skipped", exit 1).
A problem with the file itself (unknown column, bad header) sends nothing (exit 2).
outcomes: exists (an Add found the object there: 4010) and absent (a Delete found it
gone: 4008/4009/4505) are not failures]]

return function(args)
  recipe.run({ name = "bulk", usage = USAGE, unique = false }, args)
end
