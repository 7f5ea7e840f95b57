-- ocip.redact: masks secrets in log lines by where they stand, never by substring:
--   * the text of secret-bearing elements (<password>, <signedPassword>, <securityPin>,
--     ...) in documents, raw or escaped inside a SOAP body, whatever its value;
--   * HTTP header values: Cookie and Set-Cookie values, JSESSIONID=..., Authorization;
--   * known secrets (the password, signed passwords, cookies learnt at run time) where
--     one stands as a whole token: between delimiters (space, quotes, <>, =, ;, :, ...),
--     so a password "e" masks "<userId>e</userId>" but leaves "connecting" alone.
-- Every pass moves forward through the text: a line costs linear time.
local M = {}

local MASK = "***"
M.MASK = MASK

local find, sub, byte, lower = string.find, string.sub, string.byte, string.lower

-- Local names (lower case) of the elements whose text is a secret, from the R25 schema
-- (password, passcode, PIN, token and key types).
local SECRET_ELEMENTS = {}
for name in ([[password plainTextPassword signedPassword newPassword oldPassword userPassword
  defaultPassword authenticationPassword accessDeviceAuthenticationPassword accessDeviceUserPassword
  sipAuthenticationPassword newSipAuthenticationPassword OldSipAuthenticationPassword
  userSIPAuthenticationPassword trunkGroupAuthenticationPassword groupAdministratorPassword
  serviceProviderAdministratorPassword systemAdministratorPassword groupMailServerPassword
  personalMailServerPassword impPassword fileRepositoryPassword ftpUserPassword
  mobilityManagerProvisioningPassword provisioningPassword remotePassword
  passcode newPasscode oldPasscode defaultPasscode userPasscode securityPin moderatorPin
  secretKey sharedSecret loginToken deviceToken fileReposAccessToken pushNotificationToken]]):gmatch("%S+") do
  SECRET_ELEMENTS[lower(name)] = true
end

-- Flags and menu keys whose names end like a secret's but whose text is not one.
local PUBLIC_ELEMENTS = {}
for name in ([[generatePassword generateSipPassword generateDeviceAuthenticationPassword
  generateTrunkGroupAuthenticationPassword disallowOldPassword disallowReversedOldPassword
  expirePassword hasPassword useCustomUserNamePassword generatePasscode disallowOldPasscode
  disallowReversedOldPasscode enableDefaultPasscode promptForPasscode
  finishEnteringOrReenteringPasscode]]):gmatch("%S+") do
  PUBLIC_ELEMENTS[lower(name)] = true
end

--- secret_element(name) -> true when the text of element `name` (prefix allowed) is secret.
-- Names the list does not know that end in password/passcode count as secret (newer releases).
function M.secret_element(name)
  local lname = lower(name:match(":([^:]*)$") or name)
  if SECRET_ELEMENTS[lname] then return true end
  if PUBLIC_ELEMENTS[lname] then return false end
  return find(lname, "password$") ~= nil or find(lname, "passcode$") ~= nil
end

