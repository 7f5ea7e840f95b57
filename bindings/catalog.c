/* The compiled-in catalog seen from Lua. Nothing is materialised up front:
 * core.catalog_type(name) builds one fresh description table per call and
 * lua/ocip/catalog.lua caches it, so startup never pays for ~7,000 types. */
#include <math.h>
#include <string.h>
#include "bindings/core.h"
#include "runtime/catalog.h"

static const char *const PRIM_NAMES[OCIP_PRIM_COUNT] = {
    [OCIP_PRIM_STRING] = "string", [OCIP_PRIM_NORMALIZED] = "normalizedString",
    [OCIP_PRIM_TOKEN] = "token", [OCIP_PRIM_NMTOKEN] = "NMTOKEN", [OCIP_PRIM_INT] = "int",
    [OCIP_PRIM_LONG] = "long", [OCIP_PRIM_BOOLEAN] = "boolean", [OCIP_PRIM_DECIMAL] = "decimal",
    [OCIP_PRIM_FLOAT] = "float", [OCIP_PRIM_DATETIME] = "dateTime", [OCIP_PRIM_DATE] = "date",
    [OCIP_PRIM_BASE64] = "base64Binary",
};

static const char *const ROLE_NAMES[] = {"data", "request", "response", "table", "base"};

static void set_str(lua_State *L, const ocip_catalog *c, const char *key, uint32_t off) {
    const char *s = ocip_cat_str(c, off);
    if (!s) return;
    lua_pushstring(L, s);
    lua_setfield(L, -2, key);
}

static void set_int(lua_State *L, const char *key, lua_Integer v) {
    lua_pushinteger(L, v);
    lua_setfield(L, -2, key);
}

static void set_bool(lua_State *L, const char *key, int v) {
    lua_pushboolean(L, v);
    lua_setfield(L, -2, key);
}

static void set_type_name(lua_State *L, const ocip_catalog *c, const char *key, uint32_t t) {
    if (t == OCIP_NONE || t >= c->type_count) return;
    set_str(L, c, key, c->types[t].name);
}

