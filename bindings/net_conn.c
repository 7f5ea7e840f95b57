/* The ocip.conn userdata: read, write, flush, close, peer (and __gc, __close,
 * __tostring). The connection's machinery is in net_io.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lauxlib.h>
#include "bindings/core.h"
#include "bindings/decode.h"
#include "bindings/net.h"

typedef struct { net_conn *c; } conn_ud;

/* ---- conn methods -------------------------------------------------------- */

void net_conn_push_ud(lua_State *L, net_conn *c) {
    conn_ud *u = lua_newuserdatauv(L, sizeof *u, 0);
    u->c = c;
    luaL_setmetatable(L, OCIP_CONN_MT);
    net_update_reading(c);
    net_update_ref(c);
}

static net_conn *check_conn(lua_State *L) {
    conn_ud *u = luaL_checkudata(L, 1, OCIP_CONN_MT);
    if (!u->c) luaL_error(L, "ocip: connection object already finalised");
    return u->c;
}

static void read_cancel(void *data) {
    net_conn *c = data;
    ocip_waiter *w = c->reader;
    c->read_busy = 0;
    c->streaming = 0;
    net_read_deadline(c, -1);
    if (!w) return;
    c->reader = NULL;
    net_update_ref(c);
    ocip_wake(w, net_push_unref, c); /* nothing consumed: buffered data waits for the next read */
}

/* The framer's sticky failure (a status < 0) as nil, err. */
static int frame_failed(lua_State *L, net_conn *c, int st) {
    if (st == OCIP_FRAME_LIMIT) return ocip_fail(L, "limit", "%s", ocip_framer_error(c->fr));
    if (st == OCIP_FRAME_NOMEM) return ocip_fail(L, "limit", "out of memory buffering a document");
    return ocip_fail(L, "protocol", "%s", ocip_framer_error(c->fr));
}

/* conn:read(dec [, max_document [, timeout]]): the next document goes to the decoder dec piece by
 * piece as its bytes arrive (decoding overlaps the transfer, and no copy of the whole
 * document is kept). Returns true when the document is whole: its last piece waits for
 * conn:finish(dec), so that the caller can write its next document first; false when
 * dec (rows mode) has queued rows (dec:rows()), the document not being whole yet; or
 * nil, err as conn:read(), or kind timeout when `timeout` seconds pass with nothing to
 * hand over (the document, fed in part, then goes on with the next read). A decoding
 * failure is kept by dec and reported by finish; the document is still read to its end. */
static int read_dec(lua_State *L, int status, lua_KContext ctx) {
    (void)status;
    (void)ctx;
    net_conn *c = check_conn(L);
    c->streaming = 0;
    net_read_deadline(c, -1);
    if (c->read_timed_out) {
        c->read_timed_out = 0;
        return ocip_fail(L, "timeout", "no answer within the time given");
    }
    for (;;) {
        if (c->state == C_CLOSED) return ocip_fail(L, "closed", "connection closed");
        const char *p;
        size_t n;
        int st = ocip_framer_peek(c->fr, &p, &n);
        if (st < 0) return frame_failed(L, c, st);
        if (st == OCIP_FRAME_DOC || n >= NET_PIECE_MIN) {
            if (!c->dec_doc) {
                ocip_decoder_begin(L, 2);
                c->dec_doc = 1;
                c->dec_pieces = 0;
            }
            if (st == OCIP_FRAME_DOC) {
                c->dec_done = 1;
                lua_pushboolean(L, 1);
                return 1;
            }
            int pending = ocip_decoder_piece(L, 2, p, n);
            if (c->state == C_CLOSED) continue; /* (a finaliser run by the decoder closed it) */
            ocip_framer_take(c->fr, n);
            c->dec_pieces++;
            net_update_reading(c);
            if (pending > 0) {
                lua_pushboolean(L, 0);
                return 1;
            }
            continue;
        }
        if (c->err_kind[0]) return ocip_fail(L, c->err_kind, "%s", c->err_msg);
        if (c->eof) {
            if (ocip_framer_partial(c->fr))
                return ocip_fail(L, "closed", "connection closed by peer in the middle of a document");
            return ocip_fail(L, "closed", "connection closed by peer");
        }
        c->reader = ocip_await(L, "conn:read", read_cancel, c);
        c->read_busy = 1;
        c->streaming = 1;
        c->refs++;
        net_update_reading(c);
        net_update_ref(c);
        if (c->read_deadline >= 0) {
            double left = (c->read_deadline - (double)uv_now(c->uv)) / 1000.0;
            net_read_deadline(c, left > 0 ? left : 0);
        }
        return lua_yieldk(L, 0, 0, read_dec);
    }
}

