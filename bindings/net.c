/* TCP (+TLS) connections as Lua userdata on the libuv loop: core.tcp_connect and
 * the conn methods. Bytes from the socket go through the TLS engine (if any) and
 * then into the framer ("document" mode) or a plain buffer ("raw" mode). Waiting
 * (connect, read, flush) uses ocip_await/ocip_wake; nothing blocks the loop. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lauxlib.h>
#include "bindings/core.h"
#include "bindings/net.h"

#define CLOSE_GRACE_MS 2000     /* a close waits this long for queued writes */

typedef struct { net_conn *c; } conn_ud;

int net_push_flush(lua_State *co, void *data);
static void close_tcp(net_conn *c);
static void close_timer(net_conn *c);

typedef struct {
    uv_write_t req;
    net_conn *c;
    size_t len;
    char data[];
} write_req;

/* ---- lifetime ------------------------------------------------------------ */

net_conn *net_conn_new(uv_loop_t *uv, int raw, size_t max_document, size_t max_queue) {
    net_conn *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->uv = uv;
    c->refs = 1;
    c->raw = raw;
    c->max_queue = max_queue ? max_queue : NET_DEFAULT_MAX_QUEUE;
    if (!raw && !(c->fr = ocip_framer_new(max_document))) {
        free(c);
        return NULL;
    }
    return c;
}

void net_conn_unref(net_conn *c) {
    if (--c->refs > 0) return;
    if (c->ai) uv_freeaddrinfo(c->ai);
    ocip_framer_free(c->fr);
    free(c->in.p);
    ocip_tls_free(c->tls);
    ocip_tls_ctx_free(c->ctx);
    free(c);
}

static void on_handle_closed(uv_handle_t *h) {
    net_conn *c = h->data;
    free(h);
    net_conn_unref(c);
}

static void close_handle(uv_handle_t *h) {
    if (h && !uv_is_closing(h)) uv_close(h, on_handle_closed);
}

static void close_tcp(net_conn *c) {
    close_handle((uv_handle_t *)c->tcp);
    c->tcp = NULL;
}

static void close_timer(net_conn *c) {
    close_handle((uv_handle_t *)c->timer);
    c->timer = NULL;
}

/* A one-shot timer (replacing any previous one); ref'd only when it guards a wait. */
static void start_timer(net_conn *c, double seconds, uv_timer_cb cb, int keep_alive) {
    close_timer(c);
    uv_timer_t *t = malloc(sizeof *t);
    if (!t) return; /* no deadline rather than a crash; the wait can still be cancelled */
    uv_timer_init(c->uv, t);
    t->data = c;
    c->refs++;
    c->timer = t;
    uv_timer_start(t, cb, (uint64_t)(seconds * 1000.0 + 0.5), 0);
    if (!keep_alive) uv_unref((uv_handle_t *)t);
}

/* The socket keeps the loop alive only while a task waits on it, so that a
 * forgotten open connection never stops ocip.run from returning. */
void net_update_ref(net_conn *c) {
    if (!c->tcp || uv_is_closing((uv_handle_t *)c->tcp)) return;
    if (c->connect_w || c->reader || c->flusher) uv_ref((uv_handle_t *)c->tcp);
    else uv_unref((uv_handle_t *)c->tcp);
}

static void set_error(net_conn *c, const char *kind, const char *fmt, ...) {
    if (c->err_kind[0]) return; /* the first failure is the one that explains */
    snprintf(c->err_kind, sizeof c->err_kind, "%s", kind);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err_msg, sizeof c->err_msg, fmt, ap);
    va_end(ap);
}

/* ---- writing ------------------------------------------------------------- */

static void on_written(uv_write_t *req, int status) {
    write_req *w = (write_req *)req;
    net_conn *c = w->c;
    c->queued -= w->len;
    if (status < 0 && status != UV_ECANCELED && !c->write_err[0])
        snprintf(c->write_err, sizeof c->write_err, "write failed: %s", uv_strerror(status));
    free(w);
    if (c->state == C_CLOSED && c->queued == 0 && !c->connect_w) { /* a close was waiting for this */
        close_timer(c);
        close_tcp(c);
    }
    if (c->flusher && (c->queued == 0 || c->write_err[0])) {
        ocip_waiter *fw = c->flusher;
        c->flusher = NULL;
        ocip_wake(fw, net_push_flush, c);
        net_update_ref(c);
    }
    net_conn_unref(c);
}

