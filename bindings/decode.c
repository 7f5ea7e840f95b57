/* The decoder's Lua sink: runtime/decode.c callbacks -> Lua tables.
 *
 * core.decode(document, opts) -> {session_id=, responses={...}} | nil, err
 * core.decoder(opts) -> object with :feed(chunk) -> true | nil, err and
 *                       :finish() -> same result as core.decode
 * opts: max_size (bytes, default 64 MiB), max_depth (default 64),
 *       encoding (force one, ignoring the XML declaration; e.g. "UTF-8").
 *
 * Values built while parsing live on the Lua stack (a container per open
 * element); an incremental decoder parks them in its uservalue between feeds.
 * xsi:nil values are the ocip.NIL sentinel (require("ocip.sentinel").NIL). */
#include <stdlib.h>
#include <string.h>
#include "bindings/core.h"
#include "runtime/decode.h"

#define DECODER_MT "ocip.decoder"
#define CACHE_KEY "ocip.decode.cached"

/* Fixed slots, as offsets from the result table. */
enum { S_RESULT = 0, S_RESPONSES, S_NIL, S_PROMOTED, S_FIXED };

typedef struct {
    int cont;   /* stack offset of the container fields go into */
    int table;  /* nonzero: an OCITable frame (keys at cont+1, headings at cont+2) */
} lframe;

typedef struct {
    lua_State *L;
    int base;          /* absolute stack index of the result table during a feed */
    int nframes, cap;
    lframe *frames;    /* frames[0] is the result itself */
    int table_off;     /* offset of the innermost OCITable frame, 0 when none */
    int nresponses;
    int row_cols;      /* values in the current table's last row; -1 before its first */
} lsink;

typedef struct {
    ocip_dec *dec;
    lsink sink;
    int state;         /* -1 fresh, 0 feeding, 1 finished, 2 failed, 3 inside a feed
                          (still 3 afterwards only when a Lua error escaped the parse) */
    int err_kind;      /* ocip_dec_status of the failure */
    int cached;        /* the shared core.decode instance */
    char msg[256];
} decoder;

#define ROW_PRESIZE_MAX 64
#define AT(s, off) ((s)->base + (off))
#define TOP(s) ((s)->frames[(s)->nframes - 1])

static int push_frame(lsink *s, int cont, int table) {
    if (s->nframes == s->cap) {
        int cap = s->cap ? s->cap * 2 : 16;
        lframe *f = realloc(s->frames, (size_t)cap * sizeof *f);
        if (!f) return -1;
        s->frames = f;
        s->cap = cap;
    }
    s->frames[s->nframes].cont = cont;
    s->frames[s->nframes].table = table;
    s->nframes++;
    return 0;
}

/* Offset the next pushed value will have. */
static int next_off(lsink *s) { return lua_gettop(s->L) + 1 - s->base; }

/* Pops the innermost frame and everything it pushed. */
static void pop_frame(lsink *s) {
    lframe f = TOP(s);
    s->nframes--;
    lua_settop(s->L, AT(s, f.cont) - 1);
}

/* Has the unknown value at key been promoted to an array already? */
static int promoted(lsink *s, int arr) {
    lua_State *L = s->L;
    if (lua_isnil(L, AT(s, S_PROMOTED))) return 0;
    lua_pushvalue(L, arr);
    int r = lua_rawget(L, AT(s, S_PROMOTED)) != LUA_TNIL;
    lua_pop(L, 1);
    return r;
}

/* Stores the value on top of the stack under key in the current container:
 * lists append; a repeated unknown key turns into an array. Pops the value. */
