/* Shared harness for libFuzzer targets that run the Lua library: one lua_State
 * with the ocip module (luaopen_ocip: bindings + embedded Lua) is made at start-up;
 * the target's Lua file (OCIP_FUZZ_LUA, set by the Makefile) returns a function
 * that gets each input as a string. Any error it raises is a finding: printed with
 * a traceback, then abort() so libFuzzer saves the input. The Lua side checks the
 * library's contract and raises when it is broken. */
#ifndef OCIP_LUA_FUZZ_H
#define OCIP_LUA_FUZZ_H
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>

#ifndef OCIP_FUZZ_LUA
#error "OCIP_FUZZ_LUA (path of the target's Lua file) must be defined"
#endif

int luaopen_ocip(lua_State *L);

/* The harness is the host of its Lua state: libFuzzer calls in with no context. */
static lua_State *fuzz_L;
static int fuzz_ref = LUA_NOREF;

/* Coverage of the Lua code, which the compiler does not instrument (the interpreter
 * runs it): a line hook counts transitions (previous line -> line) in libFuzzer's
 * extra counters, so inputs that reach new Lua paths are kept. Line numbers only
 * (a line event carries its line; asking for the chunk costs a lua_getinfo per line):
 * lines of different files share counters, the previous line tells most apart. */
#define FUZZ_COUNTERS (1u << 16)
__attribute__((used, section("__libfuzzer_extra_counters")))
static uint8_t fuzz_counters[FUZZ_COUNTERS];
static uint32_t fuzz_prev;

static void fuzz_line_hook(lua_State *L, lua_Debug *ar) {
    (void)L;
    uint32_t here = (uint32_t)ar->currentline * 2654435761u;
    uint8_t *c = &fuzz_counters[((here >> 16) ^ fuzz_prev) % FUZZ_COUNTERS];
    if (*c != 255) (*c)++;
    fuzz_prev = (here >> 17);
}

static int fuzz_traceback(lua_State *L) {
    const char *msg = lua_tostring(L, 1);
    if (!msg) msg = luaL_tolstring(L, 1, NULL); /* error objects: their __tostring */
    luaL_traceback(L, L, msg, 1);
    return 1;
}

static void fuzz_die(lua_State *L, const char *what) {
    fprintf(stderr, "fuzz harness: %s: %s\n", what, lua_tostring(L, -1));
    abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    lua_State *L = luaL_newstate();
    if (!L) abort();
    luaL_openlibs(L);
    lua_pushcfunction(L, fuzz_traceback);
    luaL_requiref(L, "ocip", luaopen_ocip, 1);
    lua_pop(L, 1);
    if (luaL_loadfile(L, OCIP_FUZZ_LUA) != LUA_OK) fuzz_die(L, "loading " OCIP_FUZZ_LUA);
    if (lua_pcall(L, 0, 1, 1) != LUA_OK) fuzz_die(L, "running " OCIP_FUZZ_LUA);
    if (!lua_isfunction(L, -1)) {
        lua_pushstring(L, "the file must return a function");
        fuzz_die(L, OCIP_FUZZ_LUA);
    }
    fuzz_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_settop(L, 0);
    lua_sethook(L, fuzz_line_hook, LUA_MASKLINE, 0);
    fuzz_L = L;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    lua_State *L = fuzz_L;
    lua_settop(L, 0);
    lua_pushcfunction(L, fuzz_traceback);
    lua_rawgeti(L, LUA_REGISTRYINDEX, fuzz_ref);
    lua_pushlstring(L, (const char *)data, size);
    fuzz_prev = 0;
    if (lua_pcall(L, 1, 0, 1) != LUA_OK) fuzz_die(L, "contract broken");
    lua_settop(L, 0);
    return 0;
}
#endif
