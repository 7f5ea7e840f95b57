/* core.tcp_listen and the server userdata. Accepted connections do their TLS
 * handshake on the loop and wait in a short list until server:accept() takes
 * them; they are then the same conn userdata as tcp_connect returns. When the
 * list is full, accepting pauses (the peers wait in the kernel's backlog) and
 * resumes as server:accept() takes connections: a burst is served, never refused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <lauxlib.h>
#include "bindings/core.h"
#include "bindings/net.h"

#define MAX_PENDING 128          /* accepted but not yet taken: beyond, accepting pauses */
#define DEFAULT_BACKLOG 1024     /* the kernel caps it at net.core.somaxconn */

struct net_server {
    uv_loop_t *uv;
    uv_tcp_t *tcp;
    ocip_tls_ctx *ctx;
    int refs, closed, raw, accepting, count, port;
    int deferred;                /* libuv holds an accepted fd we have not taken (list full) */
    size_t max_doc, max_queue;
    double hs_timeout;
    net_conn *pending;           /* handshaking or ready, oldest first */
    ocip_waiter *acceptor;
};

typedef struct { net_server *s; } server_ud;

static void server_unref(net_server *s) {
    if (--s->refs > 0) return;
    ocip_tls_ctx_free(s->ctx);
    free(s);
}

static void on_server_closed(uv_handle_t *h) {
    net_server *s = h->data;
    free(h);
    server_unref(s);
}

/* The listening socket keeps the loop alive only while a task waits in accept(). */
static void server_update_ref(net_server *s) {
    if (!s->tcp || uv_is_closing((uv_handle_t *)s->tcp)) return;
    if (s->acceptor) uv_ref((uv_handle_t *)s->tcp);
    else uv_unref((uv_handle_t *)s->tcp);
}

static void unlink_conn(net_server *s, net_conn *c) {
    for (net_conn **pp = &s->pending; *pp; pp = &(*pp)->srv_next) {
        if (*pp == c) {
            *pp = c->srv_next;
            c->srv_next = NULL;
            c->srv = NULL;
            s->count--;
            return;
        }
    }
}

static void accept_one(net_server *s);

/* A place in the list came free: take the connection libuv holds for us. libuv
 * watches the listening socket again once it is taken. */
static void resume_accept(net_server *s) {
    if (!s->deferred || s->closed || !s->tcp || s->count >= MAX_PENDING) return;
    s->deferred = 0;
    accept_one(s);
}

/* Takes the oldest connection whose handshake is done (the list's reference moves to the caller). */
static net_conn *take_ready(net_server *s) {
    for (net_conn *c = s->pending; c; c = c->srv_next) {
        if (c->ready) {
            unlink_conn(s, c);
            resume_accept(s);
            server_unref(s);
            return c;
        }
    }
    return NULL;
}

static int push_accept(lua_State *co, void *data) {
    net_server *s = data;
    s->accepting = 0;
    int n = 0;
    if (co) {
        net_conn *c = s->closed ? NULL : take_ready(s);
        if (c) { net_conn_push_ud(co, c); n = 1; }
        else n = ocip_fail(co, "closed", "server closed");
    }
    server_unref(s);
    return n;
}

static int push_server_unref(lua_State *co, void *data) {
    (void)co;
    server_unref(data);
    return 0;
}

static void wake_acceptor(net_server *s) {
    if (!s->acceptor) return;
    ocip_waiter *w = s->acceptor;
    s->acceptor = NULL;
    server_update_ref(s);
    ocip_wake(w, push_accept, s);
}

void net_server_conn_ready(net_conn *c) {
    c->ready = 1;
    wake_acceptor(c->srv);
}

void net_server_conn_failed(net_conn *c) {
    net_server *s = c->srv;
    unlink_conn(s, c);
    net_conn_close(c);
    net_conn_unref(c);
    resume_accept(s);
    server_unref(s);
}

/* Takes the connection libuv has accepted (its fd waits in the server handle). */
static void accept_one(net_server *s) {
    net_conn *c = net_conn_new(s->uv, s->raw, s->max_doc, s->max_queue);
    uv_tcp_t *t = c ? malloc(sizeof *t) : NULL;
    if (!t) { /* out of memory: libuv keeps the fd; retried when a place comes free */
        if (c) net_conn_unref(c);
        s->deferred = 1;
        return;
    }
    uv_tcp_init(s->uv, t);
    t->data = c;
    c->refs++;
    c->tcp = t;
    c->port = s->port;
    snprintf(c->host, sizeof c->host, "server");
    if (uv_accept((uv_stream_t *)s->tcp, (uv_stream_t *)t) < 0) {
        net_conn_close(c);
        net_conn_unref(c);
        return;
    }
    c->srv = s;
    s->refs++;
    s->count++;
    net_conn **pp = &s->pending;
    while (*pp) pp = &(*pp)->srv_next;
    *pp = c;
    if (s->ctx) {
        char err[512];
        c->tls = ocip_tls_new(s->ctx, NULL, err, sizeof err);
        if (!c->tls) { net_server_conn_failed(c); return; }
        net_conn_set_deadline(c, s->hs_timeout);
    }
    net_conn_start(c);
}

