/* Hot text helpers for ocip.soap, one pass over the bytes each:
 *   core.xml_unescape(s) -> s with the five predefined entities and character
 *     references expanded (UTF-8), or nil, reason for anything else (unknown
 *     entity, bare '&', reference to NUL, a surrogate or beyond U+10FFFF).
 *   core.latin1_to_utf8(s) -> s re-encoded from ISO-8859-1 to UTF-8.
 *   core.text_escape(s) -> s as XML character data: & < > escaped, CR as &#13;
 *     (so it survives end-of-line normalisation). Bytes are kept as they are.
 * Both return s itself when nothing changes. */
#include <stdint.h>
#include <string.h>
#include "bindings/core.h"

static size_t put_utf8(char *out, uint32_t cp) {
    if (cp < 0x80) { out[0] = (char)cp; return 1; }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Parses the reference body r[0..n) (between '&' and ';'); 0 when invalid. */
static size_t expand_ref(const char *r, size_t n, char out[4]) {
    static const struct { const char *name; char c; } named[] = {
        { "lt", '<' }, { "gt", '>' }, { "amp", '&' }, { "quot", '"' }, { "apos", '\'' },
    };
    if (n >= 2 && r[0] == '#') {
        int hex = r[1] == 'x';
        size_t i = hex ? 2 : 1;
        if (i >= n || n - i > 8) return 0;
        uint32_t cp = 0;
        for (; i < n; i++) {
            unsigned char c = (unsigned char)r[i];
            uint32_t d;
            if (c >= '0' && c <= '9') d = c - '0';
            else if (hex && c >= 'a' && c <= 'f') d = c - 'a' + 10;
            else if (hex && c >= 'A' && c <= 'F') d = c - 'A' + 10;
            else return 0;
            cp = cp * (hex ? 16 : 10) + d;
            if (cp > 0x10FFFF) return 0;
        }
        if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
        return put_utf8(out, cp);
    }
    for (size_t k = 0; k < sizeof named / sizeof named[0]; k++)
        if (strlen(named[k].name) == n && memcmp(named[k].name, r, n) == 0) {
            out[0] = named[k].c;
            return 1;
        }
    return 0;
}

static int l_xml_unescape(lua_State *L) {
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    const char *amp = memchr(s, '&', len);
    if (!amp) { lua_settop(L, 1); return 1; }
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    const char *p = s, *end = s + len;
    while (amp) {
        luaL_addlstring(&b, p, (size_t)(amp - p));
        const char *semi = memchr(amp + 1, ';', (size_t)(end - amp - 1) < 12 ? (size_t)(end - amp - 1) : 12);
        char out[4];
        size_t n = semi ? expand_ref(amp + 1, (size_t)(semi - amp - 1), out) : 0;
        if (n == 0) {
            int shown = (int)((size_t)(end - amp) < 12 ? (size_t)(end - amp) : 12);
            const char *piece = lua_pushlstring(L, amp, (size_t)shown);
            lua_pushnil(L);
            lua_pushfstring(L, "bad reference at byte %I: %s", (lua_Integer)(amp - s) + 1, piece);
            return 2; /* the abandoned buffer is simply left below */
        }
        luaL_addlstring(&b, out, n);
        p = semi + 1;
        amp = memchr(p, '&', (size_t)(end - p));
    }
    luaL_addlstring(&b, p, (size_t)(end - p));
    luaL_pushresult(&b);
    return 1;
}

static int l_latin1_to_utf8(lua_State *L) {
    size_t len, high = 0;
    const unsigned char *s = (const unsigned char *)luaL_checklstring(L, 1, &len);
    for (size_t i = 0; i < len; i++) high += s[i] >> 7;
    if (high == 0) { lua_settop(L, 1); return 1; }
    luaL_Buffer b;
    char *out = luaL_buffinitsize(L, &b, len + high);
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < 0x80) out[o++] = (char)s[i];
        else o += put_utf8(out + o, s[i]);
    }
    luaL_pushresultsize(&b, o);
    return 1;
}

static int l_text_escape(lua_State *L) {
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    size_t i = 0;
    while (i < len && s[i] != '&' && s[i] != '<' && s[i] != '>' && s[i] != '\r') i++;
    if (i == len) { lua_settop(L, 1); return 1; }
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    size_t from = 0;
    for (; i < len; i++) {
        const char *rep;
        switch (s[i]) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '\r': rep = "&#13;"; break;
        default: continue;
        }
        luaL_addlstring(&b, s + from, i - from);
        luaL_addstring(&b, rep);
        from = i + 1;
    }
    luaL_addlstring(&b, s + from, len - from);
    luaL_pushresult(&b);
    return 1;
}

void ocip_open_soaptext(lua_State *L) {
    lua_pushcfunction(L, l_text_escape);
    lua_setfield(L, -2, "text_escape");
    lua_pushcfunction(L, l_xml_unescape);
    lua_setfield(L, -2, "xml_unescape");
    lua_pushcfunction(L, l_latin1_to_utf8);
    lua_setfield(L, -2, "latin1_to_utf8");
}
