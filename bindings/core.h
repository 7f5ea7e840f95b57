/* Shared declarations of the C<->Lua layer: every bindings C file adds its
 * functions to the `ocip.core` table through one opener listed in openers.h. */
#ifndef OCIP_BINDINGS_CORE_H
#define OCIP_BINDINGS_CORE_H
#include <lua.h>
#include <lauxlib.h>

/* Registry name of the metatable every ocip.Error value carries (filled by lua/ocip/error.lua). */
#define OCIP_ERROR_MT "ocip.Error"

/* Openers: each adds its functions to the table at the top of the stack. */
#define OCIP_OPENER(name) void ocip_open_##name(lua_State *L);
#include "bindings/openers.h"
#undef OCIP_OPENER

/* Pushes a new error table {kind=kind, message=formatted} with the ocip.Error
 * metatable. Returns 1 (the error). */
int ocip_push_error(lua_State *L, const char *kind, const char *fmt, ...);

/* Pushes nil plus a new error (the Lua failure idiom). Returns 2. */
int ocip_fail(lua_State *L, const char *kind, const char *fmt, ...);

/* Registry key of ocip.NIL; ocip_push_nil_sentinel pushes it (creating it once). */
#define OCIP_NIL_KEY "ocip.NIL"
int ocip_push_nil_sentinel(lua_State *L);

int luaopen_ocip(lua_State *L);
#endif