/* Sends bytes in order: straight to the kernel when nothing is queued, the rest
 * copied and queued. Returns 0 or a libuv error. */
static int send_bytes(net_conn *c, const char *p, size_t len) {
    if (!c->tcp || uv_is_closing((uv_handle_t *)c->tcp)) return UV_EPIPE;
    if (c->queued == 0) {
        uv_buf_t b = uv_buf_init((char *)p, len > 0x7fffffff ? 0x7fffffff : (unsigned)len);
        int n = uv_try_write((uv_stream_t *)c->tcp, &b, 1);
        if (n > 0) { p += n; len -= (size_t)n; }
        else if (n != UV_EAGAIN && n != UV_ENOSYS) return n;
    }
    while (len) {
        size_t n = len > 0x40000000 ? 0x40000000 : len;
        write_req *w = malloc(sizeof *w + n);
        if (!w) return UV_ENOMEM;
        memcpy(w->data, p, n);
        w->c = c;
        w->len = n;
        uv_buf_t b = uv_buf_init(w->data, (unsigned)n);
        int rc = uv_write(&w->req, (uv_stream_t *)c->tcp, &b, 1, on_written);
        if (rc < 0) { free(w); return rc; }
        c->refs++;
        c->queued += n;
        p += n;
        len -= n;
    }
    return 0;
}

/* Hands whatever the TLS engine produced (handshake, records, alerts) to the socket. */
static void flush_tls(net_conn *c) {
    char buf[16384];
    size_t n;
    while (c->tls && ocip_tls_pending(c->tls) && (n = ocip_tls_take(c->tls, buf, sizeof buf)) > 0) {
        int rc = send_bytes(c, buf, n);
        if (rc < 0) {
            if (!c->write_err[0]) snprintf(c->write_err, sizeof c->write_err, "write failed: %s", uv_strerror(rc));
            return;
        }
    }
}

/* ---- reading ------------------------------------------------------------- */

static size_t buffered(const net_conn *c) { return c->raw ? c->in.len : ocip_framer_buffered(c->fr); }

/* Something for a reader: an item, an error, EOF or a local close. */
static int readable(net_conn *c) {
    if (c->state == C_CLOSED || c->err_kind[0] || c->eof) return 1;
    return c->raw ? c->in.len > 0 : ocip_framer_ready(c->fr) != OCIP_FRAME_MORE;
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf) {
    (void)hint;
    net_conn *c = h->data;
    *buf = uv_buf_init(c->rbuf, sizeof c->rbuf);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);

/* Reads while somebody may want the bytes: a reader waits, or little is buffered. */
static void update_reading(net_conn *c) {
    int want = c->tcp && !uv_is_closing((uv_handle_t *)c->tcp) && !c->eof && !c->err_kind[0] &&
               (c->state == C_HANDSHAKE || c->state == C_OPEN) &&
               (c->state == C_HANDSHAKE || c->reader || buffered(c) < NET_HIGH_WATER) &&
               (c->raw || ocip_framer_ready(c->fr) >= 0);
    if (want && !c->reading) {
        int rc = uv_read_start((uv_stream_t *)c->tcp, on_alloc, on_read);
        if (rc < 0) set_error(c, "closed", "cannot read: %s", uv_strerror(rc));
        else c->reading = 1;
    } else if (!want && c->reading) {
        if (c->tcp && !uv_is_closing((uv_handle_t *)c->tcp)) uv_read_stop((uv_stream_t *)c->tcp);
        c->reading = 0;
    }
}

/* Pushes the next item, or nil + error; returns the count, or -1 when nothing is there yet. */
static int try_read(lua_State *L, net_conn *c) {
    luaL_checkstack(L, 4, NULL);
    if (c->state == C_CLOSED) return ocip_fail(L, "closed", "connection closed");
    if (c->raw) {
        if (c->in.len) {
            lua_pushlstring(L, c->in.p, c->in.len);
            c->in.len = 0;
            update_reading(c);
            return 1;
        }
    } else {
        const char *doc;
        size_t len;
        int st = ocip_framer_next(c->fr, &doc, &len);
        if (st == OCIP_FRAME_DOC) {
            lua_pushlstring(L, doc, len);
            update_reading(c);
            return 1;
        }
        if (st == OCIP_FRAME_LIMIT) return ocip_fail(L, "limit", "%s (max_document)", ocip_framer_error(c->fr));
        if (st == OCIP_FRAME_NOMEM) return ocip_fail(L, "limit", "out of memory buffering a document");
        if (st < 0) return ocip_fail(L, "protocol", "%s", ocip_framer_error(c->fr));
    }
    if (c->err_kind[0]) return ocip_fail(L, c->err_kind, "%s", c->err_msg);
    if (c->eof) {
        if (!c->raw && ocip_framer_partial(c->fr))
            return ocip_fail(L, "closed", "connection closed by peer in the middle of a document");
        return ocip_fail(L, "closed", "connection closed by peer");
    }
    return -1;
}

