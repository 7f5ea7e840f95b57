/* core.edit_distance(a, b, limit) -> the Levenshtein distance of two byte strings, or
 * limit + 1 once it is sure to exceed `limit`. Used by ocip.suggest ("did you mean")
 * against every request name of a release: in C and only within `limit` of the
 * diagonal, a mistyped 40-character name costs well under a millisecond. */
#include <stdlib.h>
#include <string.h>
#include "bindings/core.h"

#define STACK_ROW 256

static size_t band_distance(const unsigned char *a, size_t la, const unsigned char *b, size_t lb,
                            size_t limit, size_t *prev, size_t *cur) {
    size_t big = limit + 1;
    for (size_t j = 0; j <= lb; j++) prev[j] = j <= limit ? j : big;
    for (size_t i = 1; i <= la; i++) {
        size_t lo = i > limit ? i - limit : 1;
        size_t hi = i + limit < lb ? i + limit : lb;
        size_t left = lo == 1 ? (i <= limit ? i : big) : big;
        size_t best = left;
        cur[lo - 1] = left;
        for (size_t j = lo; j <= hi; j++) {
            size_t v = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
            if (prev[j] + 1 < v) v = prev[j] + 1;
            if (left + 1 < v) v = left + 1;
            if (v > big) v = big;
            cur[j] = left = v;
            if (v < best) best = v;
        }
        if (best > limit) return big;
        if (hi < lb) cur[hi + 1] = big;
        size_t *t = prev;
        prev = cur;
        cur = t;
    }
    return prev[lb] > big ? big : prev[lb];
}

static int l_edit_distance(lua_State *L) {
    size_t la, lb;
    const unsigned char *a = (const unsigned char *)luaL_checklstring(L, 1, &la);
    const unsigned char *b = (const unsigned char *)luaL_checklstring(L, 2, &lb);
    lua_Integer lim = luaL_checkinteger(L, 3);
    luaL_argcheck(L, lim >= 0 && lim < 1 << 20, 3, "limit out of range");
    size_t limit = (size_t)lim;
    size_t diff = la > lb ? la - lb : lb - la;
    if (diff > limit) {
        lua_pushinteger(L, lim + 1);
        return 1;
    }
    size_t stack_rows[2][STACK_ROW];
    size_t *prev = stack_rows[0], *cur = stack_rows[1];
    if (lb + 1 > STACK_ROW) {
        if (lb >= ((size_t)-1) / (2 * sizeof(size_t)) - 1) return luaL_error(L, "string too long");
        prev = lua_newuserdatauv(L, 2 * (lb + 1) * sizeof(size_t), 0);
        cur = prev + lb + 1;
    }
    lua_pushinteger(L, (lua_Integer)band_distance(a, la, b, lb, limit, prev, cur));
    return 1;
}

void ocip_open_textdist(lua_State *L) {
    lua_pushcfunction(L, l_edit_distance);
    lua_setfield(L, -2, "edit_distance");
}
