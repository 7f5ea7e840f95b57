-- ocip.xml: the public codec. encode(requests, session_id) -> document string;
-- decode(document, opts) -> { session_id=, responses={...} }.
local M = {}

-- encode -------------------------------------------------------------------
-- (owned by the catalog/validation/encoder piece; see lua/ocip/encode.lua)
do
  local encode = require "ocip.encode"

  --- encode(requests, session_id, echo) -> document string, or nil, err.
  -- `requests`: one request object or an array of 1..15 (objects from
  -- ocip.commands / catalog.build, or plain tables with `_type`, validated here).
  -- `echo` (optional): command i carries echo = echo .. i instead of its own `_echo`.
  M.encode = encode.document

  --- encode_command(request) -> `<command ...>...</command>`, or nil, err.
  M.encode_command = encode.command
end

-- decode -------------------------------------------------------------------
-- (owned by the decoder piece: runtime/decode.c + bindings/decode.c do the work)
do
  local core = require "ocip.core"
  local Error = require "ocip.error"

  --- server_error(resp) -> ocip.Error of kind "server" for a decoded ErrorResponse table.
  local function server_error(r)
    return Error.new("server", r.summary_english or r.summary or "ErrorResponse", {
      code = r.error_code,
      summary = r.summary,
      summary_english = r.summary_english,
      detail = r.detail,
      severity = r.type or "Error",
      echo = r._echo,
    })
  end
  M.server_error = server_error

  -- Replaces every ErrorResponse of a decoded document by its ocip.Error.
  local function finish(doc, err)
    if not doc then return nil, err end
    local responses = doc.responses
    for i = 1, #responses do
      if responses[i]._type == "ErrorResponse" then responses[i] = server_error(responses[i]) end
    end
    return doc
  end

  --- decoded(doc, err) -> doc with each ErrorResponse turned into its ocip.Error, or nil,
  -- err (for a document decoded by a core.decoder fed elsewhere: conn:read(dec)).
  M.decoded = finish

  --- decode(document, opts) -> { session_id=, responses={...} }, or nil, err.
  -- opts: max_size (bytes, default 64 MiB), max_depth (default 64),
  -- encoding (force one, e.g. "UTF-8" for a document unescaped from SOAP).
  -- Each response is a table with `_type` and snake_case fields; an ErrorResponse
  -- becomes an ocip.Error (kind "server", code, summary, summary_english, detail,
  -- severity). Works for request documents too (the simulator's side).
  function M.decode(document, opts)
    return finish(core.decode(document, opts))
  end

  --- decoder(opts) -> incremental decoder: d:feed(chunk) -> true | nil, err;
  -- d:finish() -> the same result as decode().
  function M.decoder(opts)
    local d = core.decoder(opts)
    return {
      feed = function(_, chunk) return d:feed(chunk) end,
      finish = function() return finish(d:finish()) end,
    }
  end
end

return M
