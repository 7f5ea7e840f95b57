-- Login hashes and random ids (core.md5_hex, sha1_hex, signed_password, random_id, random_nonce).
local core = require("ocip").core

describe("auth hashes", function()
  it("signs the 14sp4 password (DESIGN test vector)", function()
    assert.equal("77e4a6de3a1e00be05e121cf0ebee860", core.signed_password("1234567890123", "password"))
  end)

  it("is md5_hex(nonce .. ':' .. sha1_hex(password))", function()
    local nonce, pw = "987654321", "s\233cr\0et" -- Latin-1 and NUL bytes are hashed as bytes
    assert.equal(core.md5_hex(nonce .. ":" .. core.sha1_hex(pw)), core.signed_password(nonce, pw))
    assert.not_equal(core.signed_password(nonce, "other"), core.signed_password(nonce, pw))
  end)

  it("hashes known strings in lowercase hex", function()
    assert.equal("d41d8cd98f00b204e9800998ecf8427e", core.md5_hex(""))
    assert.equal("900150983cd24fb0d6963f7d28e17f72", core.md5_hex("abc"))
    assert.equal("da39a3ee5e6b4b0d3255bfef95601890afd80709", core.sha1_hex(""))
    assert.equal("a9993e364706816aba3e25717850c26c9cd0d89d", core.sha1_hex("abc"))
    assert.equal("5baa61e4c9b93f3f0682250b6cf8331b7ee68fd8", core.sha1_hex("password"))
  end)

  it("rejects non-string arguments", function()
    assert.has_error(function() core.md5_hex() end)
    assert.has_error(function() core.signed_password("1") end)
  end)
end)

describe("random ids", function()
  it("makes unique UUID v4 session ids", function()
    local seen = {}
    for _ = 1, 1000 do
      local id = core.random_id()
      assert.matches("^%x%x%x%x%x%x%x%x%-%x%x%x%x%-4%x%x%x%-[89ab]%x%x%x%-%x%x%x%x%x%x%x%x%x%x%x%x$", id)
      assert.equal(id:lower(), id)
      assert.is_nil(seen[id])
      seen[id] = true
    end
  end)

  it("makes decimal nonces of the asked length", function()
    assert.matches("^%d+$", core.random_nonce())
    assert.equal(13, #core.random_nonce())
    assert.matches("^" .. string.rep("%d", 40) .. "$", core.random_nonce(40))
    assert.not_equal(core.random_nonce(20), core.random_nonce(20))
    assert.has_error(function() core.random_nonce(0) end)
    assert.has_error(function() core.random_nonce(1000) end)
  end)
end)
