/* luaopen_ocip: builds ocip.core from every opener, preloads the embedded Lua
 * library and runs its entry module "ocip". */
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <libxml/globals.h>
#include <libxml/parser.h>
#include "bindings/core.h"
#include "bindings/embed.h"
#include "runtime/catalog.h"

static int push_errorv(lua_State *L, const char *kind, const char *fmt, va_list ap) {
    lua_createtable(L, 0, 4);
    lua_pushstring(L, kind);
    lua_setfield(L, -2, "kind");
    lua_pushvfstring(L, fmt, ap);
    lua_setfield(L, -2, "message");
    luaL_setmetatable(L, OCIP_ERROR_MT);
    return 1;
}

int ocip_push_error(lua_State *L, const char *kind, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    push_errorv(L, kind, fmt, ap);
    va_end(ap);
    return 1;
}

int ocip_fail(lua_State *L, const char *kind, const char *fmt, ...) {
    va_list ap;
    lua_pushnil(L);
    va_start(ap, fmt);
    push_errorv(L, kind, fmt, ap);
    va_end(ap);
    return 2;
}

/* core.error_mt() -> the shared metatable, so error.lua can fill it. */
static int l_error_mt(lua_State *L) {
    luaL_getmetatable(L, OCIP_ERROR_MT);
    return 1;
}

static int nil_tostring(lua_State *L) {
    lua_pushliteral(L, "ocip.NIL");
    return 1;
}

static int nil_readonly(lua_State *L) {
    return luaL_error(L, "ocip.NIL is read-only");
}

/* core.nil_sentinel() -> the one ocip.NIL of this Lua state. Kept in the registry so
 * that reloading Lua modules (busted does) never makes a second, different NIL. */
int ocip_push_nil_sentinel(lua_State *L) {
    if (lua_getfield(L, LUA_REGISTRYINDEX, OCIP_NIL_KEY) != LUA_TNIL) return 1;
    lua_pop(L, 1);
    lua_newtable(L);
    lua_createtable(L, 0, 3);
    lua_pushliteral(L, "ocip.NIL");
    lua_setfield(L, -2, "__name");
    lua_pushcfunction(L, nil_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pushcfunction(L, nil_readonly);
    lua_setfield(L, -2, "__newindex");
    lua_setmetatable(L, -2);
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, OCIP_NIL_KEY);
    return 1;
}

/* core.version() -> the ocip version, the compiled-in catalog release */
static int l_version(lua_State *L) {
    const ocip_catalog *c = ocip_catalog_get();
    lua_pushstring(L, OCIP_VERSION);
    lua_pushstring(L, c && c->release ? c->release : "none");
    return 2;
}

/* A peer that closes while we write must give an error, not kill the process: the
 * default SIGPIPE action terminates it. Only a default disposition is changed, so
 * an embedding program's own handler is kept. */
static void ignore_sigpipe(void) {
    struct sigaction old;
    if (sigaction(SIGPIPE, NULL, &old) == 0 && old.sa_handler == SIG_DFL) {
        struct sigaction ign;
        memset(&ign, 0, sizeof ign);
        ign.sa_handler = SIG_IGN;
        sigemptyset(&ign.sa_mask);
        sigaction(SIGPIPE, &ign, NULL);
    }
}

/* libxml2 formats a message (and parses the URI again) for every warning before any
 * handler can drop it: OCI-P roots declare xmlns="C", which it warns about as a
 * relative URI, once per answer (~4,000 instructions of a ~210,000-instruction
 * command). Warnings change nothing in what is decoded; errors still arrive. The
 * setting is libxml2's process-wide default, so it is made here, in the module's
 * set-up, once. */
static void quiet_libxml2_warnings(void) {
    xmlInitParser();
    xmlGetWarningsDefaultValue = 0;
}

void ocip_open_errors(lua_State *L) {
    ignore_sigpipe();
    quiet_libxml2_warnings();
    lua_pushcfunction(L, l_version);
    lua_setfield(L, -2, "version");
    lua_pushcfunction(L, ocip_push_nil_sentinel);
    lua_setfield(L, -2, "nil_sentinel");
    luaL_newmetatable(L, OCIP_ERROR_MT);
    lua_pop(L, 1);
    lua_pushcfunction(L, l_error_mt);
    lua_setfield(L, -2, "error_mt");
}

static int load_embedded(lua_State *L) {
    const ocip_embedded *e = lua_touserdata(L, lua_upvalueindex(1));
    if (luaL_loadbufferx(L, e->source, e->size, e->chunkname, "t") != LUA_OK)
        return lua_error(L);
    lua_pushvalue(L, 1); /* module name, as require passes it */
    lua_call(L, 1, 1);
    return 1;
}

int luaopen_ocip(lua_State *L) {
    /* ocip.core */
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
    lua_newtable(L);
#define OCIP_OPENER(name) ocip_open_##name(L);
#include "bindings/openers.h"
#undef OCIP_OPENER
    lua_setfield(L, -2, "ocip.core");
    lua_pop(L, 1);

    /* package.preload for every embedded Lua module except the entry itself */
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
    const ocip_embedded *entry = NULL;
    for (const ocip_embedded *e = ocip_embedded_lua; e->module; e++) {
        if (strcmp(e->module, "ocip") == 0) { entry = e; continue; }
        lua_pushlightuserdata(L, (void *)e);
        lua_pushcclosure(L, load_embedded, 1);
        lua_setfield(L, -2, e->module);
    }
    lua_pop(L, 1);
    if (!entry) return luaL_error(L, "ocip: embedded entry module missing");
    if (luaL_loadbufferx(L, entry->source, entry->size, entry->chunkname, "t") != LUA_OK)
        return lua_error(L);
    lua_pushstring(L, "ocip");
    lua_call(L, 1, 1);
    return 1;
}