static void store(lsink *s, const char *key, size_t klen, unsigned flags) {
    lua_State *L = s->L;
    int cont = AT(s, TOP(s).cont);
    if (!(flags & (OCIP_DF_LIST | OCIP_DF_UNKNOWN))) {
        lua_pushlstring(L, key, klen);
        lua_insert(L, -2);
        lua_rawset(L, cont);
        return;
    }
    lua_pushlstring(L, key, klen);
    int t = lua_rawget(L, cont); /* stack: value, existing */
    if (flags & OCIP_DF_LIST) {
        if (t == LUA_TNIL) {
            lua_pop(L, 1);
            lua_createtable(L, 4, 0);
            lua_pushlstring(L, key, klen);
            lua_pushvalue(L, -2);
            lua_rawset(L, cont);
        }
        lua_insert(L, -2);
        lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
        lua_pop(L, 1);
        return;
    }
    if (t == LUA_TNIL) { /* first occurrence of an unknown key */
        lua_pop(L, 1);
        lua_pushlstring(L, key, klen);
        lua_insert(L, -2);
        lua_rawset(L, cont);
        return;
    }
    if (t != LUA_TTABLE || !promoted(s, lua_gettop(L))) { /* second: {first, second} */
        lua_createtable(L, 2, 0);
        lua_insert(L, -2);
        lua_rawseti(L, -2, 1);
        if (lua_isnil(L, AT(s, S_PROMOTED))) {
            lua_newtable(L);
            lua_replace(L, AT(s, S_PROMOTED));
        }
        lua_pushvalue(L, -1);
        lua_pushboolean(L, 1);
        lua_rawset(L, AT(s, S_PROMOTED));
        lua_pushlstring(L, key, klen);
        lua_pushvalue(L, -2);
        lua_rawset(L, cont);
    }
    lua_insert(L, -2); /* stack: array, value */
    lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
    lua_pop(L, 1);
}

/* ---- sink callbacks --------------------------------------------------- */

static int s_session_id(void *ud, const char *p, size_t n) {
    lsink *s = ud;
    lua_pushlstring(s->L, p, n);
    lua_setfield(s->L, AT(s, S_RESULT), "session_id");
    return 0;
}

static int s_command_begin(void *ud, const char *type, size_t tlen, unsigned nfields) {
    lsink *s = ud;
    if (!lua_checkstack(s->L, 8)) return -1;
    int off = next_off(s);
    lua_createtable(s->L, 0, (int)(nfields < 200 ? nfields : 200) + 2);
    lua_pushlstring(s->L, type, tlen);
    lua_setfield(s->L, -2, "_type");
    return push_frame(s, off, 0);
}

/* "[Error 4152] ..." -> 4152 */
static int code_in_text(const char *t, lua_Integer *code) {
    const char *p = t ? strstr(t, "[Error ") : NULL;
    if (!p) return 0;
    p += 7;
    lua_Integer v = 0;
    int digits = 0;
    for (; *p >= '0' && *p <= '9' && digits < 12; p++, digits++) v = v * 10 + (*p - '0');
    if (!digits || *p != ']') return 0;
    *code = v;
    return 1;
}

static void error_code_from_text(lua_State *L, int resp) {
    if (lua_getfield(L, resp, "error_code") != LUA_TNIL) { lua_pop(L, 1); return; }
    lua_pop(L, 1);
    static const char *const fields[] = {"summary", "summary_english", "detail"};
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
        lua_Integer code;
        lua_getfield(L, resp, fields[i]);
        int found = lua_type(L, -1) == LUA_TSTRING && code_in_text(lua_tostring(L, -1), &code);
        lua_pop(L, 1);
        if (found) {
            lua_pushinteger(L, code);
            lua_setfield(L, resp, "error_code");
            return;
        }
    }
}

static int s_command_end(void *ud) {
    lsink *s = ud;
    lua_State *L = s->L;
    int resp = AT(s, TOP(s).cont);
    lua_getfield(L, resp, "_type");
    int is_error = strcmp(lua_tostring(L, -1), "ErrorResponse") == 0;
    lua_pop(L, 1);
    if (is_error) error_code_from_text(L, resp);
    lua_pushvalue(L, resp);
    lua_rawseti(L, AT(s, S_RESPONSES), ++s->nresponses);
    pop_frame(s);
    return 0;
}

static int s_field(void *ud, const char *key, size_t klen, unsigned flags, const ocip_val *v) {
    lsink *s = ud;
    lua_State *L = s->L;
    switch (v->kind) {
    case OCIP_VAL_INT: lua_pushinteger(L, (lua_Integer)v->i); break;
    case OCIP_VAL_BOOL: lua_pushboolean(L, (int)v->i); break;
    case OCIP_VAL_NIL: lua_pushvalue(L, AT(s, S_NIL)); break;
    case OCIP_VAL_NUMBER:
        lua_pushlstring(L, v->s, v->n);
        if (lua_stringtonumber(L, lua_tostring(L, -1)) != 0) lua_remove(L, -2);
        break;
    default: lua_pushlstring(L, v->s, v->n); break;
    }
    store(s, key, klen, flags);
    return 0;
}

