/* Hot text helpers for the validator and the encoder, one pass over the bytes each:
 *   core.xml_text(s, ws) -> n, normalised | false, reason
 *     checks that s is UTF-8 holding only XML 1.0 characters; ws: 0 preserve,
 *     1 replace (tab/LF/CR -> space), 2 collapse (token types). Returns the length
 *     in characters of the whitespace-normalised value, and that value when it
 *     differs from s (else nil).
 *   core.xml_escape(s, attr) -> Latin-1 text for an ISO-8859-1 document: & < > "
 *     (and ' tab LF in attributes, CR always) escaped, characters above U+00FF as
 *     &#N;. Input must have passed xml_text. Returns s itself when nothing changes. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "bindings/core.h"

/* Decodes one UTF-8 sequence at p (n bytes left); returns its length, 0 when invalid
 * (overlong, surrogate, > U+10FFFF, truncated). */
static size_t utf8_next(const unsigned char *p, size_t n, uint32_t *cp) {
    unsigned char c = p[0];
    if (c < 0x80) { *cp = c; return 1; }
    size_t len;
    uint32_t v, min;
    if (c >= 0xC2 && c <= 0xDF) { len = 2; v = c & 0x1F; min = 0x80; }
    else if (c >= 0xE0 && c <= 0xEF) { len = 3; v = c & 0x0F; min = 0x800; }
    else if (c >= 0xF0 && c <= 0xF4) { len = 4; v = c & 0x07; min = 0x10000; }
    else return 0;
    if (n < len) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80) return 0;
        v = (v << 6) | (p[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
    *cp = v;
    return len;
}

static int is_ws(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

static int l_xml_text(lua_State *L) {
    size_t n;
    const unsigned char *s = (const unsigned char *)luaL_checklstring(L, 1, &n);
    lua_Integer ws = luaL_optinteger(L, 2, 0);
    size_t chars = 0;
    int needs_norm = 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t k = utf8_next(s + i, n - i, &cp);
        if (k == 0) {
            lua_pushboolean(L, 0);
            lua_pushfstring(L, "invalid UTF-8 at byte %I", (lua_Integer)i + 1);
            return 2;
        }
        if ((cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || cp == 0xFFFE || cp == 0xFFFF) {
            char msg[80];
            snprintf(msg, sizeof msg, "character U+%04X not allowed in XML (at byte %zu)", (unsigned)cp, i + 1);
            lua_pushboolean(L, 0);
            lua_pushstring(L, msg);
            return 2;
        }
        if (ws == 1 && cp != ' ' && is_ws((unsigned char)cp)) needs_norm = 1;
        if (ws == 2 && cp < 0x80 && is_ws((unsigned char)cp)) {
            if (cp != ' ' || i == 0 || i + 1 == n || is_ws(s[i + 1])) needs_norm = 1;
        }
        chars++;
        i += k;
    }
    lua_pushinteger(L, (lua_Integer)chars);
    if (!needs_norm) return 1;
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    size_t out = 0;
    if (ws == 1) {
        for (size_t i = 0; i < n; i++) luaL_addchar(&b, is_ws(s[i]) ? ' ' : (char)s[i]);
        out = chars;
    } else {
        int pending = 0; /* a whitespace run seen after some content */
        size_t dropped = 0;
        for (size_t i = 0; i < n; i++) {
            if (is_ws(s[i])) { pending = 1; dropped++; continue; }
            if (pending && luaL_bufflen(&b) > 0) { luaL_addchar(&b, ' '); dropped--; }
            pending = 0;
            luaL_addchar(&b, (char)s[i]);
        }
        out = chars - dropped;
    }
    luaL_pushresult(&b);
    lua_pushinteger(L, (lua_Integer)out);
    lua_replace(L, -3); /* n, normalised */
    return 2;
}

static int l_xml_escape(lua_State *L) {
    size_t n;
    const unsigned char *s = (const unsigned char *)luaL_checklstring(L, 1, &n);
    int attr = lua_toboolean(L, 2);
    size_t i = 0;
    for (; i < n; i++) {
        unsigned char c = s[i];
        if (c >= 0x80 || c == '&' || c == '<' || c == '>' || c == '"' || c == '\r' ||
            (attr && (c == '\'' || c == '\t' || c == '\n')))
            break;
    }
    if (i == n) { lua_settop(L, 1); return 1; }
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    luaL_addlstring(&b, (const char *)s, i);
    while (i < n) {
        uint32_t cp;
        size_t k = utf8_next(s + i, n - i, &cp);
        if (k == 0) return luaL_error(L, "ocip: invalid UTF-8 reached the encoder");
        i += k;
        switch (cp) {
        case '&': luaL_addstring(&b, "&amp;"); continue;
        case '<': luaL_addstring(&b, "&lt;"); continue;
        case '>': luaL_addstring(&b, "&gt;"); continue;
        case '"': luaL_addstring(&b, "&quot;"); continue;
        case '\r': luaL_addstring(&b, "&#13;"); continue;
        case '\'': if (attr) { luaL_addstring(&b, "&apos;"); continue; } break;
        case '\t': if (attr) { luaL_addstring(&b, "&#9;"); continue; } break;
        case '\n': if (attr) { luaL_addstring(&b, "&#10;"); continue; } break;
        default: break;
        }
        if (cp <= 0xFF) {
            luaL_addchar(&b, (char)cp);
        } else {
            char ref[16];
            int len = snprintf(ref, sizeof ref, "&#%u;", (unsigned)cp);
            luaL_addlstring(&b, ref, (size_t)len);
        }
    }
    luaL_pushresult(&b);
    return 1;
}

void ocip_open_xmltext(lua_State *L) {
    lua_pushcfunction(L, l_xml_text);
    lua_setfield(L, -2, "xml_text");
    lua_pushcfunction(L, l_xml_escape);
    lua_setfield(L, -2, "xml_escape");
}
