/* TLS engine: one SSL object between two memory BIOs (rbio: from the peer,
 * wbio: to the peer). Nothing here touches a socket or blocks. */
#include <arpa/inet.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include "runtime/tls.h"

struct ocip_tls_ctx {
    SSL_CTX *ctx;
    int server, insecure;
};

struct ocip_tls {
    SSL *ssl;
    BIO *rbio, *wbio;      /* owned by ssl */
    int established, server, insecure, is_ip;
    char host[256];
    char err[640];
};

/* The first OpenSSL error queued (the root cause), as text; clears the queue. */
static void ossl_reason(char *buf, size_t len) {
    unsigned long code = ERR_get_error();
    if (!code) { snprintf(buf, len, "unknown error"); return; }
    const char *r = ERR_reason_error_string(code);
    if (r) snprintf(buf, len, "%s", r);
    else ERR_error_string_n(code, buf, len);
    ERR_clear_error();
}

static ocip_tls_ctx *ctx_fail(ocip_tls_ctx *c, char *err, size_t errlen, const char *what, const char *file) {
    char why[200];
    ossl_reason(why, sizeof why);
    snprintf(err, errlen, "%s%s%s: %s", what, file ? " " : "", file ? file : "", why);
    ocip_tls_ctx_free(c);
    return NULL;
}

ocip_tls_ctx *ocip_tls_ctx_new(const ocip_tls_opts *o, char *err, size_t errlen) {
    ERR_clear_error();
    ocip_tls_ctx *c = calloc(1, sizeof *c);
    if (!c) { snprintf(err, errlen, "out of memory"); return NULL; }
    c->server = o->server;
    c->insecure = o->insecure && !o->server;
    c->ctx = SSL_CTX_new(o->server ? TLS_server_method() : TLS_client_method());
    if (!c->ctx) return ctx_fail(c, err, errlen, "cannot create TLS context", NULL);
    if (!SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION))
        return ctx_fail(c, err, errlen, "cannot set minimum TLS version", NULL);
    SSL_CTX_set_options(c->ctx, SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_mode(c->ctx, SSL_MODE_RELEASE_BUFFERS);
    if (o->server) {
        if (!o->cert_file || !o->key_file) {
            snprintf(err, errlen, "TLS server needs cert_file and key_file");
            ocip_tls_ctx_free(c);
            return NULL;
        }
    } else if (c->insecure) {
        SSL_CTX_set_verify(c->ctx, SSL_VERIFY_NONE, NULL);
    } else {
        SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
        if (o->ca_file || o->ca_path) {
            if (!SSL_CTX_load_verify_locations(c->ctx, o->ca_file, o->ca_path))
                return ctx_fail(c, err, errlen, "cannot load CA", o->ca_file ? o->ca_file : o->ca_path);
        } else if (!SSL_CTX_set_default_verify_paths(c->ctx)) {
            return ctx_fail(c, err, errlen, "cannot load the system CA store", NULL);
        }
    }
    if (o->cert_file && !SSL_CTX_use_certificate_chain_file(c->ctx, o->cert_file))
        return ctx_fail(c, err, errlen, "cannot load certificate", o->cert_file);
    if (o->key_file && !SSL_CTX_use_PrivateKey_file(c->ctx, o->key_file, SSL_FILETYPE_PEM))
        return ctx_fail(c, err, errlen, "cannot load private key", o->key_file);
    if (o->cert_file && o->key_file && !SSL_CTX_check_private_key(c->ctx))
        return ctx_fail(c, err, errlen, "private key does not match certificate", o->key_file);
    if (!o->cert_file != !o->key_file) {
        snprintf(err, errlen, "cert_file and key_file go together");
        ocip_tls_ctx_free(c);
        return NULL;
    }
    return c;
}

void ocip_tls_ctx_free(ocip_tls_ctx *c) {
    if (!c) return;
    SSL_CTX_free(c->ctx); /* sessions hold their own reference */
    free(c);
}

static int is_ip_literal(const char *s) {
    unsigned char tmp[16];
    return inet_pton(AF_INET, s, tmp) == 1 || inet_pton(AF_INET6, s, tmp) == 1;
}

