/* The client side: core.tcp_connect (resolve, try each address, TLS, deadline)
 * and the option parsing shared with net_server.c. The connection itself is in
 * net_io.c, its Lua methods in net_conn.c. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lauxlib.h>
#include "bindings/core.h"
#include "bindings/net.h"

/* ---- connect ------------------------------------------------------------- */

static int push_connect(lua_State *co, void *data) {
    net_conn *c = data;
    if (!co) { /* cancelled: the connection is not wanted any more */
        net_conn_close(c);
        net_conn_unref(c);
        return 0;
    }
    if (c->err_kind[0]) {
        int n = ocip_fail(co, c->err_kind, "%s", c->err_msg);
        net_conn_close(c);
        net_conn_unref(c);
        return n;
    }
    if (c->state != C_OPEN) {
        net_conn_unref(c);
        return ocip_fail(co, "closed", "connection closed during connect");
    }
    net_conn_push_ud(co, c); /* the operation's reference becomes the userdata's */
    return 1;
}

/* Ends the connect wait (kind NULL: success). */
void net_connect_done(net_conn *c, const char *kind, const char *fmt, ...) {
    if (!c->connect_w) return;
    if (kind && !c->err_kind[0]) {
        snprintf(c->err_kind, sizeof c->err_kind, "%s", kind);
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err_msg, sizeof c->err_msg, fmt, ap);
        va_end(ap);
    }
    net_close_timer(c);
    if (kind) {
        c->state = C_CLOSED;
        net_close_tcp(c);
        if (c->gai) uv_cancel((uv_req_t *)c->gai);
    }
    ocip_waiter *w = c->connect_w;
    c->connect_w = NULL;
    net_update_ref(c);
    ocip_wake(w, push_connect, c);
}

static void try_next_address(net_conn *c);

static void on_connected(uv_connect_t *req, int status) {
    net_conn *c = req->data;
    if (c->state == C_CLOSED || status == UV_ECANCELED) { net_conn_unref(c); return; }
    if (status < 0) {
        c->last_status = status;
        net_close_tcp(c);
        try_next_address(c);
        net_conn_unref(c);
        return;
    }
    if (c->ai) { uv_freeaddrinfo(c->ai); c->ai = c->ai_next = NULL; }
    if (c->ctx) {
        char err[512];
        c->tls = ocip_tls_new(c->ctx, c->server_name, err, sizeof err);
        if (!c->tls) { net_connect_done(c, "tls", "%s", err); net_conn_unref(c); return; }
    }
    net_conn_start(c);
    net_conn_unref(c);
}

static void try_next_address(net_conn *c) {
    while (c->ai_next) {
        struct addrinfo *a = c->ai_next;
        c->ai_next = a->ai_next;
        uv_tcp_t *t = malloc(sizeof *t);
        if (!t) { c->last_status = UV_ENOMEM; break; }
        uv_tcp_init(c->uv, t);
        t->data = c;
        c->refs++;
        c->tcp = t;
        c->creq.data = c;
        int rc = uv_tcp_connect(&c->creq, t, a->ai_addr, on_connected);
        if (rc == 0) { c->refs++; net_update_ref(c); return; }
        c->last_status = rc;
        net_close_tcp(c);
    }
    net_connect_done(c, "connect", "cannot connect to %s:%d: %s", c->host, c->port,
                 c->last_status ? uv_strerror(c->last_status) : "no address");
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res) {
    net_conn *c = req->data;
    free(req);
    c->gai = NULL;
    if (c->state == C_CLOSED) {
        if (res) uv_freeaddrinfo(res);
    } else if (status < 0) {
        net_connect_done(c, "connect", "cannot resolve host '%s': %s", c->host, uv_strerror(status));
    } else {
        c->ai = c->ai_next = res;
        c->state = C_CONNECTING;
        try_next_address(c);
    }
    net_conn_unref(c);
}

static void connect_cancel(void *data) {
    net_conn *c = data;
    if (!c->connect_w) return;
    net_set_error(c, "closed", "connect cancelled");
    c->state = C_CLOSED;
    ocip_waiter *w = c->connect_w;
    c->connect_w = NULL;
    ocip_wake(w, push_connect, c); /* push(NULL) closes and drops the operation's reference */
}

/* ---- option parsing ------------------------------------------------------ */

static const char *opt_string(lua_State *L, int t, const char *k, const char *def) {
    lua_getfield(L, t, k);
    const char *s = def;
    if (!lua_isnil(L, -1)) {
        if (lua_type(L, -1) != LUA_TSTRING) luaL_error(L, "ocip: option '%s' must be a string", k);
        s = lua_tostring(L, -1);
    }
    lua_pop(L, 1); /* the string stays alive: it is referenced by the options table */
    return s;
}

static lua_Integer opt_int(lua_State *L, int t, const char *k, lua_Integer def, lua_Integer lo, lua_Integer hi) {
    lua_getfield(L, t, k);
    lua_Integer v = def;
    if (!lua_isnil(L, -1)) {
        int ok;
        v = lua_tointegerx(L, -1, &ok);
        if (!ok || v < lo || v > hi)
            luaL_error(L, "ocip: option '%s' must be an integer in [%I, %I]", k, lo, hi);
    }
    lua_pop(L, 1);
    return v;
}

static int opt_bool(lua_State *L, int t, const char *k) {
    lua_getfield(L, t, k);
    int v = lua_toboolean(L, -1);
    lua_pop(L, 1);
    return v;
}

