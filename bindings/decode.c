/* The decoder's Lua sink: runtime/decode.c callbacks -> Lua tables.
 *
 * core.decode(document, opts) -> {session_id=, responses={...}} | nil, err
 * core.decoder(opts) -> object with :feed(chunk) -> true | nil, err and
 *                       :finish() -> same result as core.decode
 * opts: max_size (bytes, default 64 MiB), max_depth (default 64),
 *       encoding (force one, ignoring the XML declaration; e.g. "UTF-8"),
 *       rows (true: the rows of each table directly inside a command are not kept in
 *       it but queued, taken with :rows() as they are decoded; the table keeps its
 *       headings and an empty array of records).
 * A decoder is also what conn:read(dec) feeds as a document's bytes arrive
 * (bindings/net_io.c, through bindings/decode.h); :rows() -> rows, keys (arrays, the
 * key of the table each row belongs to) or nil when none is queued; :head() ->
 * session_id, the first command (open or done) or nil, commands done so far. Rows
 * still queued when conn:finish(dec) ends the document come as its `rows` and `keys`.
 *
 * Values built while parsing live on the Lua stack (a container per open
 * element); an incremental decoder parks them in its uservalue between feeds.
 * xsi:nil values are the ocip.NIL sentinel (require("ocip.sentinel").NIL). */
#include <stdlib.h>
#include <string.h>
#include "bindings/core.h"
#include "bindings/decode.h"
#include "runtime/decode.h"

#define DECODER_MT "ocip.decoder"
#define CACHE_KEY "ocip.decode.cached"

/* Fixed slots, as offsets from the result table. */
enum { S_RESULT = 0, S_RESPONSES, S_NIL, S_PROMOTED, S_ROWS, S_ROWKEYS, S_FIXED };

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
    int rows_mode;     /* queue the rows of tables directly inside a command */
    int streaming;     /* the innermost table's rows are queued (its key at table_off+3) */
    int npending;      /* rows queued and not taken */
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
    /* frames: the result, the command, this table: a table of the command itself */
    s->streaming = s->rows_mode && s->nframes == 2;
    if (s->streaming) lua_pushlstring(L, key, klen); /* the key its queued rows carry */
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
    if (!s->streaming) { /* a queued row is placed at its end */
        lua_pushvalue(L, -1);
        lua_rawseti(L, t, (lua_Integer)lua_rawlen(L, t) + 1);
    }
    return push_frame(s, lua_gettop(L) - s->base, 0);
}

