/* core.http_request: an HTTP(S) client for the SOAP transport, on libcurl's
 * multi interface driven by the scheduler's libuv loop (no threads of ours, no
 * blocking calls). One CURLM per scheduler keeps connections alive between
 * requests; each request is one easy handle, and only its task waits.
 *
 * Lifetimes: the multi state and every uv handle are malloc'd and freed only
 * from uv close callbacks. A request is freed by its push function (which the
 * scheduler calls exactly once, with co == NULL when the task was cancelled).
 *
 * libcurl is loaded on the first request (dlopen), not linked: it drags ~30
 * shared libraries whose loading doubled the start-up time of every `ocip`
 * run, most of which never speak SOAP. Only its headers are used at build time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ctype.h>
#include <strings.h>
#include <stddef.h>
#include <dlfcn.h>
#include <pthread.h>
#include <curl/curl.h>
#include "bindings/core.h"
#include "bindings/loop.h"

/* ---------- libcurl, resolved at run time ---------- */

#ifndef LIBCURL_SONAME /* overridable to test the not-installed path */
#define LIBCURL_SONAME "libcurl.so.4"
#endif

/* The libcurl entry points we use. Filled once per process (pthread_once) and
 * read-only afterwards; libcurl's own state is process-wide anyway. The library
 * is never unloaded. Every call below goes through `lc`, and only after
 * curl_load() succeeded: no request, multi or slist exists before that. */
typedef struct {
    CURLcode (*global_init)(long);
    void (*global_cleanup)(void);
    CURLM *(*multi_init)(void);
    CURLMcode (*multi_cleanup)(CURLM *);
    CURLMcode (*multi_setopt)(CURLM *, CURLMoption, ...);
    CURLMcode (*multi_add_handle)(CURLM *, CURL *);
    CURLMcode (*multi_remove_handle)(CURLM *, CURL *);
    CURLMcode (*multi_socket_action)(CURLM *, curl_socket_t, int, int *);
    CURLMsg *(*multi_info_read)(CURLM *, int *);
    CURLMcode (*multi_assign)(CURLM *, curl_socket_t, void *);
    CURL *(*easy_init)(void);
    void (*easy_cleanup)(CURL *);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
    const char *(*easy_strerror)(CURLcode);
    struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
    void (*slist_free_all)(struct curl_slist *);
} curl_api;

static curl_api lc;
static pthread_once_t lc_once = PTHREAD_ONCE_INIT;
static char lc_error[256]; /* why loading failed; empty on success */

_Static_assert(sizeof(void *) == sizeof(void (*)(void)), "dlsym returns function pointers as void *");

static void curl_load_once(void) {
    static const struct { const char *name; size_t off; } syms[] = {
#define SYM(f) { "curl_" #f, offsetof(curl_api, f) }
        SYM(global_init), SYM(global_cleanup), SYM(multi_init), SYM(multi_cleanup),
        SYM(multi_setopt), SYM(multi_add_handle), SYM(multi_remove_handle),
        SYM(multi_socket_action), SYM(multi_info_read), SYM(multi_assign), SYM(easy_init),
        SYM(easy_cleanup), SYM(easy_setopt), SYM(easy_getinfo), SYM(easy_strerror),
        SYM(slist_append), SYM(slist_free_all),
#undef SYM
    };
    curl_api api;
    void *h = dlopen(LIBCURL_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *e = dlerror();
        snprintf(lc_error, sizeof lc_error, "%s", e ? e : "dlopen failed");
        return;
    }
    for (size_t i = 0; i < sizeof syms / sizeof syms[0]; i++) {
        void *p = dlsym(h, syms[i].name);
        if (!p) {
            snprintf(lc_error, sizeof lc_error, "%s: missing %s", LIBCURL_SONAME, syms[i].name);
            dlclose(h);
            return;
        }
        memcpy((char *)&api + syms[i].off, &p, sizeof p); /* POSIX: object and function pointers agree */
    }
    lc = api;
}

/* NULL when libcurl is usable, else the reason it is not. */
static const char *curl_load(void) {
    if (pthread_once(&lc_once, curl_load_once) != 0) return "pthread_once failed";
    return lc_error[0] ? lc_error : NULL;
}

