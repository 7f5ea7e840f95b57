/* One connection's bytes: the socket, the TLS engine (if any) and the framer
 * ("document" mode) or a plain buffer ("raw" mode); reading, writing, the TLS
 * handshake, deadlines and closing. Shared by the client (net.c) and the server
 * (net_server.c); the Lua methods are in net_conn.c. */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lauxlib.h>
#include "bindings/core.h"
#include "bindings/net.h"

#define CLOSE_GRACE_MS 2000     /* a close waits this long for queued writes */

typedef struct {
    uv_write_t req;
    net_conn *c;
    size_t len;
    char data[];
} write_req;

static int push_flush(lua_State *co, void *data);
static void handshake_done(net_conn *c);
static void handshake_failed(net_conn *c, const char *kind, const char *fmt, ...);

/* ---- lifetime ------------------------------------------------------------ */

net_conn *net_conn_new(uv_loop_t *uv, int raw, size_t max_document, size_t max_queue) {
    net_conn *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->uv = uv;
    c->refs = 1;
    c->raw = raw;
    c->max_queue = max_queue ? max_queue : NET_DEFAULT_MAX_QUEUE;
    c->max_document = max_document;
    if (!raw && !(c->fr = ocip_framer_new(max_document))) {
        free(c);
        return NULL;
    }
    return c;
}

/* Frees what only an open connection needs; called at close and at the last unref. */
static void release_buffers(net_conn *c) {
    ocip_framer_free(c->fr);
    c->fr = NULL;
    free(c->in.p);
    memset(&c->in, 0, sizeof c->in);
    if (c->tls) c->was_tls = 1;
    ocip_tls_free(c->tls);
    c->tls = NULL;
    ocip_tls_ctx_free(c->ctx);
    c->ctx = NULL;
    free(c->rbuf);
    c->rbuf = NULL;
}