int net_opt_mode(lua_State *L, int t) {
    const char *m = opt_string(L, t, "mode", "document");
    if (strcmp(m, "document") == 0) return 0;
    if (strcmp(m, "raw") == 0) return 1;
    return luaL_error(L, "ocip: option 'mode' must be \"document\" or \"raw\"");
}

/* Fills a TLS option set from the table at index t (strings stay owned by Lua). */
void net_tls_opts(lua_State *L, int t, ocip_tls_opts *o) {
    o->ca_file = opt_string(L, t, "ca_file", NULL);
    o->ca_path = opt_string(L, t, "ca_path", NULL);
    o->cert_file = opt_string(L, t, "cert_file", NULL);
    o->key_file = opt_string(L, t, "key_file", NULL);
    o->insecure = opt_bool(L, t, "insecure");
}

/* Raises the scheduler's error before anything is allocated (ocip_await would raise later). */
static void require_task(lua_State *L, const char *what) {
    lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
    lua_getfield(L, -1, "ocip.core");
    if (lua_istable(L, -1)) {
        lua_getfield(L, -1, "current");
        if (lua_isfunction(L, -1)) {
            lua_call(L, 0, 1);
            int in_task = !lua_isnil(L, -1);
            lua_pop(L, 1);
            if (!in_task || !lua_isyieldable(L))
                luaL_error(L, "ocip: %s must be called from an ocip task (ocip.run / ocip.spawn)", what);
        } else lua_pop(L, 1);
    }
    lua_pop(L, 2);
}

/* core.tcp_connect{host=, port=, timeout=30, tls=nil|true|{...}, max_document=, max_queue=, mode=} */
static int l_tcp_connect(lua_State *L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    const char *host = opt_string(L, 1, "host", NULL);
    if (!host || !*host) return luaL_error(L, "ocip: tcp_connect needs 'host'");
    if (strlen(host) >= 256) return luaL_error(L, "ocip: host name too long");
    int port = (int)opt_int(L, 1, "port", -1, 1, 65535);
    if (port < 0) return luaL_error(L, "ocip: tcp_connect needs 'port'");
    lua_getfield(L, 1, "timeout");
    double timeout = lua_isnil(L, -1) ? 30.0 : luaL_checknumber(L, -1);
    lua_pop(L, 1);
    size_t max_doc = (size_t)opt_int(L, 1, "max_document", (lua_Integer)OCIP_FRAME_DEFAULT_MAX, 1, LUA_MAXINTEGER);
    size_t max_queue = (size_t)opt_int(L, 1, "max_queue", (lua_Integer)NET_DEFAULT_MAX_QUEUE, 1, LUA_MAXINTEGER);
    int raw = net_opt_mode(L, 1);
    int use_tls = 0;
    ocip_tls_opts to = {0};
    const char *server_name = host;
    lua_getfield(L, 1, "tls");
    int tt = lua_gettop(L);
    if (lua_istable(L, tt)) {
        use_tls = 1;
        net_tls_opts(L, tt, &to);
        server_name = opt_string(L, tt, "server_name", host);
        if (strlen(server_name) >= 256) return luaL_error(L, "ocip: server_name too long");
    } else if (lua_toboolean(L, tt)) {
        use_tls = 1;
    }
    require_task(L, "tcp_connect");

    ocip_loop *lp = ocip_loop_get(L);
    ocip_tls_ctx *ctx = NULL;
    if (use_tls) {
        char err[512];
        if (!(ctx = ocip_tls_ctx_new(&to, err, sizeof err))) return ocip_fail(L, "tls", "%s", err);
        if (to.insecure) {
            fprintf(stderr, "ocip: warning: TLS verification disabled for %s:%d\n", host, port);
            fflush(stderr);
        }
    }
    net_conn *c = net_conn_new(ocip_loop_uv(lp), raw, max_doc, max_queue);
    if (!c) {
        ocip_tls_ctx_free(ctx);
        return luaL_error(L, "ocip: out of memory");
    }
    c->ctx = ctx;
    snprintf(c->host, sizeof c->host, "%s", host);
    snprintf(c->server_name, sizeof c->server_name, "%s", server_name);
    c->port = port;
    c->timeout = timeout;
    c->state = C_RESOLVING;
    c->connect_w = ocip_await(L, "tcp_connect", connect_cancel, c);
    if (timeout > 0) net_conn_set_connect_deadline(c, timeout);

    char service[16];
    snprintf(service, sizeof service, "%d", port);
    struct addrinfo hints;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    hints.ai_flags = AI_NUMERICSERV;
    c->gai = malloc(sizeof *c->gai);
    if (!c->gai) {
        net_connect_done(c, "connect", "out of memory");
    } else {
        c->gai->data = c;
        int rc = uv_getaddrinfo(c->uv, c->gai, on_resolved, host, service, &hints);
        if (rc < 0) {
            free(c->gai);
            c->gai = NULL;
            net_connect_done(c, "connect", "cannot resolve host '%s': %s", host, uv_strerror(rc));
        } else {
            c->refs++;
        }
    }
    return lua_yield(L, 0);
}

void ocip_open_net(lua_State *L) {
    net_open_conn(L);
    lua_pushcfunction(L, l_tcp_connect);
    lua_setfield(L, -2, "tcp_connect");
    ocip_open_net_server(L);
}