#define HTTP_KEY "ocip.http.multi"       /* registry slot of the scheduler's multi */
#define MULTI_MT "ocip.http.multi_mt"
#define PENDING_MT "ocip.http.pending"
#define DEFAULT_TIMEOUT 30.0
#define DEFAULT_MAX_SIZE ((size_t)64 << 20)

typedef struct http_multi http_multi;
typedef struct http_req http_req;

typedef struct poll_ctx {
    uv_poll_t poll;
    curl_socket_t fd;
    http_multi *m;
    struct poll_ctx *prev, *next;
} poll_ctx;

struct http_multi {
    CURLM *multi;
    uv_loop_t *uv;
    uv_timer_t timer;
    poll_ctx *polls;     /* sockets curl asked us to watch */
    http_req *reqs;      /* requests in flight (easy handle added) */
    int active;          /* number of reqs: uv handles keep the loop alive only then */
    int handles;         /* uv handles not yet closed (timer + polls) */
    int closing;         /* the Lua state dropped us: free once handles == 0 */
    int warned_insecure; /* print the insecure warning once per scheduler */
};

typedef struct {
    char *data;
    size_t len, cap;
} buf;

enum { REQ_RUNNING, REQ_DONE, REQ_CANCELLED, REQ_DETACHED };

struct http_req {
    http_multi *m;
    http_req *prev, *next;
    CURL *easy;
    struct curl_slist *hdrs;
    ocip_waiter *w;
    buf body, head;      /* response body; header lines joined by '\n' */
    size_t max_size;
    int over_limit;
    int state;
    CURLcode result;
    long status;
    int sent;            /* whether the request may have reached the server */
    char errbuf[CURL_ERROR_SIZE];
};

/* ---------- small helpers ---------- */

static int buf_append(buf *b, const char *p, size_t n) {
    if (n > SIZE_MAX - b->len - 1) return -1;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->len + n + 1) {
            if (cap > SIZE_MAX / 2) { cap = b->len + n + 1; break; }
            cap *= 2;
        }
        char *d = realloc(b->data, cap);
        if (!d) return -1;
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

static void req_free(http_req *r) {
    if (r->easy) lc.easy_cleanup(r->easy);
    lc.slist_free_all(r->hdrs);
    free(r->body.data);
    free(r->head.data);
    free(r);
}

static void update_refs(http_multi *m) {
    /* Idle cached connections must not keep the loop (and the program) alive. */
    void (*fn)(uv_handle_t *) = m->active > 0 ? uv_ref : uv_unref;
    fn((uv_handle_t *)&m->timer);
    for (poll_ctx *p = m->polls; p; p = p->next) fn((uv_handle_t *)&p->poll);
}

static void link_req(http_multi *m, http_req *r) {
    r->prev = NULL;
    r->next = m->reqs;
    if (m->reqs) m->reqs->prev = r;
    m->reqs = r;
    if (m->active++ == 0) update_refs(m);
}

static void unlink_req(http_multi *m, http_req *r) {
    if (r->prev) r->prev->next = r->next; else m->reqs = r->next;
    if (r->next) r->next->prev = r->prev;
    r->prev = r->next = NULL;
    if (--m->active == 0) update_refs(m);
}

static void multi_free_if_done(http_multi *m) {
    if (m->closing && m->handles == 0) free(m);
}

static void on_handle_closed(uv_handle_t *h) {
    http_multi *m = h->data;
    if ((void *)h != (void *)&m->timer) free(h); /* a poll_ctx (poll is its first member) */
    m->handles--;
    multi_free_if_done(m);
}

static void poll_close(http_multi *m, poll_ctx *p) {
    if (p->prev) p->prev->next = p->next; else m->polls = p->next;
    if (p->next) p->next->prev = p->prev;
    uv_close((uv_handle_t *)&p->poll, on_handle_closed);
}

/* ---------- completion ---------- */

static int classify_sent(CURLcode rc, CURL *easy) {
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST: case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT: case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL: case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION: case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM: case CURLE_SSL_CIPHER:
        return 0;
    default: {
        /* Pre-transfer time is set once the connection is ready to send. */
        curl_off_t t = 0;
        if (lc.easy_getinfo(easy, CURLINFO_PRETRANSFER_TIME_T, &t) != CURLE_OK) return 1;
        return t > 0;
    }
    }
}

static int push_result(lua_State *co, void *data);