ocip_tls *ocip_tls_new(ocip_tls_ctx *c, const char *server_name, char *err, size_t errlen) {
    ERR_clear_error();
    ocip_tls *t = calloc(1, sizeof *t);
    if (!t) { snprintf(err, errlen, "out of memory"); return NULL; }
    t->server = c->server;
    t->insecure = c->insecure;
    t->ssl = SSL_new(c->ctx);
    t->rbio = BIO_new(BIO_s_mem());
    t->wbio = BIO_new(BIO_s_mem());
    if (!t->ssl || !t->rbio || !t->wbio) {
        BIO_free(t->rbio);
        BIO_free(t->wbio);
        SSL_free(t->ssl);
        free(t);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    BIO_set_mem_eof_return(t->rbio, -1); /* empty input means "retry", not EOF */
    SSL_set_bio(t->ssl, t->rbio, t->wbio);
    if (c->server) {
        SSL_set_accept_state(t->ssl);
        return t;
    }
    SSL_set_connect_state(t->ssl);
    if (server_name && *server_name) {
        snprintf(t->host, sizeof t->host, "%s", server_name);
        t->is_ip = is_ip_literal(server_name);
        int ok;
        if (t->is_ip) {
            ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(t->ssl), server_name);
        } else {
            SSL_set_hostflags(t->ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
            ok = SSL_set_tlsext_host_name(t->ssl, server_name) && SSL_set1_host(t->ssl, server_name);
        }
        if (!ok) {
            char why[200];
            ossl_reason(why, sizeof why);
            snprintf(err, errlen, "invalid server name '%s': %s", server_name, why);
            ocip_tls_free(t);
            return NULL;
        }
    } else if (!c->insecure) {
        snprintf(err, errlen, "TLS verification needs a server name");
        ocip_tls_free(t);
        return NULL;
    }
    return t;
}

void ocip_tls_free(ocip_tls *t) {
    if (!t) return;
    SSL_free(t->ssl);
    free(t);
}

int ocip_tls_feed(ocip_tls *t, const void *data, size_t len) {
    const char *p = data;
    while (len) {
        int n = BIO_write(t->rbio, p, len > INT_MAX ? INT_MAX : (int)len);
        if (n <= 0) { snprintf(t->err, sizeof t->err, "out of memory buffering TLS input"); return OCIP_TLS_ERROR; }
        p += n;
        len -= (size_t)n;
    }
    return OCIP_TLS_OK;
}

/* Explains a failed SSL call: verification result first, then the error queue. */
static int tls_fail(ocip_tls *t, int ret, const char *during) {
    int e = SSL_get_error(t->ssl, ret);
    long v = SSL_get_verify_result(t->ssl);
    if (!t->server && !t->insecure && v != X509_V_OK) {
        const char *extra = "";
        char hostinfo[330] = "";
        if (v == X509_V_ERR_HOSTNAME_MISMATCH || v == X509_V_ERR_IP_ADDRESS_MISMATCH) {
            snprintf(hostinfo, sizeof hostinfo, " (the certificate does not match %s '%s')",
                     t->is_ip ? "IP address" : "host name", t->host);
            extra = hostinfo;
        }
        snprintf(t->err, sizeof t->err, "certificate verify failed: %.200s%s", X509_verify_cert_error_string(v), extra);
        ERR_clear_error();
    } else if (e == SSL_ERROR_ZERO_RETURN) {
        snprintf(t->err, sizeof t->err, "peer closed the TLS session during %s", during);
    } else if (e == SSL_ERROR_SSL || ERR_peek_error()) {
        char why[200];
        ossl_reason(why, sizeof why);
        snprintf(t->err, sizeof t->err, "TLS %s failed: %s", during, why);
    } else {
        snprintf(t->err, sizeof t->err, "TLS %s failed (error %d)", during, e);
        ERR_clear_error();
    }
    return OCIP_TLS_ERROR;
}

int ocip_tls_handshake(ocip_tls *t) {
    if (t->established) return OCIP_TLS_OK;
    ERR_clear_error();
    int r = SSL_do_handshake(t->ssl);
    if (r == 1) { t->established = 1; return OCIP_TLS_OK; }
    int e = SSL_get_error(t->ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return OCIP_TLS_WANT;
    return tls_fail(t, r, "handshake");
}

int ocip_tls_established(const ocip_tls *t) { return t->established; }

ssize_t ocip_tls_read(ocip_tls *t, void *buf, size_t cap) {
    ERR_clear_error();
    int n = SSL_read(t->ssl, buf, cap > INT_MAX ? INT_MAX : (int)cap);
    if (n > 0) return n;
    int e = SSL_get_error(t->ssl, n);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return 0;
    if (e == SSL_ERROR_ZERO_RETURN) return OCIP_TLS_EOF;
    return tls_fail(t, n, "read");
}

int ocip_tls_write(ocip_tls *t, const void *data, size_t len) {
    const char *p = data;
    ERR_clear_error();
    while (len) {
        int n = SSL_write(t->ssl, p, len > INT_MAX ? INT_MAX : (int)len);
        if (n <= 0) return tls_fail(t, n, "write");
        p += n;
        len -= (size_t)n;
    }
    return OCIP_TLS_OK;
}

void ocip_tls_shutdown(ocip_tls *t) {
    if (!t->established) return;
    ERR_clear_error();
    (void)SSL_shutdown(t->ssl);
    ERR_clear_error();
}

size_t ocip_tls_pending(const ocip_tls *t) { return BIO_ctrl_pending(t->wbio); }

size_t ocip_tls_take(ocip_tls *t, void *buf, size_t cap) {
    int n = BIO_read(t->wbio, buf, cap > INT_MAX ? INT_MAX : (int)cap);
    return n > 0 ? (size_t)n : 0;
}

const char *ocip_tls_error(const ocip_tls *t) { return t->err; }
