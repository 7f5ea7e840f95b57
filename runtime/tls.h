/* TLS engine over OpenSSL memory BIOs: ciphertext in/out as bytes, no sockets,
 * so the caller (bindings/net.c) drives it from libuv callbacks and never blocks.
 * Clients verify the certificate chain AND the host name by default; minimum
 * protocol TLS 1.2. Errors are sentences that say why ("certificate verify
 * failed: ...", "hostname mismatch ..."). */
#ifndef OCIP_TLS_H
#define OCIP_TLS_H
#include <stddef.h>
#include <sys/types.h>

typedef struct {
    int server;             /* 1: server mode (cert_file + key_file required) */
    const char *ca_file;    /* client: trust anchors (default: system store) */
    const char *ca_path;
    const char *cert_file;  /* client certificate (optional) / server certificate */
    const char *key_file;
    int insecure;           /* client: skip every verification (explicit opt-in only) */
} ocip_tls_opts;

typedef struct ocip_tls_ctx ocip_tls_ctx;
typedef struct ocip_tls ocip_tls;

enum {
    OCIP_TLS_OK = 0,
    OCIP_TLS_WANT = 1,      /* needs more input from the peer */
    OCIP_TLS_EOF = -1,      /* peer sent close_notify */
    OCIP_TLS_ERROR = -2     /* see ocip_tls_error() */
};

/* A context (certificates, trust, protocol floor), shared by many sessions.
 * NULL on failure with the reason in err. */
ocip_tls_ctx *ocip_tls_ctx_new(const ocip_tls_opts *o, char *err, size_t errlen);
/* Sessions keep their own reference: the context may be freed before them. */
void ocip_tls_ctx_free(ocip_tls_ctx *ctx);

/* A session. Client: server_name is sent as SNI (unless an IP literal) and the
 * certificate must match it (DNS name or IP address). Server: server_name NULL. */
ocip_tls *ocip_tls_new(ocip_tls_ctx *ctx, const char *server_name, char *err, size_t errlen);
void ocip_tls_free(ocip_tls *t);

/* Ciphertext received from the peer. Returns OCIP_TLS_OK or OCIP_TLS_ERROR. */
int ocip_tls_feed(ocip_tls *t, const void *data, size_t len);

/* Advances the handshake: OCIP_TLS_OK when complete, OCIP_TLS_WANT, or OCIP_TLS_ERROR. */
int ocip_tls_handshake(ocip_tls *t);
int ocip_tls_established(const ocip_tls *t);

/* Decrypted bytes: > 0 bytes copied, 0 when more input is needed, OCIP_TLS_EOF, OCIP_TLS_ERROR. */
ssize_t ocip_tls_read(ocip_tls *t, void *buf, size_t cap);

/* Encrypts all of data (handshake must be complete). OCIP_TLS_OK or OCIP_TLS_ERROR. */
int ocip_tls_write(ocip_tls *t, const void *data, size_t len);

/* Queues close_notify. */
void ocip_tls_shutdown(ocip_tls *t);

/* Ciphertext waiting to be sent, and taking it (returns bytes copied). */
size_t ocip_tls_pending(const ocip_tls *t);
size_t ocip_tls_take(ocip_tls *t, void *buf, size_t cap);

/* Why the last call failed. */
const char *ocip_tls_error(const ocip_tls *t);

#endif