static int s_open(void *ud, const char *key, size_t klen, unsigned flags, const char *type,
                  size_t tlen, unsigned nfields) {
    lsink *s = ud;
    lua_State *L = s->L;
    if (!lua_checkstack(L, 8)) return -1;
    lua_createtable(L, 0, (int)(nfields < 200 ? nfields : 200) + (type != NULL));
    if (type) {
        lua_pushlstring(L, type, tlen);
        lua_setfield(L, -2, "_type");
    }
    lua_pushvalue(L, -1);
    store(s, key, klen, flags);
    return push_frame(s, lua_gettop(L) - s->base, 0);
}

static int s_close(void *ud) {
    pop_frame(ud);
    return 0;
}

static int s_table_begin(void *ud, const char *key, size_t klen, unsigned flags) {
    lsink *s = ud;
    lua_State *L = s->L;
    if (!lua_checkstack(L, 8)) return -1;
    s->row_cols = -1;
    lua_newtable(L);           /* the records */
    lua_pushvalue(L, -1);
    store(s, key, klen, flags);
    int off = lua_gettop(L) - s->base;
    lua_createtable(L, 16, 0); /* keys by column index */
    lua_createtable(L, 16, 0); /* headings */
    lua_pushvalue(L, -1);
    lua_setfield(L, -4, "headings");
    s->table_off = off;
    return push_frame(s, off, 1);
}

static int s_heading(void *ud, size_t index, const char *heading, size_t hlen,
                     const char *key, size_t klen) {
    lsink *s = ud;
    lua_State *L = s->L;
    lua_pushlstring(L, key, klen);
    lua_rawseti(L, AT(s, s->table_off + 1), (lua_Integer)index + 1);
    if (heading) {
        int h = AT(s, s->table_off + 2);
        lua_pushlstring(L, heading, hlen);
        lua_rawseti(L, h, (lua_Integer)lua_rawlen(L, h) + 1);
    }
    return 0;
}

static int s_row_begin(void *ud) {
    lsink *s = ud;
    lua_State *L = s->L;
    int t = AT(s, s->table_off);
    /* Pre-size like the previous row (the first: like the headings), bounded:
     * a wide heading list followed by empty rows must not cost memory per row. */
    lua_Integer want = s->row_cols >= 0 ? s->row_cols
                                        : (lua_Integer)lua_rawlen(L, AT(s, s->table_off + 1));
    lua_createtable(L, 0, (int)(want < ROW_PRESIZE_MAX ? want : ROW_PRESIZE_MAX));
    s->row_cols = 0;
    lua_pushvalue(L, -1);
    lua_rawseti(L, t, (lua_Integer)lua_rawlen(L, t) + 1);
    return push_frame(s, lua_gettop(L) - s->base, 0);
}

static int s_col(void *ud, size_t index, const char *p, size_t n) {
    lsink *s = ud;
    lua_State *L = s->L;
    s->row_cols++;
    lua_rawgeti(L, AT(s, s->table_off + 1), (lua_Integer)index + 1);
    lua_pushlstring(L, p, n);
    lua_rawset(L, -3);
    return 0;
}

static int s_table_end(void *ud) {
    lsink *s = ud;
    pop_frame(s);
    s->table_off = 0; /* tables never nest inside tables */
    return 0;
}

static const ocip_dec_sink LUA_SINK = {
    .session_id = s_session_id,
    .command_begin = s_command_begin,
    .command_end = s_command_end,
    .field = s_field,
    .open = s_open,
    .close = s_close,
    .table_begin = s_table_begin,
    .heading = s_heading,
    .row_begin = s_row_begin,
    .col = s_col,
    .row_end = s_close,
    .table_end = s_table_end,
};

/* ---- decoder object --------------------------------------------------- */