static int push_read(lua_State *co, void *data) {
    net_conn *c = data;
    c->read_busy = 0;
    int n = 0;
    if (co) {
        n = try_read(co, c);
        if (n < 0) n = ocip_fail(co, "closed", "connection closed");
    }
    net_conn_unref(c);
    return n;
}

/* A reader that stopped waiting (cancelled) before being woken: nothing consumed. */
static int push_unref(lua_State *co, void *data) {
    (void)co;
    net_conn_unref(data);
    return 0;
}

static void wake_reader(net_conn *c) {
    if (c->reader && readable(c)) {
        ocip_waiter *w = c->reader;
        c->reader = NULL;
        ocip_wake(w, push_read, c);
        net_update_ref(c);
    }
}

static int append_in(net_conn *c, const char *p, size_t n) {
    if (c->in.len + n > c->in.cap) {
        size_t cap = c->in.cap ? c->in.cap : 16384;
        while (cap < c->in.len + n) cap *= 2;
        char *np = realloc(c->in.p, cap);
        if (!np) return -1;
        c->in.p = np;
        c->in.cap = cap;
    }
    memcpy(c->in.p + c->in.len, p, n);
    c->in.len += n;
    return 0;
}

static void deliver(net_conn *c, const char *p, size_t n) {
    if (c->raw) {
        if (append_in(c, p, n) < 0) set_error(c, "limit", "out of memory buffering input");
    } else {
        ocip_framer_feed(c->fr, p, n); /* failures are sticky and reported by try_read */
    }
}

static void handshake_done(net_conn *c);
static void handshake_failed(net_conn *c, const char *kind, const char *fmt, ...);

/* Ciphertext arrived: advance the handshake, decrypt what can be decrypted. */
static void tls_pump(net_conn *c, const char *p, size_t n) {
    if (ocip_tls_feed(c->tls, p, n) != OCIP_TLS_OK) {
        set_error(c, "tls", "%s", ocip_tls_error(c->tls));
        return;
    }
    if (!ocip_tls_established(c->tls)) {
        int r = ocip_tls_handshake(c->tls);
        flush_tls(c); /* also carries our alert when we reject the peer */
        if (r == OCIP_TLS_ERROR) { handshake_failed(c, "tls", "%s", ocip_tls_error(c->tls)); return; }
        if (r == OCIP_TLS_WANT) return;
        handshake_done(c);
        if (c->state != C_OPEN) return;
    }
    char buf[16384];
    for (;;) {
        ssize_t got = ocip_tls_read(c->tls, buf, sizeof buf);
        if (got > 0) { deliver(c, buf, (size_t)got); continue; }
        if (got == OCIP_TLS_EOF) c->eof = 1;
        else if (got == OCIP_TLS_ERROR) set_error(c, "tls", "%s", ocip_tls_error(c->tls));
        break;
    }
    flush_tls(c);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
    net_conn *c = s->data;
    if (nread == 0) return;
    c->refs++; /* callbacks below may close */
    if (nread < 0) {
        if (c->state == C_HANDSHAKE)
            handshake_failed(c, "tls", "connection closed by peer during the TLS handshake%s%s",
                             nread == UV_EOF ? "" : ": ", nread == UV_EOF ? "" : uv_strerror((int)nread));
        else if (nread == UV_EOF) c->eof = 1;
        else set_error(c, "closed", "connection lost: %s", uv_strerror((int)nread));
    } else if (c->tls) {
        tls_pump(c, buf->base, (size_t)nread);
    } else {
        deliver(c, buf->base, (size_t)nread);
    }
    if (c->state == C_OPEN) {
        wake_reader(c);
        update_reading(c);
    } else if (c->state == C_CLOSED && c->reading) {
        c->reading = 0;
    }
    net_conn_unref(c);
}

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
static void connect_done(net_conn *c, const char *kind, const char *fmt, ...) {
    if (!c->connect_w) return;
    if (kind && !c->err_kind[0]) {
        snprintf(c->err_kind, sizeof c->err_kind, "%s", kind);
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err_msg, sizeof c->err_msg, fmt, ap);
        va_end(ap);
    }
    close_timer(c);
    if (kind) {
        c->state = C_CLOSED;
        close_tcp(c);
        if (c->gai) uv_cancel((uv_req_t *)c->gai);
    }
    ocip_waiter *w = c->connect_w;
    c->connect_w = NULL;
    net_update_ref(c);
    ocip_wake(w, push_connect, c);
}