/* The transfer ended (any outcome): detach it from curl and wake the task. */
static void complete(http_req *r, CURLcode rc) {
    http_multi *m = r->m;
    r->result = rc;
    lc.easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &r->status);
    r->sent = rc == CURLE_OK ? 1 : classify_sent(rc, r->easy);
    lc.multi_remove_handle(m->multi, r->easy);
    lc.easy_cleanup(r->easy); /* the connection stays in the multi's cache */
    r->easy = NULL;
    r->state = REQ_DONE;
    unlink_req(m, r);
    ocip_wake(r->w, push_result, r);
}

static void check_done(http_multi *m) {
    CURLMsg *msg;
    int left;
    while ((msg = lc.multi_info_read(m->multi, &left))) {
        if (msg->msg != CURLMSG_DONE) continue;
        http_req *r = NULL;
        CURLcode rc = msg->data.result;
        lc.easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
        if (r) complete(r, rc);
    }
}

/* Cancel callback: the task gave up (timeout, cancel). Stop the transfer now. */
static void on_cancel(void *data) {
    http_req *r = data;
    if (r->state != REQ_RUNNING) return;
    if (r->m) {
        lc.multi_remove_handle(r->m->multi, r->easy);
        unlink_req(r->m, r);
    }
    lc.easy_cleanup(r->easy);
    r->easy = NULL;
    r->state = REQ_CANCELLED;
    ocip_wake(r->w, push_result, r);
}

/* ---------- libuv <-> curl glue ---------- */

static void on_poll(uv_poll_t *h, int status, int events) {
    poll_ctx *p = (poll_ctx *)h;
    http_multi *m = p->m;
    int flags = 0, running;
    if (status < 0) flags = CURL_CSELECT_ERR;
    else {
        if (events & UV_READABLE) flags |= CURL_CSELECT_IN;
        if (events & UV_WRITABLE) flags |= CURL_CSELECT_OUT;
    }
    lc.multi_socket_action(m->multi, p->fd, flags, &running);
    check_done(m);
}

static void on_timer(uv_timer_t *t) {
    http_multi *m = t->data;
    int running;
    lc.multi_socket_action(m->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_done(m);
}

static int on_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp) {
    (void)easy;
    http_multi *m = userp;
    poll_ctx *p = socketp;
    if (what == CURL_POLL_REMOVE) {
        if (p) {
            poll_close(m, p);
            lc.multi_assign(m->multi, s, NULL);
        }
        return 0;
    }
    if (!p) {
        p = calloc(1, sizeof *p);
        if (!p) return -1;
        if (uv_poll_init_socket(m->uv, &p->poll, s) != 0) { free(p); return -1; }
        p->poll.data = m;
        p->fd = s;
        p->m = m;
        p->next = m->polls;
        if (m->polls) m->polls->prev = p;
        m->polls = p;
        m->handles++;
        if (m->active == 0) uv_unref((uv_handle_t *)&p->poll);
        lc.multi_assign(m->multi, s, p);
    }
    int ev = 0;
    if (what & CURL_POLL_IN) ev |= UV_READABLE;
    if (what & CURL_POLL_OUT) ev |= UV_WRITABLE;
    return uv_poll_start(&p->poll, ev, on_poll) == 0 ? 0 : -1;
}

static int on_timer_set(CURLM *multi, long ms, void *userp) {
    (void)multi;
    http_multi *m = userp;
    if (ms < 0) uv_timer_stop(&m->timer);
    else uv_timer_start(&m->timer, on_timer, (uint64_t)ms, 0); /* 0: next loop turn */
    return 0;
}

/* ---------- the per-scheduler multi handle ---------- */

