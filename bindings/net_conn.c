/* The ocip.conn userdata: read, write, flush, close, peer (and __gc, __close,
 * __tostring). The connection's machinery is in net_io.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lauxlib.h>
#include "bindings/core.h"
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
    if (!w) return;
    c->reader = NULL;
    net_update_ref(c);
    ocip_wake(w, net_push_unref, c); /* nothing consumed: buffered data waits for the next read */
}

static int l_read(lua_State *L) {
    net_conn *c = check_conn(L);
    if (c->reader || c->read_busy) return ocip_fail(L, "usage", "another task is already reading this connection");
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
    {"read", l_read}, {"write", l_write}, {"flush", l_flush}, {"close", l_close},
    {"peer", l_peer}, {NULL, NULL},
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