static void on_connection(uv_stream_t *server, int status) {
    net_server *s = server->data;
    if (status < 0 || s->closed) return;
    /* list full: not taking the fd makes libuv stop accepting until we do */
    if (s->count >= MAX_PENDING) { s->deferred = 1; return; }
    accept_one(s);
}

static void server_close(net_server *s) {
    if (s->closed) return;
    s->closed = 1;
    s->refs++; /* the loop below drops references */
    if (s->tcp && !uv_is_closing((uv_handle_t *)s->tcp)) uv_close((uv_handle_t *)s->tcp, on_server_closed);
    s->tcp = NULL;
    while (s->pending) {
        net_conn *c = s->pending;
        unlink_conn(s, c);
        net_conn_close(c);
        net_conn_unref(c);
        server_unref(s);
    }
    wake_acceptor(s);
    server_unref(s);
}

static net_server *check_server(lua_State *L) {
    server_ud *u = luaL_checkudata(L, 1, OCIP_SERVER_MT);
    if (!u->s) luaL_error(L, "ocip: server object already finalised");
    return u->s;
}

static void accept_cancel(void *data) {
    net_server *s = data;
    ocip_waiter *w = s->acceptor;
    s->accepting = 0;
    if (!w) return;
    s->acceptor = NULL;
    server_update_ref(s);
    ocip_wake(w, push_server_unref, s);
}

static int l_accept(lua_State *L) {
    net_server *s = check_server(L);
    if (s->closed) return ocip_fail(L, "closed", "server closed");
    if (s->acceptor || s->accepting) return ocip_fail(L, "usage", "another task is already accepting on this server");
    net_conn *c = take_ready(s);
    if (c) {
        net_conn_push_ud(L, c);
        return 1;
    }
    s->acceptor = ocip_await(L, "server:accept", accept_cancel, s);
    s->accepting = 1;
    s->refs++;
    server_update_ref(s);
    return lua_yield(L, 0);
}

static int l_port(lua_State *L) {
    lua_pushinteger(L, check_server(L)->port);
    return 1;
}

static int l_server_close(lua_State *L) {
    server_close(check_server(L));
    return 0;
}

static int l_server_gc(lua_State *L) {
    server_ud *u = luaL_checkudata(L, 1, OCIP_SERVER_MT);
    net_server *s = u->s;
    if (!s) return 0;
    u->s = NULL;
    server_close(s);
    server_unref(s);
    return 0;
}

static int l_server_tostring(lua_State *L) {
    server_ud *u = luaL_checkudata(L, 1, OCIP_SERVER_MT);
    if (!u->s) lua_pushliteral(L, "ocip.server (finalised)");
    else lua_pushfstring(L, "ocip.server port %d%s%s", u->s->port, u->s->ctx ? " tls" : "",
                         u->s->closed ? " (closed)" : "");
    return 1;
}

/* A server needs descriptors: raise the soft limit on open files to the hard
 * one (as Go and nginx do), or a burst of connects hits EMFILE at the common soft
 * limit of 1024 and libuv drops the connections it cannot accept. */
#define NOFILE_CAP 1048576
static void raise_nofile_limit(void) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
    rlim_t want = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > NOFILE_CAP ? NOFILE_CAP : rl.rlim_max;
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
        rl.rlim_cur = want;
        (void)setrlimit(RLIMIT_NOFILE, &rl); /* best effort: the old limit stays on failure */
    }
}

static int listen_fail(lua_State *L, net_server *s, const char *host, int port, int rc) {
    if (s->tcp) uv_close((uv_handle_t *)s->tcp, on_server_closed); /* frees s via the last reference */
    else server_unref(s);
    return ocip_fail(L, "connect", "cannot listen on %s:%d: %s", host, port, uv_strerror(rc));
}

/* core.tcp_listen{host="127.0.0.1", port=0, tls=nil|{cert_file=, key_file=}, mode=,
 *                 max_document=, max_queue=, backlog=1024, handshake_timeout=30} -> server */