static int l_multi_gc(lua_State *L) {
    http_multi **ud = luaL_checkudata(L, 1, MULTI_MT);
    http_multi *m = *ud;
    if (!m) return 0;
    *ud = NULL;
    /* Requests still in flight belong to tasks that can no longer run: stop the
     * transfers and complete their waits; the scheduler (still alive: it was
     * created before us, so it is finalized after us) discards them through
     * push_result(NULL, r), which frees each request. */
    while (m->reqs) {
        http_req *r = m->reqs;
        lc.multi_remove_handle(m->multi, r->easy);
        lc.easy_cleanup(r->easy);
        r->easy = NULL;
        r->state = REQ_DETACHED;
        unlink_req(m, r);
        r->m = NULL;
        ocip_wake(r->w, push_result, r);
    }
    /* Stop polling before curl closes its cached sockets: a uv_poll must not
     * outlive its descriptor. Unassigned first, so that cleanup's REMOVE
     * callbacks find no poll to close twice. */
    while (m->polls) {
        lc.multi_assign(m->multi, m->polls->fd, NULL);
        poll_close(m, m->polls);
    }
    lc.multi_cleanup(m->multi);
    lc.global_cleanup();
    m->multi = NULL;
    uv_timer_stop(&m->timer);
    uv_close((uv_handle_t *)&m->timer, on_handle_closed);
    m->closing = 1;
    multi_free_if_done(m);
    return 0;
}

