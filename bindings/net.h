/* Internal to bindings/net*.c: the connection object (net_io.c) shared by the
 * client side (net.c: tcp_connect), the server side (net_server.c) and the Lua
 * methods of ocip.conn (net_conn.c). */
#ifndef OCIP_BINDINGS_NET_H
#define OCIP_BINDINGS_NET_H
#include <uv.h>
#include <lua.h>
#include "bindings/loop.h"
#include "runtime/frame.h"
#include "runtime/tls.h"

#define OCIP_CONN_MT "ocip.conn"
#define OCIP_SERVER_MT "ocip.server"
#define NET_READ_CHUNK 65536
#define NET_HIGH_WATER ((size_t)1 << 20)       /* stop reading when nobody reads and this much waits */
#define NET_PIECE_MIN ((size_t)32 << 10)       /* conn:read(dec) feeds a document in pieces of at least this */
#define NET_DEFAULT_MAX_QUEUE ((size_t)64 << 20) /* bytes queued for writing before write() fails */

typedef struct net_conn net_conn;
typedef struct net_server net_server;

enum { C_RESOLVING, C_CONNECTING, C_HANDSHAKE, C_OPEN, C_CLOSED };

typedef struct { char *p; size_t len, cap; } net_bytes;

/* Memory is reference counted: the owner (connect operation, server queue or Lua
 * userdata), every open uv handle, every uv request in flight and every pending
 * wait hold one reference; the last conn_unref frees the struct. What can be big
 * (read buffer, framer, raw input, TLS engine) is freed by net_conn_close already:
 * a closed connection whose userdata waits for the garbage collector holds only
 * the struct. After a close, fr, in, tls, ctx and rbuf are NULL/empty. */
struct net_conn {
    uv_loop_t *uv;
    uv_tcp_t *tcp;              /* heap; freed by its close callback */
    uv_timer_t *timer;          /* connect / handshake / close deadline */
    uv_getaddrinfo_t *gai;
    uv_connect_t creq;
    struct addrinfo *ai, *ai_next;
    int last_status;            /* last libuv error of a connect attempt */
    int refs, state, raw, eof, reading, read_busy;
    char err_kind[12];          /* sticky failure: "" or an ocip.Error kind */
    char err_msg[700];
    char write_err[128];
    ocip_framer *fr;            /* mode "document" */
    net_bytes in;               /* mode "raw": plaintext received */
    ocip_tls_ctx *ctx;          /* client only: its own TLS context */
    ocip_tls *tls;
    char server_name[256];
    ocip_waiter *connect_w, *reader, *flusher;
    size_t queued, max_queue;
    char host[256];
    int port;
    double timeout;
    char peer[64];
    net_server *srv;            /* accepted and not yet taken by server:accept() */
    net_conn *srv_next;
    int ready;                  /* accepted conn: handshake done, can be taken */
    ocip_closer closer;         /* registered while a close drains queued writes */
    int was_tls;                /* tls was set before the close released it */
    char *rbuf;                 /* NET_READ_CHUNK bytes for libuv reads, made on first read */
    /* conn:read(dec): the reader waits for a piece, not a whole document; a document
     * is being fed to a decoder (pieces fed so far); it is whole, its last piece waits
     * for conn:finish(dec) */
    int streaming, dec_doc, dec_pieces, dec_done;
    size_t max_document;        /* the framer's limit as configured (a read may raise it) */
    uv_timer_t *rtimer;         /* conn:read(dec, max, timeout): made once, reused */
    int read_timed_out;         /* it fired while a reader waited */
    double read_deadline;       /* of the current streaming read: loop time in ms, or -1 */
    uint64_t last_in;           /* uv_hrtime() of the last read that brought bytes (conn:arrived) */
};

net_conn *net_conn_new(uv_loop_t *uv, int raw, size_t max_document, size_t max_queue);
void net_conn_unref(net_conn *c);
void net_conn_close(net_conn *c);
/* Starts reading and, for TLS, the handshake; for accepted connections. */
void net_conn_start(net_conn *c);
void net_conn_push_ud(lua_State *L, net_conn *c);
void net_set_peer(net_conn *c);
/* Handshake deadline of an accepted connection (does not keep the loop alive). */
void net_conn_set_deadline(net_conn *c, double seconds);
/* Connect deadline of tcp_connect (keeps the loop alive). */
void net_conn_set_connect_deadline(net_conn *c, double seconds);
/* net_io.c internals used by net.c and net_conn.c. */
void net_close_tcp(net_conn *c);
void net_close_timer(net_conn *c);
/* Records the first failure (kind is an ocip.Error kind); later ones are ignored. */
void net_set_error(net_conn *c, const char *kind, const char *fmt, ...);
/* Sends bytes in order (queued when the kernel does not take them); 0 or a libuv error. */
int net_send_bytes(net_conn *c, const char *p, size_t len);
void net_flush_tls(net_conn *c);                /* TLS output -> socket */
void net_update_reading(net_conn *c);           /* starts/stops uv reading as needed */
/* Pushes the next item, or nil + error; returns the count, or -1 when nothing is there yet. */
int net_try_read(lua_State *L, net_conn *c);
int net_push_unref(lua_State *co, void *data);  /* push fn of a cancelled wait: drops a ref */
int net_push_wake(lua_State *co, void *data);   /* push fn of a streaming read: only wakes */
/* net.c: ends the connect wait (kind NULL: success). */
void net_connect_done(net_conn *c, const char *kind, const char *fmt, ...);
/* net_conn.c: creates the ocip.conn metatable. */
void net_open_conn(lua_State *L);
/* Option helpers shared with net_server.c. */
int net_opt_mode(lua_State *L, int t);
void net_tls_opts(lua_State *L, int t, ocip_tls_opts *o);
void net_update_ref(net_conn *c);
/* The deadline of a streaming read: starts (seconds, >= 1e9: none) or stops (< 0) it. */
void net_read_deadline(net_conn *c, double seconds);

/* Server side hooks, called by net.c when an accepted connection finishes (or fails) its handshake. */
void net_server_conn_ready(net_conn *c);
void net_server_conn_failed(net_conn *c);

void ocip_open_net_server(lua_State *L);

#endif