static const char *const KINDS[] = {"ok", "protocol", "limit", "protocol", "protocol"};

static void push_nil_sentinel(lua_State *L) {
    ocip_push_nil_sentinel(L); /* the state's one ocip.NIL (bindings/module.c) */
}

static void read_opts(lua_State *L, int idx, ocip_dec_opts *o) {
    memset(o, 0, sizeof *o);
    if (lua_isnoneornil(L, idx)) return;
    luaL_checktype(L, idx, LUA_TTABLE);
    if (lua_getfield(L, idx, "max_size") != LUA_TNIL) {
        lua_Integer v = luaL_checkinteger(L, -1);
        luaL_argcheck(L, v > 0, idx, "max_size must be positive");
        o->max_size = (size_t)v;
    }
    if (lua_getfield(L, idx, "max_depth") != LUA_TNIL) {
        lua_Integer v = luaL_checkinteger(L, -1);
        luaL_argcheck(L, v > 0 && v <= 4096, idx, "max_depth must be 1..4096");
        o->max_depth = (unsigned)v;
    }
    if (lua_getfield(L, idx, "encoding") != LUA_TNIL) o->encoding = luaL_checkstring(L, -1);
    lua_pop(L, 3); /* the encoding string stays referenced by the opts table */
}

static int decoder_gc(lua_State *L) {
    decoder *d = luaL_checkudata(L, 1, DECODER_MT);
    ocip_dec_free(d->dec);
    d->dec = NULL;
    free(d->sink.frames);
    d->sink.frames = NULL;
    return 0;
}

static decoder *new_decoder(lua_State *L, const ocip_dec_opts *o) {
    decoder *d = lua_newuserdatauv(L, sizeof *d, 1);
    memset(d, 0, sizeof *d);
    luaL_setmetatable(L, DECODER_MT);
    d->dec = ocip_dec_new(ocip_catalog_get(), &LUA_SINK, &d->sink, o);
    if (!d->dec) {
        if (o->encoding) luaL_error(L, "ocip.decode: unknown encoding '%s'", o->encoding);
        luaL_error(L, "ocip.decode: out of memory");
    }
    return d;
}

/* Pushes the fixed slots of a new document; the sink's base is the result table. */
static void begin_doc(lua_State *L, decoder *d) {
    lsink *s = &d->sink;
    luaL_checkstack(L, S_FIXED + 8, "ocip.decode");
    ocip_dec_reset(d->dec, s);
    d->state = 0;
    d->msg[0] = '\0';
    s->L = L;
    s->nframes = 0;
    s->table_off = 0;
    s->nresponses = 0;
    lua_createtable(L, 0, 2);
    s->base = lua_gettop(L);
    lua_createtable(L, 1, 0);
    lua_pushvalue(L, -1);
    lua_setfield(L, s->base, "responses");
    push_nil_sentinel(L);
    lua_pushnil(L); /* promoted-arrays set, made on first need */
    if (push_frame(s, S_RESULT, 0) != 0) luaL_error(L, "ocip.decode: out of memory");
}

/* Turns a failed status into nil, err (after dropping the partial values). */
static int fail_doc(lua_State *L, decoder *d, int st) {
    d->state = 2;
    d->err_kind = st;
    snprintf(d->msg, sizeof d->msg, "%s", ocip_dec_message(d->dec));
    ocip_dec_trim(d->dec); /* what a big document grew is not kept by an idle decoder */
    if (d->sink.base) lua_settop(L, d->sink.base - 1);
    if (st == OCIP_DEC_NOMEM) return luaL_error(L, "ocip.decode: out of memory");
    return ocip_fail(L, KINDS[st], "OCI-P decode: %s", d->msg);
}