static http_multi *get_multi(lua_State *L) {
    if (lua_getfield(L, LUA_REGISTRYINDEX, HTTP_KEY) == LUA_TUSERDATA) {
        http_multi *m = *(http_multi **)lua_touserdata(L, -1);
        lua_pop(L, 1);
        if (m) return m;
        luaL_error(L, "ocip: http used while the state is closing");
    }
    lua_pop(L, 1);
    /* Create the scheduler first: its finalizer then runs after ours, so the uv
     * loop still exists when we close our handles. */
    uv_loop_t *uv = ocip_loop_uv(ocip_loop_get(L));
    http_multi **ud = lua_newuserdatauv(L, sizeof *ud, 0);
    *ud = NULL;
    if (luaL_newmetatable(L, MULTI_MT)) {
        lua_pushcfunction(L, l_multi_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_setmetatable(L, -2);
    http_multi *m = calloc(1, sizeof *m);
    if (!m) luaL_error(L, "ocip: out of memory");
    if (lc.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        free(m);
        luaL_error(L, "ocip: libcurl initialisation failed");
    }
    m->multi = lc.multi_init();
    if (!m->multi || uv_timer_init(uv, &m->timer) != 0) {
        if (m->multi) lc.multi_cleanup(m->multi);
        lc.global_cleanup();
        free(m);
        luaL_error(L, "ocip: cannot create the HTTP client");
    }
    m->uv = uv;
    m->timer.data = m;
    m->handles = 1;
    uv_unref((uv_handle_t *)&m->timer);
    lc.multi_setopt(m->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    lc.multi_setopt(m->multi, CURLMOPT_SOCKETDATA, m);
    lc.multi_setopt(m->multi, CURLMOPT_TIMERFUNCTION, on_timer_set);
    lc.multi_setopt(m->multi, CURLMOPT_TIMERDATA, m);
    *ud = m;
    lua_setfield(L, LUA_REGISTRYINDEX, HTTP_KEY);
    return m;
}

/* ---------- curl callbacks for one transfer ---------- */

static size_t on_body(char *p, size_t size, size_t n, void *ud) {
    http_req *r = ud;
    size_t len = size * n;
    if (len > r->max_size - r->body.len) {
        r->over_limit = 1;
        return 0; /* aborts with CURLE_WRITE_ERROR */
    }
    if (buf_append(&r->body, p, len) != 0) return 0;
    return len;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud) {
    http_req *r = ud;
    size_t len = size * n;
    while (len > 0 && (p[len - 1] == '\n' || p[len - 1] == '\r')) len--;
    /* A new status line (after 1xx or a proxy CONNECT) starts a new header block. */
    if (len >= 5 && memcmp(p, "HTTP/", 5) == 0) r->head.len = 0;
    if (len == 0) return size * n;
    if (r->head.len + len > r->max_size) { r->over_limit = 1; return 0; }
    if (buf_append(&r->head, p, len) != 0 || buf_append(&r->head, "\n", 1) != 0) return 0;
    return size * n;
}

/* ---------- results ---------- */

static const char *error_kind(const http_req *r) {
    switch (r->result) {
    case CURLE_OPERATION_TIMEDOUT: return "timeout";
    case CURLE_COULDNT_RESOLVE_HOST: case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT: return "connect";
    case CURLE_FILESIZE_EXCEEDED: return "limit";
    case CURLE_WRITE_ERROR: return r->over_limit ? "limit" : "protocol";
    case CURLE_URL_MALFORMAT: case CURLE_UNSUPPORTED_PROTOCOL: return "usage";
    case CURLE_SSL_CONNECT_ERROR: case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM: case CURLE_SSL_CIPHER: case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR: case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH: case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_SHUTDOWN_FAILED: case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED: case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_USE_SSL_FAILED: return "tls";
    case CURLE_GOT_NOTHING: case CURLE_RECV_ERROR: case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE: return "closed";
    default: return "protocol";
    }
}

/* headers: lowercased name -> value; repeats joined with ", ", except
 * set-cookie, which is always an array (cookies cannot be joined). */
static void push_headers(lua_State *co, const buf *head) {
    lua_newtable(co);
    const char *p = head->data, *end = head->data ? head->data + head->len : NULL;
    luaL_Buffer name;
    while (p && p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol) eol = end;
        const char *colon = memchr(p, ':', (size_t)(eol - p));
        if (colon && colon > p && !(p[0] == ' ' || p[0] == '\t')) {
            const char *v = colon + 1, *ve = eol;
            while (v < ve && (*v == ' ' || *v == '\t')) v++;
            while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t')) ve--;
            luaL_buffinit(co, &name);
            for (const char *c = p; c < colon; c++)
                luaL_addchar(&name, (char)tolower((unsigned char)*c));
            luaL_pushresult(&name);
            const char *key = lua_tostring(co, -1);
            int t = lua_getfield(co, -2, key);
            if (strcmp(key, "set-cookie") == 0) {
                if (t != LUA_TTABLE) {
                    lua_pop(co, 1);
                    lua_newtable(co);
                    lua_pushvalue(co, -1);
                    lua_setfield(co, -4, key);
                }
                lua_pushlstring(co, v, (size_t)(ve - v));
                lua_rawseti(co, -2, (lua_Integer)lua_rawlen(co, -2) + 1);
                lua_pop(co, 2);
            } else {
                if (t == LUA_TSTRING) {
                    lua_pushliteral(co, ", ");
                    lua_pushlstring(co, v, (size_t)(ve - v));
                    lua_concat(co, 3);
                } else {
                    lua_pop(co, 1);
                    lua_pushlstring(co, v, (size_t)(ve - v));
                }
                lua_setfield(co, -3, key);
                lua_pop(co, 1);
            }
        }
        p = eol + 1;
    }
}

static int push_result(lua_State *co, void *data) {
    http_req *r = data;
    if (!co || r->state == REQ_CANCELLED || r->state == REQ_DETACHED) {
        req_free(r);
        return 0;
    }
    int n;
    if (r->result == CURLE_OK) {
        lua_createtable(co, 0, 3);
        lua_pushinteger(co, r->status);
        lua_setfield(co, -2, "status");
        push_headers(co, &r->head);
        lua_setfield(co, -2, "headers");
        lua_pushlstring(co, r->body.data ? r->body.data : "", r->body.len);
        lua_setfield(co, -2, "body");
        n = 1;
    } else {
        const char *kind = error_kind(r);
        const char *why = r->errbuf[0] ? r->errbuf : lc.easy_strerror(r->result);
        if (strcmp(kind, "limit") == 0)
            n = ocip_fail(co, kind, "http: response larger than %I bytes", (lua_Integer)r->max_size);
        else
            n = ocip_fail(co, kind, "http: %s", why);
        lua_pushboolean(co, r->sent);
        lua_setfield(co, -2, "sent");
    }
    req_free(r);
    return n;
}

/* ---------- core.http_request ---------- */

static int l_pending_gc(lua_State *L) {
    http_req **box = lua_touserdata(L, 1);
    if (*box) req_free(*box);
    *box = NULL;
    return 0;
}

static const char *opt_string(lua_State *L, const char *key) {
    lua_getfield(L, 1, key);
    const char *s = NULL;
    if (!lua_isnil(L, -1)) {
        if (lua_type(L, -1) != LUA_TSTRING) luaL_error(L, "http_request: '%s' must be a string", key);
        s = lua_tostring(L, -1);
    }
    lua_pop(L, 1); /* the string stays alive: it is referenced by the options table */
    return s;
}

static int add_header(http_req *r, const char *line) {
    struct curl_slist *l = lc.slist_append(r->hdrs, line);
    if (!l) return -1;
    r->hdrs = l;
    return 0;
}

/* headers = { ["Name"] = "value", ... } or { "Name: value", ... } */
static void collect_headers(lua_State *L, http_req *r) {
    int has_expect = 0;
    if (lua_getfield(L, 1, "headers") == LUA_TTABLE) {
        lua_pushnil(L);
        while (lua_next(L, -2)) {
            const char *line;
            if (lua_type(L, -2) == LUA_TNUMBER) {
                line = luaL_checkstring(L, -1);
                lua_pushvalue(L, -1);
            } else {
                if (lua_type(L, -2) != LUA_TSTRING || !lua_isstring(L, -1))
                    luaL_error(L, "http_request: headers must map names to strings");
                lua_pushfstring(L, "%s: %s", lua_tostring(L, -2), lua_tostring(L, -1));
                line = lua_tostring(L, -1);
            }
            if (strchr(line, '\r') || strchr(line, '\n'))
                luaL_error(L, "http_request: header contains a line break");
            if (strncasecmp(line, "expect:", 7) == 0) has_expect = 1;
            if (add_header(r, line) != 0) luaL_error(L, "ocip: out of memory");
            lua_pop(L, 2);
        }
    } else if (!lua_isnil(L, -1)) {
        luaL_error(L, "http_request: 'headers' must be a table");
    }
    lua_pop(L, 1);
    /* No "Expect: 100-continue" round trip for large bodies. */
    if (!has_expect && add_header(r, "Expect:") != 0) luaL_error(L, "ocip: out of memory");
}

static int setup_failed(lua_State *L) {
    return luaL_error(L, "ocip: cannot configure the HTTP request");
}

static int l_http_request(lua_State *L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    const char *url = opt_string(L, "url");
    if (!url) return luaL_error(L, "http_request: 'url' is required");
    const char *method = opt_string(L, "method");
    if (!method) method = "POST";
    const char *ca_file = opt_string(L, "ca_file");
    const char *ca_path = opt_string(L, "ca_path");
    const char *cert_file = opt_string(L, "cert_file"); /* client certificate (PEM) */
    const char *key_file = opt_string(L, "key_file");
    const char *proxy = opt_string(L, "proxy"); /* nil: curl's *_proxy env; "": none */
    lua_getfield(L, 1, "body");
    size_t body_len = 0;
    const char *body = lua_isnil(L, -1) ? NULL : luaL_checklstring(L, -1, &body_len);
    lua_pop(L, 1);
    lua_getfield(L, 1, "timeout");
    lua_Number timeout = luaL_optnumber(L, -1, DEFAULT_TIMEOUT);
    lua_pop(L, 1);
    if (!(timeout > 0 && timeout < 1e7)) return luaL_error(L, "http_request: bad timeout");
    lua_getfield(L, 1, "insecure");
    int insecure = lua_toboolean(L, -1);
    lua_pop(L, 1);
    lua_getfield(L, 1, "max_size");
    lua_Integer max_size = luaL_optinteger(L, -1, (lua_Integer)DEFAULT_MAX_SIZE);
    lua_pop(L, 1);
    if (max_size <= 0 || max_size > ((lua_Integer)1 << 40)) return luaL_error(L, "http_request: bad max_size");

    const char *why = curl_load();
    if (why) {
        ocip_fail(L, "usage", "http: libcurl is not available (%s); install libcurl4", why);
        lua_pushboolean(L, 0);
        lua_setfield(L, -2, "sent");
        return 2;
    }
    http_multi *m = get_multi(L);

    /* Until ocip_await has taken it, the request is owned by this box, so a Lua
     * error below (bad header, not in a task) frees it. */
    http_req **box = lua_newuserdatauv(L, sizeof *box, 0);
    *box = NULL;
    if (luaL_newmetatable(L, PENDING_MT)) {
        lua_pushcfunction(L, l_pending_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_setmetatable(L, -2);
    http_req *r = calloc(1, sizeof *r);
    if (!r) return luaL_error(L, "ocip: out of memory");
    *box = r;
    r->max_size = (size_t)max_size;
    r->easy = lc.easy_init();
    if (!r->easy) return setup_failed(L);
    collect_headers(L, r);

    CURL *e = r->easy;
    int ok = lc.easy_setopt(e, CURLOPT_URL, url) == CURLE_OK;
    ok = ok && lc.easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK;
    ok = ok && lc.easy_setopt(e, CURLOPT_NOSIGNAL, 1L) == CURLE_OK;
    ok = ok && lc.easy_setopt(e, CURLOPT_PRIVATE, (char *)r) == CURLE_OK;
    ok = ok && lc.easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf) == CURLE_OK;
    ok = ok && lc.easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body) == CURLE_OK;
    ok = ok && lc.easy_setopt(e, CURLOPT_WRITEDATA, r) == CURLE_OK;
    ok = ok && lc.easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header) == CURLE_OK;
    ok = ok && lc.easy_setopt(e, CURLOPT_HEADERDATA, r) == CURLE_OK;
    ok = ok && lc.easy_setopt(e, CURLOPT_HTTPHEADER, r->hdrs) == CURLE_OK;
    ok = ok && lc.easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(timeout * 1000 + 0.5)) == CURLE_OK;
    ok = ok && lc.easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max_size) == CURLE_OK;
    ok = ok && lc.easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L) == CURLE_OK;
    ok = ok && lc.easy_setopt(e, CURLOPT_SSL_VERIFYPEER, insecure ? 0L : 1L) == CURLE_OK;
    ok = ok && lc.easy_setopt(e, CURLOPT_SSL_VERIFYHOST, insecure ? 0L : 2L) == CURLE_OK;
    if (ok && ca_file) ok = lc.easy_setopt(e, CURLOPT_CAINFO, ca_file) == CURLE_OK;
    if (ok && ca_path) ok = lc.easy_setopt(e, CURLOPT_CAPATH, ca_path) == CURLE_OK;
    /* same floor as the TCP transport: TLS 1.2 or later, never 1.0/1.1 */
    ok = ok && lc.easy_setopt(e, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2) == CURLE_OK;
    if (ok && cert_file) ok = lc.easy_setopt(e, CURLOPT_SSLCERT, cert_file) == CURLE_OK;
    if (ok && key_file) ok = lc.easy_setopt(e, CURLOPT_SSLKEY, key_file) == CURLE_OK;
    if (ok && proxy) ok = lc.easy_setopt(e, CURLOPT_PROXY, proxy) == CURLE_OK;
    if (ok && strcmp(method, "GET") == 0) {
        ok = lc.easy_setopt(e, CURLOPT_HTTPGET, 1L) == CURLE_OK;
    } else if (ok && strcmp(method, "HEAD") == 0) {
        ok = lc.easy_setopt(e, CURLOPT_NOBODY, 1L) == CURLE_OK;
    } else if (ok) {
        /* The size first, so a body with NUL bytes is copied whole. */
        ok = lc.easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len) == CURLE_OK;
        ok = ok && lc.easy_setopt(e, CURLOPT_COPYPOSTFIELDS, body ? body : "") == CURLE_OK;
        if (ok && strcmp(method, "POST") != 0)
            ok = lc.easy_setopt(e, CURLOPT_CUSTOMREQUEST, method) == CURLE_OK;
    }
    if (!ok) return setup_failed(L);
    if (insecure && !m->warned_insecure) {
        m->warned_insecure = 1;
        fprintf(stderr, "ocip: warning: TLS certificate verification disabled (insecure=true)\n");
    }

    r->w = ocip_await(L, "http_request", on_cancel, r);
    *box = NULL; /* from here on, the scheduler's push/cancel own it */
    r->m = m;
    if (lc.multi_add_handle(m->multi, e) != CURLM_OK) {
        r->result = CURLE_OUT_OF_MEMORY;
        r->state = REQ_DONE;
        snprintf(r->errbuf, sizeof r->errbuf, "cannot start the transfer");
        lc.easy_cleanup(r->easy);
        r->easy = NULL;
        ocip_wake(r->w, push_result, r);
    } else {
        link_req(m, r);
        /* Start the transfer now rather than from the 0 ms timer curl asks for: on a
         * reused connection the request is written before this task yields, so work
         * that other tasks do before the loop's next turn (decoding the last answer)
         * does not delay it. */
        int running;
        lc.multi_socket_action(m->multi, CURL_SOCKET_TIMEOUT, 0, &running);
        check_done(m);
    }
    return lua_yield(L, 0);
}

void ocip_open_http(lua_State *L) {
    lua_pushcfunction(L, l_http_request);
    lua_setfield(L, -2, "http_request");
}