/* Array of strings from a slice of string offsets. */
static void set_str_slice(lua_State *L, const ocip_catalog *c, const char *key,
                          const uint32_t *arr, uint32_t first, uint32_t count) {
    if (count == 0) return;
    lua_createtable(L, (int)count, 0);
    for (uint32_t i = 0; i < count; i++) {
        lua_pushstring(L, ocip_cat_str(c, arr[first + i]));
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_setfield(L, -2, key);
}

/* Sets `columns` on an OCITable element of type `owner` when the catalog has a
 * column hint for it (keyed by owner type: particles are shared between types). */
static void set_columns(lua_State *L, const ocip_catalog *c, uint32_t owner,
                        const ocip_particle *pa) {
    if (pa->type >= c->type_count || c->types[pa->type].role != OCIP_ROLE_TABLE) return;
    const char *name = ocip_cat_str(c, pa->name);
    uint32_t first, count;
    if (!name || !ocip_cat_columns(c, owner, name, strlen(name), &first, &count)) return;
    lua_createtable(L, (int)count, 0);
    for (uint32_t i = 0; i < count; i++) {
        lua_pushstring(L, ocip_cat_str(c, c->columns[first + i]));
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_setfield(L, -2, "columns");
}

/* Pushes the particle tree rooted at p of type `owner`: elements as leaves, groups
 * with `items`. Depth is bounded by the schema (a handful of levels); checkstack
 * guards it. */
static void push_particle(lua_State *L, const ocip_catalog *c, uint32_t owner, uint32_t p) {
    luaL_checkstack(L, 4, "catalog particle nesting");
    const ocip_particle *pa = &c->particles[p];
    lua_createtable(L, 0, 10);
    static const char *const KINDS[] = {"element", "sequence", "choice"};
    lua_pushstring(L, pa->kind <= OCIP_PART_CHOICE ? KINDS[pa->kind] : "element");
    lua_setfield(L, -2, "kind");
    set_int(L, "min_occurs", pa->min_occurs);
    if (pa->max_occurs == OCIP_UNBOUNDED) {
        lua_pushnumber(L, (lua_Number)HUGE_VAL);
        lua_setfield(L, -2, "max_occurs");
    } else {
        set_int(L, "max_occurs", pa->max_occurs);
    }
    if (pa->kind == OCIP_PART_ELEMENT) {
        set_str(L, c, "name", pa->name);
        set_str(L, c, "snake", pa->snake);
        set_type_name(L, c, "type", pa->type);
        set_bool(L, "nillable", pa->flags & OCIP_PF_NILLABLE);
        set_bool(L, "list", pa->flags & OCIP_PF_LIST);
        set_str(L, c, "default", pa->dflt);
        set_str(L, c, "fixed", pa->fixed);
        set_columns(L, c, owner, pa);
    } else {
        lua_createtable(L, (int)pa->count, 0);
        for (uint32_t i = 0; i < pa->count; i++) {
            push_particle(L, c, owner, c->children[pa->first + i]);
            lua_rawseti(L, -2, (lua_Integer)i + 1);
        }
        lua_setfield(L, -2, "items");
    }
}

/* core.catalog_type(name) -> description table, or nil when the name is unknown. */
static int l_catalog_type(lua_State *L) {
    size_t len;
    const char *name = luaL_checklstring(L, 1, &len);
    const ocip_catalog *c = ocip_catalog_get();
    uint32_t ti = ocip_cat_find_n(c, name, len);
    if (ti == OCIP_NONE) {
        lua_pushnil(L);
        return 1;
    }
    const ocip_type *t = &c->types[ti];
    lua_createtable(L, 0, 16);
    set_str(L, c, "name", t->name);
    set_bool(L, "abstract", t->flags & OCIP_TF_ABSTRACT);
    set_type_name(L, c, "base", t->base);
    if (t->kind == OCIP_TYPE_SIMPLE) {
        lua_pushliteral(L, "simple");
        lua_setfield(L, -2, "kind");
        lua_pushstring(L, t->prim < OCIP_PRIM_COUNT && PRIM_NAMES[t->prim] ? PRIM_NAMES[t->prim] : "string");
        lua_setfield(L, -2, "prim");
        if (t->flags & OCIP_TF_LENGTH) set_int(L, "length", t->length);
        if (t->flags & OCIP_TF_MIN_LENGTH) set_int(L, "min_length", t->min_length);
        if (t->flags & OCIP_TF_MAX_LENGTH) set_int(L, "max_length", t->max_length);
        if (t->flags & OCIP_TF_MIN_INCL) set_str(L, c, "min_inclusive", t->min_incl);
        if (t->flags & OCIP_TF_MAX_INCL) set_str(L, c, "max_inclusive", t->max_incl);
        if (t->flags & OCIP_TF_WS_PRESERVE) set_bool(L, "ws_preserve", 1);
        set_str_slice(L, c, "enum", c->enums, t->enum_first, t->enum_count);
        set_str_slice(L, c, "patterns", c->patterns, t->pattern_first, t->pattern_count);
        return 1;
    }
    lua_pushliteral(L, "complex");
    lua_setfield(L, -2, "kind");
    if (t->flags & OCIP_TF_DEPRECATED) set_bool(L, "deprecated", 1);
    lua_pushstring(L, t->role < sizeof ROLE_NAMES / sizeof *ROLE_NAMES ? ROLE_NAMES[t->role] : "data");
    lua_setfield(L, -2, "role");
    set_type_name(L, c, "response", t->response);
    if (t->content != OCIP_NONE && t->content < c->particle_count) {
        push_particle(L, c, ti, t->content);
        lua_setfield(L, -2, "content");
    }
    if (t->subs_count) {
        lua_createtable(L, (int)t->subs_count, 0);
        for (uint32_t i = 0; i < t->subs_count; i++) {
            lua_pushstring(L, ocip_cat_str(c, c->types[c->subs[t->subs_first + i]].name));
            lua_rawseti(L, -2, (lua_Integer)i + 1);
        }
        lua_setfield(L, -2, "subs");
    }
    return 1;
}

/* core.catalog_requests([prefix]) -> sorted array of every request name, or of those
 * starting with prefix (a binary search: the request list is sorted by strcmp). */
static int l_catalog_requests(lua_State *L) {
    size_t plen = 0;
    const char *prefix = luaL_optlstring(L, 1, NULL, &plen);
    const ocip_catalog *c = ocip_catalog_get();
    uint32_t lo = 0, hi = c->request_count;
    if (prefix) {
        while (lo < hi) { /* first name >= prefix */
            uint32_t mid = lo + (hi - lo) / 2;
            if (strcmp(ocip_cat_str(c, c->types[c->requests[mid]].name), prefix) < 0) lo = mid + 1;
            else hi = mid;
        }
        hi = c->request_count;
    }
    lua_createtable(L, prefix ? 0 : (int)c->request_count, 0);
    lua_Integer n = 0;
    for (uint32_t i = lo; i < hi; i++) {
        const char *name = ocip_cat_str(c, c->types[c->requests[i]].name);
        if (prefix && strncmp(name, prefix, plen) != 0) break;
        lua_pushstring(L, name);
        lua_rawseti(L, -2, ++n);
    }
    return 1;
}

/* core.catalog_deprecated(name) -> true for a deprecated request, else false (also for
 * unknown names): one binary search, nothing materialised. */
static int l_catalog_deprecated(lua_State *L) {
    size_t len;
    const char *name = luaL_checklstring(L, 1, &len);
    const ocip_catalog *c = ocip_catalog_get();
    uint32_t ti = ocip_cat_find_n(c, name, len);
    lua_pushboolean(L, ti != OCIP_NONE && (c->types[ti].flags & OCIP_TF_DEPRECATED));
    return 1;
}

/* core.catalog_release() -> release name, manifest sha256, type count, request count. */
static int l_catalog_release(lua_State *L) {
    const ocip_catalog *c = ocip_catalog_get();
    lua_pushstring(L, c->release ? c->release : "");
    lua_pushstring(L, c->manifest_sha256 ? c->manifest_sha256 : "");
    lua_pushinteger(L, c->type_count);
    lua_pushinteger(L, c->request_count);
    return 4;
}

/* core.catalog_derives(type, ancestor) -> boolean (false when either is unknown). */
static int l_catalog_derives(lua_State *L) {
    size_t la, lb;
    const char *a = luaL_checklstring(L, 1, &la);
    const char *b = luaL_checklstring(L, 2, &lb);
    const ocip_catalog *c = ocip_catalog_get();
    uint32_t ta = ocip_cat_find_n(c, a, la), tb = ocip_cat_find_n(c, b, lb);
    lua_pushboolean(L, ta != OCIP_NONE && tb != OCIP_NONE && ocip_cat_derives(c, ta, tb));
    return 1;
}

/* core.catalog_find_types(substring?) -> sorted array of every type name containing it
 * (plain, case-sensitive; all types when absent). Used by tools, not at startup. */
static int l_catalog_find_types(lua_State *L) {
    const char *needle = luaL_optstring(L, 1, NULL);
    const ocip_catalog *c = ocip_catalog_get();
    lua_newtable(L);
    lua_Integer n = 0;
    for (uint32_t i = 0; i < c->type_count; i++) {
        const char *name = ocip_cat_str(c, c->types[i].name);
        if (!name || (needle && !strstr(name, needle))) continue;
        lua_pushstring(L, name);
        lua_rawseti(L, -2, ++n);
    }
    return 1;
}

void ocip_open_catalog(lua_State *L) {
    static const luaL_Reg fns[] = {
        {"catalog_type", l_catalog_type},
        {"catalog_requests", l_catalog_requests},
        {"catalog_deprecated", l_catalog_deprecated},
        {"catalog_release", l_catalog_release},
        {"catalog_derives", l_catalog_derives},
        {"catalog_find_types", l_catalog_find_types},
        {NULL, NULL},
    };
    luaL_setfuncs(L, fns, 0);
}
