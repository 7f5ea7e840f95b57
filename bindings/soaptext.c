/* Hot text helpers for ocip.soap, one pass over the bytes each:
 *   core.xml_unescape(s [, i, j [, utf8_decl]]) -> s (or its bytes i..j) with the
 *     five predefined entities and character references expanded (UTF-8), or nil,
 *     reason for anything else (unknown entity, bare '&', reference to NUL, a
 *     surrogate or beyond U+10FFFF). utf8_decl: also rewrite the encoding named by
 *     a leading XML declaration of the result to UTF-8 (ocip.soap's mark_utf8), so
 *     the inner document of an envelope costs one string, not three.
 *   core.xml_check_refs(s, i, j) -> true, or nil, reason: the same validation as
 *     xml_unescape without building anything (the text is unescaped later).
 *   core.latin1_to_utf8(s) -> s re-encoded from ISO-8859-1 to UTF-8.
 *   core.text_escape(s [, prefix, suffix]) -> s as XML character data: & < >
 *     escaped, CR as &#13; (so it survives end-of-line normalisation). Bytes are
 *     kept as they are. prefix/suffix are added around it in the same buffer (a
 *     SOAP envelope in one string).
 * Without the optional arguments they return s itself when nothing changes. */
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

/* The byte range i..j of the string at index 1 (Lua positions, clamped like
 * string.sub) as a pointer and length. */
static const char *range_arg(lua_State *L, size_t *len) {
    size_t l;
    const char *s = luaL_checklstring(L, 1, &l);
    lua_Integer i = luaL_optinteger(L, 2, 1), j = luaL_optinteger(L, 3, -1);
    if (i < 0) i = (lua_Integer)l + i + 1 > 0 ? (lua_Integer)l + i + 1 : 1;
    else if (i == 0) i = 1;
    if (j < 0) j = (lua_Integer)l + j + 1;
    else if (j > (lua_Integer)l) j = (lua_Integer)l;
    if (i > j) { *len = 0; return s; }
    *len = (size_t)(j - i + 1);
    return s + (i - 1);
}

/* Validates or expands the references of s[0..len); with b == NULL only checks.
 * Returns 1, or pushes nil, reason and returns 0. */
static int unescape_into(lua_State *L, const char *s, size_t len, luaL_Buffer *b) {
    const char *p = s, *end = s + len;
    const char *amp = memchr(s, '&', len);
    while (amp) {
        if (b) luaL_addlstring(b, p, (size_t)(amp - p));
        const char *semi = memchr(amp + 1, ';', (size_t)(end - amp - 1) < 12 ? (size_t)(end - amp - 1) : 12);
        char out[4];
        size_t n = semi ? expand_ref(amp + 1, (size_t)(semi - amp - 1), out) : 0;
        if (n == 0) {
            int shown = (int)((size_t)(end - amp) < 12 ? (size_t)(end - amp) : 12);
            const char *piece = lua_pushlstring(L, amp, (size_t)shown);
            lua_pushnil(L);
            lua_pushfstring(L, "bad reference at byte %I: %s", (lua_Integer)(amp - s) + 1, piece);
            return 0;
        }
        if (b) luaL_addlstring(b, out, n);
        p = semi + 1;
        amp = memchr(p, '&', (size_t)(end - p));
    }
    if (b) luaL_addlstring(b, p, (size_t)(end - p));
    return 1;
}

static int is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* The value of the encoding pseudo-attribute of a leading XML declaration, as the
 * Lua pattern ^(%s*<%?xml[^>]-encoding%s*=%s*)(["'])[^"']*%2 finds it: sets
 * [*vs, *ve) to the value and returns 1, or returns 0. */
static int decl_encoding(const char *s, size_t len, size_t *vs, size_t *ve) {
    size_t k = 0;
    while (k < len && is_space(s[k])) k++;
    if (len - k < 5 || memcmp(s + k, "<?xml", 5) != 0) return 0;
    for (k += 5; k < len; k++) {
        if (len - k >= 8 && memcmp(s + k, "encoding", 8) == 0) {
            size_t m = k + 8;
            while (m < len && is_space(s[m])) m++;
            if (m < len && s[m] == '=') {
                m++;
                while (m < len && is_space(s[m])) m++;
                if (m < len && (s[m] == '"' || s[m] == '\'')) {
                    char q = s[m];
                    size_t v = m + 1, e = v;
                    while (e < len && s[e] != '"' && s[e] != '\'') e++;
                    if (e < len && s[e] == q) { *vs = v; *ve = e; return 1; }
                }
            }
        }
        if (s[k] == '>') return 0;
    }
    return 0;
}

static int l_xml_unescape(lua_State *L) {
    size_t len, full;
    const char *s = range_arg(L, &len);
    luaL_checklstring(L, 1, &full);
    int mark = lua_toboolean(L, 4);
    size_t vs, ve;
    if (!memchr(s, '&', len) && !(mark && decl_encoding(s, len, &vs, &ve))) {
        if (len == full) lua_settop(L, 1);
        else lua_pushlstring(L, s, len);
        return 1;
    }
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    if (!unescape_into(L, s, len, &b)) return 2; /* the abandoned buffer is simply left below */
    if (mark && decl_encoding(luaL_buffaddr(&b), luaL_bufflen(&b), &vs, &ve)) {
        /* value -> "UTF-8", moving the rest of the document within the buffer */
        size_t n = luaL_bufflen(&b), old = ve - vs;
        if (old >= 5) {
            char *d = luaL_buffaddr(&b);
            memcpy(d + vs, "UTF-8", 5);
            memmove(d + vs + 5, d + ve, n - ve);
            luaL_buffsub(&b, old - 5);
        } else {
            luaL_addlstring(&b, "     ", 5 - old); /* grow first: the address may change */
            char *d = luaL_buffaddr(&b);
            memmove(d + vs + 5, d + ve, n - ve);
            memcpy(d + vs, "UTF-8", 5);
        }
    }
    luaL_pushresult(&b);
    return 1;
}

static int l_xml_check_refs(lua_State *L) {
    size_t len;
    const char *s = range_arg(L, &len);
    if (!unescape_into(L, s, len, NULL)) return 2;
    lua_pushboolean(L, 1);
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
    size_t len, plen = 0, slen = 0;
    const char *s = luaL_checklstring(L, 1, &len);
    const char *prefix = luaL_optlstring(L, 2, NULL, &plen);
    const char *suffix = luaL_optlstring(L, 3, NULL, &slen);
    size_t i = 0;
    while (i < len && s[i] != '&' && s[i] != '<' && s[i] != '>' && s[i] != '\r') i++;
    if (i == len && !prefix && !suffix) { lua_settop(L, 1); return 1; }
    luaL_Buffer b;
    /* a guess at the escaped size (markup grows by a few bytes per tag) */
    luaL_buffinitsize(L, &b, plen + len + len / 4 + slen);
    if (prefix) luaL_addlstring(&b, prefix, plen);
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
    if (suffix) luaL_addlstring(&b, suffix, slen);
    luaL_pushresult(&b);
    return 1;
}

void ocip_open_soaptext(lua_State *L) {
    lua_pushcfunction(L, l_text_escape);
    lua_setfield(L, -2, "text_escape");
    lua_pushcfunction(L, l_xml_unescape);
    lua_setfield(L, -2, "xml_unescape");
    lua_pushcfunction(L, l_xml_check_refs);
    lua_setfield(L, -2, "xml_check_refs");
    lua_pushcfunction(L, l_latin1_to_utf8);
    lua_setfield(L, -2, "latin1_to_utf8");
}