static void handshake_done(net_conn *c) {
    c->state = C_OPEN;
    if (c->srv) {
        close_timer(c);
        net_server_conn_ready(c);
    } else {
        connect_done(c, NULL, NULL);
    }
}

static void handshake_failed(net_conn *c, const char *kind, const char *fmt, ...) {
    char msg[700];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (c->srv) net_server_conn_failed(c);
    else connect_done(c, kind, "%s", msg);
}

static void on_deadline(uv_timer_t *t) {
    net_conn *c = t->data;
    if (c->connect_w)
        connect_done(c, "timeout", "connect to %s:%d timed out after %gs", c->host, c->port, c->timeout);
    else if (c->srv && c->state == C_HANDSHAKE)
        handshake_failed(c, "timeout", "TLS handshake timed out");
    else if (c->state == C_CLOSED)
        close_tcp(c); /* queued writes did not drain in time */
    close_timer(c);
}

void net_conn_set_deadline(net_conn *c, double seconds) {
    start_timer(c, seconds, on_deadline, 0);
}

void net_set_peer(net_conn *c) {
    struct sockaddr_storage ss;
    int len = sizeof ss;
    char ip[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (c->tcp && uv_tcp_getpeername(c->tcp, (struct sockaddr *)&ss, &len) == 0) {
        if (ss.ss_family == AF_INET6) {
            const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&ss;
            uv_ip6_name(a, ip, sizeof ip);
            port = ntohs(a->sin6_port);
            snprintf(c->peer, sizeof c->peer, "[%s]:%d", ip, port);
            return;
        }
        const struct sockaddr_in *a = (const struct sockaddr_in *)&ss;
        uv_ip4_name(a, ip, sizeof ip);
        port = ntohs(a->sin_port);
    }
    snprintf(c->peer, sizeof c->peer, "%s:%d", ip, port);
}

void net_conn_start(net_conn *c) {
    uv_tcp_nodelay(c->tcp, 1);
    net_set_peer(c);
    if (c->tls) {
        c->state = C_HANDSHAKE;
        int r = ocip_tls_handshake(c->tls); /* client: ClientHello; server: nothing yet */
        flush_tls(c);
        if (r == OCIP_TLS_ERROR) { handshake_failed(c, "tls", "%s", ocip_tls_error(c->tls)); return; }
    } else {
        c->state = C_OPEN;
    }
    update_reading(c);
    net_update_ref(c);
    if (c->state == C_OPEN) handshake_done(c);
}

static void try_next_address(net_conn *c);

static void on_connected(uv_connect_t *req, int status) {
    net_conn *c = req->data;
    if (c->state == C_CLOSED || status == UV_ECANCELED) { net_conn_unref(c); return; }
    if (status < 0) {
        c->last_status = status;
        close_tcp(c);
        try_next_address(c);
        net_conn_unref(c);
        return;
    }
    if (c->ai) { uv_freeaddrinfo(c->ai); c->ai = c->ai_next = NULL; }
    if (c->ctx) {
        char err[512];
        c->tls = ocip_tls_new(c->ctx, c->server_name, err, sizeof err);
        if (!c->tls) { connect_done(c, "tls", "%s", err); net_conn_unref(c); return; }
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
        close_tcp(c);
    }
    connect_done(c, "connect", "cannot connect to %s:%d: %s", c->host, c->port,
                 c->last_status ? uv_strerror(c->last_status) : "no address");
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res) {
    net_conn *c = req->data;
    free(req);
    c->gai = NULL;
    if (c->state == C_CLOSED) {
        if (res) uv_freeaddrinfo(res);
    } else if (status < 0) {
        connect_done(c, "connect", "cannot resolve host '%s': %s", c->host, uv_strerror(status));
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
    set_error(c, "closed", "connect cancelled");
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
    if (timeout > 0) start_timer(c, timeout, on_deadline, 1);

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
        connect_done(c, "connect", "out of memory");
    } else {
        c->gai->data = c;
        int rc = uv_getaddrinfo(c->uv, c->gai, on_resolved, host, service, &hints);
        if (rc < 0) {
            free(c->gai);
            c->gai = NULL;
            connect_done(c, "connect", "cannot resolve host '%s': %s", host, uv_strerror(rc));
        } else {
            c->refs++;
        }
    }
    return lua_yield(L, 0);
}

/* ---- conn methods -------------------------------------------------------- */

void net_conn_push_ud(lua_State *L, net_conn *c) {
    conn_ud *u = lua_newuserdatauv(L, sizeof *u, 0);
    u->c = c;
    luaL_setmetatable(L, OCIP_CONN_MT);
    update_reading(c);
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
    ocip_wake(w, push_unref, c); /* nothing consumed: buffered data waits for the next read */
}

static int l_read(lua_State *L) {
    net_conn *c = check_conn(L);
    if (c->reader || c->read_busy) return ocip_fail(L, "usage", "another task is already reading this connection");
    int n = try_read(L, c);
    if (n >= 0) return n;
    c->reader = ocip_await(L, "conn:read", read_cancel, c);
    c->read_busy = 1;
    c->refs++;
    update_reading(c);
    net_update_ref(c);
    return lua_yield(L, 0);
}

int net_push_flush(lua_State *co, void *data) {
    net_conn *c = data;
    int n = 0;
    if (co) {
        if (c->write_err[0]) n = ocip_fail(co, "closed", "%s", c->write_err);
        else if (c->queued == 0) { lua_pushboolean(co, 1); n = 1; }
        else n = ocip_fail(co, "closed", "connection closed before the data was sent");
    }
    net_conn_unref(c);
    return n;
}

static int l_write(lua_State *L) {
    net_conn *c = check_conn(L);
    size_t len;
    const char *p = luaL_checklstring(L, 2, &len);
    if (c->state != C_OPEN) return ocip_fail(L, "closed", "connection closed");
    if (c->write_err[0]) return ocip_fail(L, "closed", "%s", c->write_err);
    if (len == 0) { lua_pushboolean(L, 1); return 1; }
    if (c->queued + len > c->max_queue)
        return ocip_fail(L, "limit", "write queue full: %zu bytes waiting for the peer (max_queue %zu)",
                         c->queued, c->max_queue);
    int rc;
    if (c->tls) {
        if (ocip_tls_write(c->tls, p, len) != OCIP_TLS_OK) return ocip_fail(L, "tls", "%s", ocip_tls_error(c->tls));
        flush_tls(c);
        rc = 0;
    } else {
        rc = send_bytes(c, p, len);
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
    ocip_wake(w, push_unref, c);
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

void net_conn_close(net_conn *c) {
    int first = c->state != C_CLOSED;
    c->state = C_CLOSED;
    if (first && c->reader) { /* woken with "closed" */
        ocip_waiter *w = c->reader;
        c->reader = NULL;
        ocip_wake(w, push_read, c);
    }
    if (first && c->flusher) {
        ocip_waiter *w = c->flusher;
        c->flusher = NULL;
        ocip_wake(w, net_push_flush, c);
    }
    if (c->reading && c->tcp && !uv_is_closing((uv_handle_t *)c->tcp)) uv_read_stop((uv_stream_t *)c->tcp);
    c->reading = 0;
    if (c->gai) uv_cancel((uv_req_t *)c->gai);
    if (first && c->tls && ocip_tls_established(c->tls) && c->tcp && !c->write_err[0]) {
        ocip_tls_shutdown(c->tls);
        flush_tls(c);
    }
    if (c->tcp && c->queued > 0) { /* let queued writes drain, within a grace period */
        if (first) start_timer(c, CLOSE_GRACE_MS / 1000.0, on_deadline, 0);
        net_update_ref(c);
    } else {
        close_timer(c);
        close_tcp(c);
    }
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
    else lua_pushfstring(L, "ocip.conn %s%s%s", u->c->peer, u->c->tls ? " tls" : "",
                         u->c->state == C_CLOSED ? " (closed)" : "");
    return 1;
}

static const luaL_Reg conn_methods[] = {
    {"read", l_read}, {"write", l_write}, {"flush", l_flush}, {"close", l_close},
    {"peer", l_peer}, {NULL, NULL},
};

void ocip_open_net(lua_State *L) {
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
    lua_pushcfunction(L, l_tcp_connect);
    lua_setfield(L, -2, "tcp_connect");
    ocip_open_net_server(L);
}