/* core.decode(document, opts) */
static int l_decode(lua_State *L) {
    size_t len;
    const char *doc = luaL_checklstring(L, 1, &len);
    ocip_dec_opts o;
    read_opts(L, 2, &o);
    int plain = !o.max_size && !o.max_depth && !o.encoding;
    decoder *d;
    /* the shared instance, unless it is in use (a finalizer decoding mid-decode) */
    if (plain && lua_getfield(L, LUA_REGISTRYINDEX, CACHE_KEY) == LUA_TUSERDATA &&
        ((decoder *)lua_touserdata(L, -1))->state != 3) {
        d = lua_touserdata(L, -1);
    } else {
        if (plain) lua_pop(L, 1);
        d = new_decoder(L, &o);
        if (plain) {
            lua_pushvalue(L, -1);
            lua_setfield(L, LUA_REGISTRYINDEX, CACHE_KEY);
        }
    }
    begin_doc(L, d);
    d->state = 3;
    int st = ocip_dec_whole(d->dec, doc, len);
    if (st != OCIP_DEC_OK) return fail_doc(L, d, st);
    ocip_dec_trim(d->dec);
    lua_settop(L, d->sink.base);
    d->sink.base = 0;
    d->state = 1;
    return 1;
}

/* core.decoder(opts) */
static int l_decoder(lua_State *L) {
    ocip_dec_opts o;
    read_opts(L, 1, &o);
    decoder *d = new_decoder(L, &o);
    d->state = -1; /* no document begun yet */
    return 1;
}

/* Parks the values of an unfinished document in the uservalue (an array). */
static void park(lua_State *L, decoder *d) {
    int n = lua_gettop(L) - d->sink.base + 1;
    lua_createtable(L, n, 0);
    for (int i = 0; i < n; i++) {
        lua_pushvalue(L, d->sink.base + i);
        lua_rawseti(L, -2, i + 1);
    }
    lua_setiuservalue(L, 1, 1);
    lua_settop(L, d->sink.base - 1);
    d->sink.base = 0;
}

static void unpark(lua_State *L, decoder *d) {
    lua_getiuservalue(L, 1, 1);
    int n = (int)lua_rawlen(L, -1);
    luaL_checkstack(L, n + 8, "ocip.decode");
    int saved = lua_gettop(L);
    for (int i = 1; i <= n; i++) lua_rawgeti(L, saved, i);
    lua_remove(L, saved);
    d->sink.base = saved;
    d->sink.L = L;
    lua_pushnil(L);
    lua_setiuservalue(L, 1, 1);
}

static int prepare(lua_State *L, decoder *d) {
    if (d->state == 2) return ocip_fail(L, KINDS[d->err_kind], "OCI-P decode: %s", d->msg);
    if (d->state == 1) return luaL_error(L, "ocip.decoder: finish() was already called");
    if (d->state == 3) return luaL_error(L, "ocip.decoder: unusable after an error raised while decoding");
    lua_settop(L, 2);
    if (d->state == -1) begin_doc(L, d);
    else unpark(L, d);
    return 0;
}

static int l_feed(lua_State *L) {
    decoder *d = luaL_checkudata(L, 1, DECODER_MT);
    size_t len;
    const char *chunk = luaL_checklstring(L, 2, &len);
    int r = prepare(L, d);
    if (r) return r;
    d->state = 3;
    int st = ocip_dec_feed(d->dec, chunk, len);
    if (st != OCIP_DEC_OK) return fail_doc(L, d, st);
    park(L, d);
    d->state = 0;
    lua_pushboolean(L, 1);
    return 1;
}

static int l_finish(lua_State *L) {
    decoder *d = luaL_checkudata(L, 1, DECODER_MT);
    int r = prepare(L, d);
    if (r) return r;
    d->state = 3;
    int st = ocip_dec_finish(d->dec);
    if (st != OCIP_DEC_OK) return fail_doc(L, d, st);
    ocip_dec_trim(d->dec);
    lua_settop(L, d->sink.base);
    d->sink.base = 0;
    d->state = 1;
    return 1;
}

void ocip_open_decode(lua_State *L) {
    if (luaL_newmetatable(L, DECODER_MT)) {
        static const luaL_Reg methods[] = {{"feed", l_feed}, {"finish", l_finish}, {NULL, NULL}};
        luaL_newlib(L, methods);
        lua_setfield(L, -2, "__index");
        lua_pushcfunction(L, decoder_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_pop(L, 1);
    lua_pushcfunction(L, l_decode);
    lua_setfield(L, -2, "decode");
    lua_pushcfunction(L, l_decoder);
    lua_setfield(L, -2, "decoder");
}