/* conn:finish(dec): after conn:read(dec) returned true, feeds the document's last piece
 * and finishes: the decoded document, or nil, err. */
static int l_finish(lua_State *L) {
    net_conn *c = check_conn(L);
    if (!ocip_decoder_check(L, 2)) return luaL_argerror(L, 2, "decoder expected");
    if (c->state == C_CLOSED || !c->fr) return ocip_fail(L, "closed", "connection closed");
    if (!c->dec_done) return luaL_error(L, "conn:finish: no whole document was read (conn:read(dec))");
    const char *p;
    size_t n;
    int st = ocip_framer_peek(c->fr, &p, &n);
    if (st != OCIP_FRAME_DOC) return luaL_error(L, "conn:finish: the document is gone");
    int whole = c->dec_pieces == 0;
    c->dec_doc = c->dec_done = 0;
    int r = ocip_decoder_finish(L, 2, p, n, whole);
    if (c->state != C_CLOSED && c->fr) {
        ocip_framer_take(c->fr, n);
        ocip_framer_release(c->fr);
        net_update_reading(c);
    }
    return r;
}

static int l_read(lua_State *L) {
    net_conn *c = check_conn(L);
    if (c->reader || c->read_busy) return ocip_fail(L, "usage", "another task is already reading this connection");
    if (!lua_isnoneornil(L, 2)) {
        if (c->raw || !ocip_decoder_check(L, 2)) return luaL_argerror(L, 2, "decoder expected (document mode)");
        if (c->dec_done) return luaL_error(L, "conn:read: conn:finish(dec) must come first");
        lua_Integer max = luaL_optinteger(L, 3, 0); /* this document's limit, if not the usual */
        if (c->fr && !c->dec_doc) ocip_framer_set_max(c->fr, max > 0 ? (size_t)max : c->max_document);
        /* seconds (nil: none; a deadline already past: at once); kind timeout when it passes */
        int timed = !lua_isnoneornil(L, 4);
        double timeout = timed ? luaL_checknumber(L, 4) : 0;
        if (!(timeout > 0)) timeout = 0; /* (NaN too) */
        lua_settop(L, 2);
        c->read_deadline = timed && timeout < 1e9 ? (double)uv_now(c->uv) + timeout * 1000.0 : -1;
        c->read_timed_out = 0;
        return read_dec(L, LUA_OK, 0);
    }
    c->streaming = 0; /* (a streaming read cancelled before left it set) */
    int n = net_try_read(L, c);
    if (n >= 0) return n;
    c->reader = ocip_await(L, "conn:read", read_cancel, c);
    c->read_busy = 1;
    c->refs++;
    net_update_reading(c);
    net_update_ref(c);
    return lua_yield(L, 0);
}