void net_conn_unref(net_conn *c) {
    if (--c->refs > 0) return;
    ocip_loop_closer_remove(c->uv, &c->closer);
    if (c->ai) uv_freeaddrinfo(c->ai);
    release_buffers(c);
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

void net_close_tcp(net_conn *c) {
    close_handle((uv_handle_t *)c->tcp);
    c->tcp = NULL;
    ocip_loop_closer_remove(c->uv, &c->closer); /* nothing left to drain */
}

/* lua_close while a close still drains: stop waiting, close with the real callbacks
 * (they free the handles, the pending writes and, with the last reference, the conn). */
static void teardown_draining(ocip_closer *cl) {
    net_conn *c = (net_conn *)(void *)((char *)cl - offsetof(net_conn, closer));
    net_close_timer(c);
    net_close_tcp(c);
}

void net_close_timer(net_conn *c) {
    close_handle((uv_handle_t *)c->timer);
    c->timer = NULL;
}

static void wake_reader(net_conn *c);

static void on_read_deadline(uv_timer_t *t) {
    net_conn *c = t->data;
    if (!c->reader) return;
    c->read_timed_out = 1;
    wake_reader(c);
}

void net_read_deadline(net_conn *c, double seconds) {
    if (!(seconds >= 0 && seconds < 1e9)) { /* stop, or no deadline (inf, NaN, huge) */
        if (c->rtimer) uv_timer_stop(c->rtimer);
        return;
    }
    if (!c->rtimer) {
        if (c->state == C_CLOSED) return;
        uv_timer_t *t = malloc(sizeof *t);
        if (!t) return; /* no deadline rather than a crash; the session's guard is not it */
        uv_timer_init(c->uv, t);
        uv_unref((uv_handle_t *)t); /* the waiting reader keeps the loop alive, not this */
        t->data = c;
        c->refs++; /* released by its close callback */
        c->rtimer = t;
    }
    uv_timer_start(c->rtimer, on_read_deadline, (uint64_t)(seconds * 1000.0 + 0.5), 0);
}

/* A one-shot timer (replacing any previous one); ref'd only when it guards a wait. */
static void start_timer(net_conn *c, double seconds, uv_timer_cb cb, int keep_alive) {
    net_close_timer(c);
    /* beyond 1e9 s (and inf, NaN): no deadline; converting such a double would be UB */
    if (!(seconds < 1e9)) return;
    if (!(seconds > 0)) seconds = 0;
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

void net_set_error(net_conn *c, const char *kind, const char *fmt, ...) {
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
        net_close_timer(c);
        net_close_tcp(c);
    }
    if (c->flusher && (c->queued == 0 || c->write_err[0])) {
        ocip_waiter *fw = c->flusher;
        c->flusher = NULL;
        ocip_wake(fw, push_flush, c);
        net_update_ref(c);
    }
    net_conn_unref(c);
}

/* Sends bytes in order: straight to the kernel when nothing is queued, the rest
 * copied and queued. Returns 0 or a libuv error. */
int net_send_bytes(net_conn *c, const char *p, size_t len) {
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
void net_flush_tls(net_conn *c) {
    char buf[16384];
    size_t n;
    while (c->tls && ocip_tls_pending(c->tls) && (n = ocip_tls_take(c->tls, buf, sizeof buf)) > 0) {
        int rc = net_send_bytes(c, buf, n);
        if (rc < 0) {
            if (!c->write_err[0]) snprintf(c->write_err, sizeof c->write_err, "write failed: %s", uv_strerror(rc));
            return;
        }
    }
}

/* ---- reading ------------------------------------------------------------- */

static size_t buffered(const net_conn *c) {
    return c->raw ? c->in.len : c->fr ? ocip_framer_buffered(c->fr) : 0;
}

/* Something for a reader: an item, an error, EOF or a local close; for a streaming
 * reader (conn:read(dec)) also a piece of the document worth decoding now. */
static int readable(net_conn *c) {
    if (c->state == C_CLOSED || c->err_kind[0] || c->eof || c->read_timed_out) return 1;
    if (c->raw) return c->in.len > 0;
    if (c->streaming) {
        const char *p;
        size_t n;
        int st = ocip_framer_peek(c->fr, &p, &n);
        return st != OCIP_FRAME_MORE || n >= NET_PIECE_MIN;
    }
    return ocip_framer_ready(c->fr) != OCIP_FRAME_MORE;
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf) {
    (void)hint;
    net_conn *c = h->data;
    if (!c->rbuf && c->state != C_CLOSED) c->rbuf = malloc(NET_READ_CHUNK);
    /* no buffer: libuv reports UV_ENOBUFS to on_read, which fails the connection */
    *buf = c->rbuf ? uv_buf_init(c->rbuf, NET_READ_CHUNK) : uv_buf_init(NULL, 0);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);

/* Reads while somebody may want the bytes: a reader waits, or little is buffered. */
void net_update_reading(net_conn *c) {
    int want = c->tcp && !uv_is_closing((uv_handle_t *)c->tcp) && !c->eof && !c->err_kind[0] &&
               (c->state == C_HANDSHAKE || c->state == C_OPEN) &&
               (c->state == C_HANDSHAKE || c->reader || buffered(c) < NET_HIGH_WATER) &&
               (c->raw || ocip_framer_ready(c->fr) >= 0);
    if (want && !c->reading) {
        int rc = uv_read_start((uv_stream_t *)c->tcp, on_alloc, on_read);
        if (rc < 0) net_set_error(c, "closed", "cannot read: %s", uv_strerror(rc));
        else c->reading = 1;
    } else if (!want && c->reading) {
        if (c->tcp && !uv_is_closing((uv_handle_t *)c->tcp)) uv_read_stop((uv_stream_t *)c->tcp);
        c->reading = 0;
    }
}

/* Pushes the next item, or nil + error; returns the count, or -1 when nothing is there yet. */
int net_try_read(lua_State *L, net_conn *c) {
    luaL_checkstack(L, 4, NULL);
    if (c->state == C_CLOSED) return ocip_fail(L, "closed", "connection closed");
    if (c->raw) {
        if (c->in.len) {
            lua_pushlstring(L, c->in.p, c->in.len);
            c->in.len = 0;
            net_update_reading(c);
            return 1;
        }
    } else {
        const char *doc;
        size_t len;
        int st = ocip_framer_next(c->fr, &doc, &len);
        if (st == OCIP_FRAME_DOC) {
            lua_pushlstring(L, doc, len);
            ocip_framer_release(c->fr); /* a big document's buffer is not kept while Lua decodes it */
            net_update_reading(c);
            return 1;
        }
        if (st == OCIP_FRAME_LIMIT) return ocip_fail(L, "limit", "%s", ocip_framer_error(c->fr));
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

int net_push_wake(lua_State *co, void *data) {
    (void)co;
    net_conn *c = data;
    c->read_busy = 0;
    net_conn_unref(c);
    return 0; /* the reader's continuation looks at the connection itself */
}

static int push_read(lua_State *co, void *data) {
    net_conn *c = data;
    if (c->streaming) return net_push_wake(co, data);
    c->read_busy = 0;
    int n = 0;
    if (co) {
        n = net_try_read(co, c);
        if (n < 0) n = ocip_fail(co, "closed", "connection closed");
    }
    net_conn_unref(c);
    return n;
}

/* A reader that stopped waiting (cancelled) before being woken: nothing consumed. */
int net_push_unref(lua_State *co, void *data) {
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
    if (c->state == C_CLOSED) return; /* its buffers are gone; nobody reads any more */
    if (c->raw) {
        if (append_in(c, p, n) < 0) net_set_error(c, "limit", "out of memory buffering input");
    } else {
        ocip_framer_feed(c->fr, p, n); /* failures are sticky and reported by net_try_read */
    }
}

/* Ciphertext arrived: advance the handshake, decrypt what can be decrypted. */
static void tls_pump(net_conn *c, const char *p, size_t n) {
    if (ocip_tls_feed(c->tls, p, n) != OCIP_TLS_OK) {
        net_set_error(c, "tls", "%s", ocip_tls_error(c->tls));
        return;
    }
    if (!ocip_tls_established(c->tls)) {
        int r = ocip_tls_handshake(c->tls);
        net_flush_tls(c); /* also carries our alert when we reject the peer */
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
        else if (got == OCIP_TLS_ERROR) net_set_error(c, "tls", "%s", ocip_tls_error(c->tls));
        break;
    }
    net_flush_tls(c);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
    net_conn *c = s->data;
    if (nread == 0) return;
    c->refs++; /* callbacks below may close */
    if (nread < 0) {
        if (c->state == C_HANDSHAKE)
            /* the usual cause: TLS pointed at a plain-TCP port, so say how to fix it */
            handshake_failed(c, "tls", "connection closed by peer during the TLS handshake%s%s"
                             " (is the server plain TCP? use tls = false / OCIP_TLS=false)",
                             nread == UV_EOF ? "" : ": ", nread == UV_EOF ? "" : uv_strerror((int)nread));
        else if (nread == UV_EOF) c->eof = 1;
        else net_set_error(c, "closed", "connection lost: %s", uv_strerror((int)nread));
    } else {
        c->last_in = uv_hrtime();
        if (c->tls) tls_pump(c, buf->base, (size_t)nread);
        else deliver(c, buf->base, (size_t)nread);
    }
    if (c->state == C_OPEN) {
        wake_reader(c);
        net_update_reading(c);
    } else if (c->state == C_CLOSED && c->reading) {
        c->reading = 0;
    }
    net_conn_unref(c);
}

/* ---- handshake, deadlines, start ------------------------------------------ */

static void handshake_done(net_conn *c) {
    c->state = C_OPEN;
    if (c->srv) {
        net_close_timer(c);
        net_server_conn_ready(c);
    } else {
        net_connect_done(c, NULL, NULL);
    }
}

static void handshake_failed(net_conn *c, const char *kind, const char *fmt, ...) {
    char msg[700];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (c->srv) net_server_conn_failed(c);
    else net_connect_done(c, kind, "%s", msg);
}

static void on_deadline(uv_timer_t *t) {
    net_conn *c = t->data;
    if (c->connect_w)
        net_connect_done(c, "timeout", "connect to %s:%d timed out after %gs", c->host, c->port, c->timeout);
    else if (c->srv && c->state == C_HANDSHAKE)
        handshake_failed(c, "timeout", "TLS handshake timed out");
    else if (c->state == C_CLOSED)
        net_close_tcp(c); /* queued writes did not drain in time */
    /* the handlers above may have replaced the timer (a close starts its grace
     * timer): only this one is done */
    if (c->timer == t) net_close_timer(c);
}

void net_conn_set_deadline(net_conn *c, double seconds) {
    start_timer(c, seconds, on_deadline, 0);
}

void net_conn_set_connect_deadline(net_conn *c, double seconds) {
    start_timer(c, seconds, on_deadline, 1);
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
        net_flush_tls(c);
        if (r == OCIP_TLS_ERROR) { handshake_failed(c, "tls", "%s", ocip_tls_error(c->tls)); return; }
    } else {
        c->state = C_OPEN;
    }
    net_update_reading(c);
    net_update_ref(c);
    if (c->state == C_OPEN) handshake_done(c);
}

/* ---- flush wake-up, closing ---------------------------------------------- */

static int push_flush(lua_State *co, void *data) {
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
        ocip_wake(w, push_flush, c);
    }
    if (c->reading && c->tcp && !uv_is_closing((uv_handle_t *)c->tcp)) uv_read_stop((uv_stream_t *)c->tcp);
    c->reading = 0;
    close_handle((uv_handle_t *)c->rtimer);
    c->rtimer = NULL;
    if (c->gai) uv_cancel((uv_req_t *)c->gai);
    if (first && c->tls && ocip_tls_established(c->tls) && c->tcp && !c->write_err[0]) {
        ocip_tls_shutdown(c->tls);
        net_flush_tls(c);
    }
    release_buffers(c); /* close_notify (if any) is queued with the writes already */
    if (c->tcp && c->queued > 0) { /* let queued writes drain, within a grace period */
        if (first) start_timer(c, CLOSE_GRACE_MS / 1000.0, on_deadline, 0);
        c->closer.fn = teardown_draining;
        ocip_loop_closer_add(c->uv, &c->closer);
        net_update_ref(c);
    } else {
        net_close_timer(c);
        net_close_tcp(c);
    }
}

