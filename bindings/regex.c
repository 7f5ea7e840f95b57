/* core.pattern_match(xsd_pattern, value): XSD pattern facets via libxml2's
 * xmlRegexp (XSD regex dialect, implicitly anchored). Compiled patterns are
 * cached per Lua state in a registry table, never in C globals. */
#include <string.h>
#include <libxml/xmlregexp.h>
#include "bindings/core.h"

#define REGEX_MT "ocip.regex"
#define REGEX_CACHE "ocip.regex.cache"

typedef struct {
    xmlRegexpPtr re;
} regex_box;

static int regex_gc(lua_State *L) {
    regex_box *b = luaL_checkudata(L, 1, REGEX_MT);
    if (b->re) xmlRegFreeRegexp(b->re);
    b->re = NULL;
    return 0;
}

/* Pushes the compiled pattern for the string at index 1 (cached), or raises. */
static regex_box *get_regex(lua_State *L) {
    size_t len;
    const char *pat = luaL_checklstring(L, 1, &len);
    if (strlen(pat) != len) luaL_argerror(L, 1, "pattern contains a NUL byte");
    if (lua_getfield(L, LUA_REGISTRYINDEX, REGEX_CACHE) != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_setfield(L, LUA_REGISTRYINDEX, REGEX_CACHE);
    }
    lua_pushvalue(L, 1);
    if (lua_rawget(L, -2) == LUA_TUSERDATA) {
        regex_box *b = lua_touserdata(L, -1);
        lua_remove(L, -2);
        return b;
    }
    lua_pop(L, 1);
    regex_box *b = lua_newuserdatauv(L, sizeof *b, 0);
    b->re = NULL;
    luaL_setmetatable(L, REGEX_MT);
    b->re = xmlRegexpCompile((const xmlChar *)pat);
    if (!b->re) luaL_error(L, "ocip: invalid XSD pattern: %s", pat);
    lua_pushvalue(L, 1);
    lua_pushvalue(L, -2);
    lua_rawset(L, -4); /* cache[pat] = box */
    lua_remove(L, -2);
    return b;
}

static int l_pattern_match(lua_State *L) {
    regex_box *b = get_regex(L);
    size_t len;
    const char *v = luaL_checklstring(L, 2, &len);
    /* an embedded NUL can never be valid XML text */
    int rc = strlen(v) == len ? xmlRegexpExec(b->re, (const xmlChar *)v) : 0;
    if (rc < 0) return luaL_error(L, "ocip: XSD pattern evaluation failed");
    lua_pushboolean(L, rc == 1);
    return 1;
}

void ocip_open_regex(lua_State *L) {
    if (luaL_newmetatable(L, REGEX_MT)) {
        lua_pushcfunction(L, regex_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_pop(L, 1);
    lua_pushcfunction(L, l_pattern_match);
    lua_setfield(L, -2, "pattern_match");
}