static int l_write(lua_State *L) {
    net_conn *c = check_conn(L);
    size_t len;
    const char *p = luaL_checklstring(L, 2, &len);
    if (c->state != C_OPEN) return ocip_fail(L, "closed", "connection closed");
    if (c->write_err[0]) return ocip_fail(L, "closed", "%s", c->write_err);
    if (len == 0) { lua_pushboolean(L, 1); return 1; }
    /* max_queue bounds the backlog behind a write, not one write: with nothing queued a
     * document of any size is taken (a server's 150 MB answer), the next one waits */
    if (c->queued > 0 && c->queued + len > c->max_queue)
        return ocip_fail(L, "limit", "write queue full: %I bytes waiting for the peer (max_queue %I)",
                         (lua_Integer)c->queued, (lua_Integer)c->max_queue);
    int rc;
    if (c->tls) {
        if (ocip_tls_write(c->tls, p, len) != OCIP_TLS_OK) return ocip_fail(L, "tls", "%s", ocip_tls_error(c->tls));
        net_flush_tls(c);
        rc = 0;
    } else {
        rc = net_send_bytes(c, p, len);
    }
    if (rc < 0 && !c->write_err[0])
        snprintf(c->write_err, sizeof c->write_err, "write failed: %s", uv_strerror(rc));
    if (c->write_err[0]) return ocip_fail(L, "closed", "%s", c->write_err);
    lua_pushboolean(L, 1);
    return 1;
}

static void flush_cancel(void *data) {
    net_conn *c = data;
    ocip_waiter *w = c->flusher;
    if (!w) return;
    c->flusher = NULL;
    net_update_ref(c);
    ocip_wake(w, net_push_unref, c);
}

static int l_flush(lua_State *L) {
    net_conn *c = check_conn(L);
    if (c->write_err[0]) return ocip_fail(L, "closed", "%s", c->write_err);
    if (c->queued == 0) { lua_pushboolean(L, 1); return 1; }
    if (c->state != C_OPEN) return ocip_fail(L, "closed", "connection closed");
    if (c->flusher) return ocip_fail(L, "usage", "another task is already flushing this connection");
    c->flusher = ocip_await(L, "conn:flush", flush_cancel, c);
    c->refs++;
    net_update_ref(c);
    return lua_yield(L, 0);
}

static int l_close(lua_State *L) {
    net_conn_close(check_conn(L));
    return 0;
}

static int l_gc(lua_State *L) {
    conn_ud *u = luaL_checkudata(L, 1, OCIP_CONN_MT);
    net_conn *c = u->c;
    if (!c) return 0;
    u->c = NULL;
    net_conn_close(c);
    net_conn_unref(c);
    return 0;
}

/* conn:arrived() -> when the last bytes read so far came off the socket, on core.now()'s
 * clock (seconds), or nil before any. The simulator counts its latency from there, not
 * from when its task got to the document (it may be busy with another connection's). */
static int l_arrived(lua_State *L) {
    net_conn *c = check_conn(L);
    if (!c->last_in) return 0;
    lua_pushnumber(L, (lua_Number)c->last_in / 1e9);
    return 1;
}

static int l_peer(lua_State *L) {
    lua_pushstring(L, check_conn(L)->peer);
    return 1;
}

static int l_tostring(lua_State *L) {
    conn_ud *u = luaL_checkudata(L, 1, OCIP_CONN_MT);
    if (!u->c) lua_pushliteral(L, "ocip.conn (finalised)");
    else lua_pushfstring(L, "ocip.conn %s%s%s", u->c->peer, u->c->tls || u->c->was_tls ? " tls" : "",
                         u->c->state == C_CLOSED ? " (closed)" : "");
    return 1;
}

static const luaL_Reg conn_methods[] = {
    {"read", l_read}, {"finish", l_finish}, {"write", l_write}, {"flush", l_flush}, {"close", l_close},
    {"peer", l_peer}, {"arrived", l_arrived}, {NULL, NULL},
};

void net_open_conn(lua_State *L) {
    if (luaL_newmetatable(L, OCIP_CONN_MT)) {
        luaL_newlib(L, conn_methods);
        lua_setfield(L, -2, "__index");
        lua_pushcfunction(L, l_gc);
        lua_setfield(L, -2, "__gc");
        lua_pushcfunction(L, l_close);
        lua_setfield(L, -2, "__close");
        lua_pushcfunction(L, l_tostring);
        lua_setfield(L, -2, "__tostring");
    }
    lua_pop(L, 1);
}
