/* ocip.core auth functions: digests, the 14sp4 signed password, random ids. */
#include "bindings/core.h"
#include "runtime/auth.h"

/* Pushes the hex digest of argument 1 made by fn; out fits the longest (SHA-1). */
typedef int (*hex_digest_fn)(const void *data, size_t len, char *out);
static int push_hex_digest(lua_State *L, hex_digest_fn fn, const char *what) {
    size_t n;
    const char *s = luaL_checklstring(L, 1, &n);
    char out[OCIP_SHA1_HEX_SIZE];
    if (fn(s, n, out) != 0) return luaL_error(L, "ocip: %s failed", what);
    lua_pushstring(L, out);
    return 1;
}

/* core.md5_hex(s) -> 32 lowercase hex digits */
static int l_md5_hex(lua_State *L) { return push_hex_digest(L, ocip_md5_hex, "md5"); }

/* core.sha1_hex(s) -> 40 lowercase hex digits */
static int l_sha1_hex(lua_State *L) { return push_hex_digest(L, ocip_sha1_hex, "sha1"); }

/* core.signed_password(nonce, password) -> md5_hex(nonce .. ":" .. sha1_hex(password)) */
static int l_signed_password(lua_State *L) {
    size_t nn, pn;
    const char *nonce = luaL_checklstring(L, 1, &nn);
    const char *pw = luaL_checklstring(L, 2, &pn);
    char out[OCIP_MD5_HEX_SIZE];
    if (ocip_signed_password(nonce, nn, pw, pn, out) != 0)
        return luaL_error(L, "ocip: signed password failed");
    lua_pushstring(L, out);
    return 1;
}

/* core.random_id() -> UUID v4 text (session ids) */
static int l_random_id(lua_State *L) {
    char out[OCIP_UUID_SIZE];
    if (ocip_random_id(out) != 0) return luaL_error(L, "ocip: random source failed");
    lua_pushstring(L, out);
    return 1;
}

/* core.random_nonce([digits=13]) -> decimal digits (the simulator's login nonces) */
static int l_random_nonce(lua_State *L) {
    lua_Integer digits = luaL_optinteger(L, 1, 13);
    luaL_argcheck(L, digits >= 1 && digits <= OCIP_NONCE_MAX, 1, "digits out of range");
    char out[OCIP_NONCE_MAX + 1];
    if (ocip_random_nonce(out, (size_t)digits) != 0)
        return luaL_error(L, "ocip: random source failed");
    lua_pushstring(L, out);
    return 1;
}

void ocip_open_auth(lua_State *L) {
    static const luaL_Reg fns[] = {
        { "md5_hex", l_md5_hex },
        { "sha1_hex", l_sha1_hex },
        { "signed_password", l_signed_password },
        { "random_id", l_random_id },
        { "random_nonce", l_random_nonce },
        { NULL, NULL },
    };
    luaL_setfuncs(L, fns, 0);
}