static int l_tcp_listen(lua_State *L) {
    if (lua_isnoneornil(L, 1)) lua_newtable(L);
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_getfield(L, 1, "host");
    const char *host = lua_isnil(L, -1) ? "127.0.0.1" : luaL_checkstring(L, -1);
    lua_getfield(L, 1, "port");
    lua_Integer port = luaL_optinteger(L, -1, 0);
    lua_getfield(L, 1, "backlog");
    lua_Integer backlog = luaL_optinteger(L, -1, DEFAULT_BACKLOG);
    lua_getfield(L, 1, "max_document");
    lua_Integer max_doc = luaL_optinteger(L, -1, (lua_Integer)OCIP_FRAME_DEFAULT_MAX);
    lua_getfield(L, 1, "max_queue");
    lua_Integer max_queue = luaL_optinteger(L, -1, (lua_Integer)NET_DEFAULT_MAX_QUEUE);
    lua_getfield(L, 1, "handshake_timeout");
    lua_Number hs = luaL_optnumber(L, -1, 30.0);
    if (port < 0 || port > 65535) return luaL_error(L, "ocip: option 'port' must be in [0, 65535]");
    if (backlog < 1 || backlog > 65535 || max_doc < 1 || max_queue < 1 || !(hs > 0))
        return luaL_error(L, "ocip: tcp_listen: backlog, max_document, max_queue and handshake_timeout must be positive");
    int raw = net_opt_mode(L, 1);
    struct sockaddr_storage ss;
    if (uv_ip4_addr(host, (int)port, (struct sockaddr_in *)&ss) != 0 &&
        uv_ip6_addr(host, (int)port, (struct sockaddr_in6 *)&ss) != 0)
        return luaL_error(L, "ocip: tcp_listen: host must be an IP address, got '%s'", host);

    ocip_tls_ctx *ctx = NULL;
    lua_getfield(L, 1, "tls");
    if (lua_istable(L, -1)) {
        ocip_tls_opts o = {0};
        net_tls_opts(L, lua_gettop(L), &o);
        o.server = 1;
        char err[512];
        if (!(ctx = ocip_tls_ctx_new(&o, err, sizeof err))) return ocip_fail(L, "tls", "%s", err);
    } else if (!lua_isnil(L, -1)) {
        return luaL_error(L, "ocip: tcp_listen: 'tls' must be a table {cert_file=, key_file=}");
    }

    raise_nofile_limit();
    ocip_loop *lp = ocip_loop_get(L);
    net_server *s = calloc(1, sizeof *s);
    if (!s) {
        ocip_tls_ctx_free(ctx);
        return luaL_error(L, "ocip: out of memory");
    }
    s->uv = ocip_loop_uv(lp);
    s->refs = 1;
    s->ctx = ctx;
    s->raw = raw;
    s->max_doc = (size_t)max_doc;
    s->max_queue = (size_t)max_queue;
    s->hs_timeout = hs;
    s->tcp = malloc(sizeof *s->tcp);
    if (!s->tcp) {
        server_unref(s);
        return luaL_error(L, "ocip: out of memory");
    }
    uv_tcp_init(s->uv, s->tcp);
    s->tcp->data = s;
    s->refs++; /* the handle's */
    int rc = uv_tcp_bind(s->tcp, (const struct sockaddr *)&ss, 0);
    if (rc == 0) rc = uv_listen((uv_stream_t *)s->tcp, (int)backlog, on_connection);
    if (rc < 0) {
        s->refs--;
        return listen_fail(L, s, host, (int)port, rc);
    }
    int len = sizeof ss;
    if (uv_tcp_getsockname(s->tcp, (struct sockaddr *)&ss, &len) == 0)
        s->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                 : ((struct sockaddr_in *)&ss)->sin_port);
    uv_unref((uv_handle_t *)s->tcp);
    server_ud *u = lua_newuserdatauv(L, sizeof *u, 0);
    u->s = s;
    luaL_setmetatable(L, OCIP_SERVER_MT);
    return 1;
}

static const luaL_Reg server_methods[] = {
    {"accept", l_accept}, {"port", l_port}, {"close", l_server_close}, {NULL, NULL},
};

void ocip_open_net_server(lua_State *L) {
    if (luaL_newmetatable(L, OCIP_SERVER_MT)) {
        luaL_newlib(L, server_methods);
        lua_setfield(L, -2, "__index");
        lua_pushcfunction(L, l_server_gc);
        lua_setfield(L, -2, "__gc");
        lua_pushcfunction(L, l_server_close);
        lua_setfield(L, -2, "__close");
        lua_pushcfunction(L, l_server_tostring);
        lua_setfield(L, -2, "__tostring");
    }
    lua_pop(L, 1);
    lua_pushcfunction(L, l_tcp_listen);
    lua_setfield(L, -2, "tcp_listen");
}