-- Start tags <name ...>text</ in one escaping level (lt/gt: "<" ">" or "&lt;" "&gt;").
-- Each find starts where the previous one stopped, or reuses the '>' already found.
local function mask_elements_in(text, lt, gt)
  local out, from, pos, gt_at = nil, 1, 1, nil
  local close, nlt, ngt = lt .. "/", #lt, #gt
  while true do
    local at = find(text, lt, pos, true)
    if not at then break end
    local name, after = text:match("^([%w_%.%-:]+)()", at + nlt)
    if not name then
      pos = at + nlt
    elseif not M.secret_element(name) then
      pos = after
    else
      if not gt_at or gt_at < after then gt_at = find(text, gt, after, true) end
      if not gt_at then break end -- no tag can end after this point
      local nxt = find(text, lt, after, true)
      if not nxt then -- the line ends inside this element: mask to the end
        if gt_at + ngt <= #text and sub(text, gt_at - 1, gt_at - 1) ~= "/" then
          out = out or {}
          out[#out + 1] = sub(text, from, gt_at + ngt - 1)
          out[#out + 1] = MASK
          from = #text + 1
        end
        break
      end
      if nxt > gt_at + ngt and sub(text, gt_at - 1, gt_at - 1) ~= "/"
        and sub(text, nxt, nxt + #close - 1) == close then
        out = out or {}
        out[#out + 1] = sub(text, from, gt_at + ngt - 1)
        out[#out + 1] = MASK
        from = nxt
      end
      pos = nxt
    end
  end
  if not out then return text end
  out[#out + 1] = sub(text, from)
  return table.concat(out)
end

local function mask_elements(text)
  text = mask_elements_in(text, "<", ">")
  return mask_elements_in(text, "&lt;", "&gt;")
end

-- value of a Cookie header: every name=value pair; of Set-Cookie: the first pair only
-- (Path, Domain, HttpOnly... stay readable). A pair without '=' is masked whole.
local function mask_pairs(value, first_only)
  local out, n = {}, 0
  for seg in (value .. ";"):gmatch("([^;]*);") do
    n = n + 1
    if first_only and n > 1 then
      out[n] = seg
    else
      local eq = find(seg, "=", 1, true)
      out[n] = eq and sub(seg, 1, eq) .. MASK or seg:match("^%s*") .. MASK
    end
  end
  return table.concat(out, ";")
end

local function word_before(text, p)
  return p > 1 and find(sub(text, p - 1, p - 1), "^[%w_]") ~= nil
end

local function mask_headers(text)
  text = text:gsub("()([Cc][Oo][Oo][Kk][Ii][Ee][ \t]*:[ \t]*)([^\r\n]*)", function(p, head, value)
    if word_before(text, p) then return nil end
    local set = p > 4 and lower(sub(text, p - 4, p - 1)) == "set-"
    return head .. mask_pairs(value, set)
  end)
  text = text:gsub("()([Aa][Uu][Tt][Hh][Oo][Rr][Ii][Zz][Aa][Tt][Ii][Oo][Nn][ \t]*:[ \t]*)[^\r\n]+", function(p, head)
    if word_before(text, p) then return nil end
    return head .. MASK
  end)
  -- JSESSIONID=value anywhere (URL path parameters, trace lines)
  return (text:gsub("([Jj][Ss][Ee][Ss][Ss][Ii][Oo][Nn][Ii][Dd]%s*[=:]%s*[\"']?)[^;,%s\"'&<]+", "%1" .. MASK))
end

-- Token delimiters. '&' ends a token but does not start one: "&lt;" is an entity, so a
-- password "lt" leaves escaped text alone.
local ENDS, STARTS = {}, {}
for c in ("\t\n\v\f\r \"'<>=;:,()[]{}/?|`"):gmatch(".") do ENDS[byte(c)], STARTS[byte(c)] = true, true end
ENDS[byte("&")] = true

local function mask_token(text, form)
  local n = #form
  local open_left, open_right = STARTS[byte(form, 1)], ENDS[byte(form, n)]
  local out, from, pos = nil, 1, 1
  while true do
    local i = find(text, form, pos, true)
    if not i then break end
    local j = i + n - 1
    if (open_left or i == 1 or STARTS[byte(text, i - 1)])
      and (open_right or j == #text or ENDS[byte(text, j + 1)]) then
      out = out or {}
      out[#out + 1] = sub(text, from, i - 1)
      out[#out + 1] = MASK
      from, pos = j + 1, j + 1
    else
      pos = i + 1
    end
  end
  if not out then return text end
  out[#out + 1] = sub(text, from)
  return table.concat(out)
end

local function xml_escape(s)
  return (s:gsub("[&<>\"']", { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;",
    ['"'] = "&quot;", ["'"] = "&apos;" }))
end

--- forms(secret) -> array: every form the secret takes in a trace: raw; as
-- the encoder writes it (core.xml_escape, text or attribute); that escaped again for a
-- SOAP body (core.text_escape); and the fully escaped forms.
function M.forms(s)
  local seen, forms = {}, {}
  local function add(f)
    if type(f) == "string" and f ~= "" and not seen[f] then seen[f] = true; forms[#forms + 1] = f end
  end
  local function try(fn, ...)
    if not fn then return nil end
    local ok, r = pcall(fn, ...)
    return ok and r or nil
  end
  local core = package.loaded["ocip.core"] or select(2, pcall(require, "ocip.core"))
  core = type(core) == "table" and core or {}
  local docs = { xml_escape(s), try(core.xml_escape, s, false), try(core.xml_escape, s, true) }
  add(s)
  for i = 1, #docs do
    local d = docs[i]
    if d then
      add(d)
      add(xml_escape(d))
      add(try(core.text_escape, d))
    end
  end
  add(try(core.text_escape, s))
  return forms
end

--- compile(secrets) -> the forms of every string of secrets, longest first (so that no
-- form is left half-masked by a shorter one, of the same secret or another).
function M.compile(secrets)
  local seen, all = {}, {}
  for _, s in ipairs(secrets or {}) do
    if type(s) == "string" and s ~= "" then
      for _, f in ipairs(M.forms(s)) do
        if not seen[f] then seen[f] = true; all[#all + 1] = f end
      end
    end
  end
  table.sort(all, function(a, b) return #a > #b or (#a == #b and a < b) end)
  return all
end

--- text(line, compiled?) -> line with secret elements, header values and every
-- whole-token occurrence of the compiled forms masked.
function M.text(line, compiled)
  line = mask_headers(mask_elements(tostring(line)))
  for i = 1, compiled and #compiled or 0 do line = mask_token(line, compiled[i]) end
  return line
end

return M