/* A queued row goes to the pending rows, with its table's key. */
static int s_row_end(void *ud) {
    lsink *s = ud;
    if (s->streaming) {
        lua_State *L = s->L;
        int n = ++s->npending;
        lua_pushvalue(L, AT(s, TOP(s).cont));
        lua_rawseti(L, AT(s, S_ROWS), n);
        lua_pushvalue(L, AT(s, s->table_off + 3));
        lua_rawseti(L, AT(s, S_ROWKEYS), n);
    }
    pop_frame(s);
    return 0;
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
    s->streaming = 0;
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
    .row_end = s_row_end,
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

static int opt_rows(lua_State *L, int idx) {
    if (lua_isnoneornil(L, idx)) return 0;
    int r = lua_getfield(L, idx, "rows") != LUA_TNIL && lua_toboolean(L, -1);
    lua_pop(L, 1);
    return r;
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
    s->streaming = 0;
    s->npending = 0;
    lua_createtable(L, 0, 2);
    s->base = lua_gettop(L);
    lua_createtable(L, 1, 0);
    lua_pushvalue(L, -1);
    lua_setfield(L, s->base, "responses");
    push_nil_sentinel(L);
    lua_pushnil(L); /* promoted-arrays set, made on first need */
    if (s->rows_mode) {
        lua_createtable(L, 256, 0); /* queued rows */
        lua_createtable(L, 256, 0); /* and their tables' keys */
    } else {
        lua_pushnil(L);
        lua_pushnil(L);
    }
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
    int rows = opt_rows(L, 1);
    decoder *d = new_decoder(L, &o);
    d->state = -1; /* no document begun yet */
    d->sink.rows_mode = rows;
    return 1;
}

/* Parks the values of an unfinished document in the uservalue of the decoder at
 * stack index ud (an array, reused from feed to feed), popping them. */
static void park(lua_State *L, decoder *d, int ud) {
    int n = lua_gettop(L) - d->sink.base + 1;
    if (lua_getiuservalue(L, ud, 1) != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_createtable(L, n, 0);
    }
    int t = lua_gettop(L);
    lua_Integer old = (lua_Integer)lua_rawlen(L, t);
    for (int i = 0; i < n; i++) {
        lua_pushvalue(L, d->sink.base + i);
        lua_rawseti(L, t, i + 1);
    }
    for (lua_Integer i = old; i > n; i--) {
        lua_pushnil(L);
        lua_rawseti(L, t, i);
    }
    lua_setiuservalue(L, ud, 1);
    lua_settop(L, d->sink.base - 1);
    d->sink.base = 0;
}

/* Pushes the parked values back (the parking table stays for the next park). */
static void unpark(lua_State *L, decoder *d, int ud) {
    lua_getiuservalue(L, ud, 1);
    int n = (int)lua_rawlen(L, -1);
    luaL_checkstack(L, n + 8, "ocip.decode");
    int saved = lua_gettop(L);
    for (int i = 1; i <= n; i++) lua_rawgeti(L, saved, i);
    lua_remove(L, saved);
    d->sink.base = saved;
    d->sink.L = L;
}

/* Drops the parked values (a document given up, or a new one begun). */
static void drop_parked(lua_State *L, int ud) {
    if (lua_getiuservalue(L, ud, 1) == LUA_TTABLE) {
        for (lua_Integer i = (lua_Integer)lua_rawlen(L, -1); i > 0; i--) {
            lua_pushnil(L);
            lua_rawseti(L, -2, i);
        }
    }
    lua_pop(L, 1);
}

static int prepare(lua_State *L, decoder *d) {
    if (d->state == 2) return ocip_fail(L, KINDS[d->err_kind], "OCI-P decode: %s", d->msg);
    if (d->state == 1) return luaL_error(L, "ocip.decoder: finish() was already called");
    if (d->state == 3) return luaL_error(L, "ocip.decoder: unusable after an error raised while decoding");
    lua_settop(L, 2);
    if (d->state == -1) begin_doc(L, d);
    else unpark(L, d, 1);
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
    park(L, d, 1);
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

/* ---- streaming: conn:read(dec) (bindings/decode.h) and the rows queue ---- */

int ocip_decoder_check(lua_State *L, int idx) {
    return luaL_testudata(L, idx, DECODER_MT) != NULL;
}

/* A failure while feeding pieces: sticky, reported by the finish. What was built is
 * let go at once (a big half-decoded answer is not kept until the next document). */
static void piece_failed(lua_State *L, decoder *d, int ud, int st) {
    d->state = 2;
    d->err_kind = st;
    snprintf(d->msg, sizeof d->msg, "%s", ocip_dec_message(d->dec));
    ocip_dec_trim(d->dec);
    if (d->sink.base) lua_settop(L, d->sink.base - 1);
    d->sink.base = 0;
    d->sink.npending = 0;
    drop_parked(L, ud);
    if (st == OCIP_DEC_NOMEM) luaL_error(L, "ocip.decode: out of memory");
}

void ocip_decoder_begin(lua_State *L, int idx) {
    idx = lua_absindex(L, idx);
    decoder *d = luaL_checkudata(L, idx, DECODER_MT);
    if (d->state == 3) luaL_error(L, "ocip.decoder: unusable after an error raised while decoding");
    drop_parked(L, idx);
    begin_doc(L, d);
    park(L, d, idx);
    d->state = 0;
}

int ocip_decoder_piece(lua_State *L, int idx, const char *p, size_t n) {
    idx = lua_absindex(L, idx);
    decoder *d = luaL_checkudata(L, idx, DECODER_MT);
    if (d->state == 2) return 0; /* failed: the rest of the document is only skipped */
    if (d->state != 0) luaL_error(L, "ocip.decoder: no document begun");
    unpark(L, d, idx);
    d->state = 3;
    int st = ocip_dec_feed_scanned(d->dec, p, n, 0);
    if (st != OCIP_DEC_OK) {
        piece_failed(L, d, idx, st);
        return 0;
    }
    park(L, d, idx);
    d->state = 0;
    return d->sink.npending;
}

int ocip_decoder_finish(lua_State *L, int idx, const char *p, size_t n, int whole) {
    idx = lua_absindex(L, idx);
    decoder *d = luaL_checkudata(L, idx, DECODER_MT);
    if (d->state == 2) return ocip_fail(L, KINDS[d->err_kind], "OCI-P decode: %s", d->msg);
    if (d->state != 0) return luaL_error(L, "ocip.decoder: no document begun");
    unpark(L, d, idx);
    d->state = 3;
    int st = ocip_dec_feed_scanned(d->dec, p, n, whole);
    if (st == OCIP_DEC_OK) st = ocip_dec_finish(d->dec);
    if (st != OCIP_DEC_OK) {
        d->sink.npending = 0;
        drop_parked(L, idx);
        return fail_doc(L, d, st);
    }
    ocip_dec_trim(d->dec);
    if (d->sink.npending > 0) { /* rows of the last piece: on the result, as rows / keys */
        lua_pushvalue(L, AT(&d->sink, S_ROWS));
        lua_setfield(L, d->sink.base, "rows");
        lua_pushvalue(L, AT(&d->sink, S_ROWKEYS));
        lua_setfield(L, d->sink.base, "keys");
        d->sink.npending = 0;
    }
    lua_settop(L, d->sink.base);
    d->sink.base = 0;
    d->state = 1;
    drop_parked(L, idx);
    return 1;
}

/* dec:rows() -> rows, keys (the queued rows and their tables' keys) or nil */
static int l_rows(lua_State *L) {
    decoder *d = luaL_checkudata(L, 1, DECODER_MT);
    if (d->sink.npending == 0 || d->state == 3) { lua_pushnil(L); return 1; }
    if (lua_getiuservalue(L, 1, 1) != LUA_TTABLE) { lua_pushnil(L); return 1; }
    int t = lua_gettop(L);
    lua_rawgeti(L, t, S_ROWS + 1);
    lua_rawgeti(L, t, S_ROWKEYS + 1);
    lua_createtable(L, 256, 0);
    lua_rawseti(L, t, S_ROWS + 1);
    lua_createtable(L, 256, 0);
    lua_rawseti(L, t, S_ROWKEYS + 1);
    d->sink.npending = 0;
    return 2;
}

/* dec:head() -> session_id, the first command (open or done) or nil, commands done */
static int l_head(lua_State *L) {
    decoder *d = luaL_checkudata(L, 1, DECODER_MT);
    if (d->state != 0 || lua_getiuservalue(L, 1, 1) != LUA_TTABLE) {
        lua_pushnil(L);
        lua_pushnil(L);
        lua_pushinteger(L, 0);
        return 3;
    }
    int t = lua_gettop(L);
    lua_rawgeti(L, t, S_RESULT + 1);
    lua_getfield(L, -1, "session_id");
    lua_rawgeti(L, t, S_RESPONSES + 1);
    if (lua_rawgeti(L, -1, 1) == LUA_TNIL && d->sink.nframes > 1) {
        lua_pop(L, 1);
        lua_rawgeti(L, t, d->sink.frames[1].cont + 1); /* the command being decoded */
    }
    lua_remove(L, -2);
    lua_pushinteger(L, d->sink.nresponses);
    return 3;
}

void ocip_open_decode(lua_State *L) {
    if (luaL_newmetatable(L, DECODER_MT)) {
        static const luaL_Reg methods[] = {{"feed", l_feed}, {"finish", l_finish}, {"rows", l_rows},
                                           {"head", l_head}, {NULL, NULL}};
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
