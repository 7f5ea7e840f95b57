/* Unit tests for runtime/tls.c: a client and a server engine wired back to back in
 * memory (no sockets). Certificates are made in a temp dir with the openssl command. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "runtime/tls.h"

static char dir[] = "/tmp/ocip-tls-test.XXXXXX";
static char ca[300], other_ca[300], cert[300], key[300];

static int sh(const char *cmd) {
    char line[1200];
    snprintf(line, sizeof line, "cd '%s' && %s >/dev/null 2>&1", dir, cmd);
    return system(line);
}

#define KEY "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
static int setup(void **state) {
    (void)state;
    if (!mkdtemp(dir)) return -1;
    FILE *f = NULL;
    char path[300];
    snprintf(path, sizeof path, "%s/ext", dir);
    if (!(f = fopen(path, "w"))) return -1;
    fputs("basicConstraints=CA:FALSE\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n", f);
    fclose(f);
    if (sh("openssl req -x509 " KEY " -keyout ca.key -out ca.pem -days 2 -subj /CN=test-ca") ||
        sh("openssl req -x509 " KEY " -keyout other.key -out other.pem -days 2 -subj /CN=other-ca") ||
        sh("openssl req " KEY " -keyout srv.key -out srv.csr -subj /CN=localhost") ||
        sh("openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out srv.pem -days 2 -extfile ext"))
        return -1;
    snprintf(ca, sizeof ca, "%s/ca.pem", dir);
    snprintf(other_ca, sizeof other_ca, "%s/other.pem", dir);
    snprintf(cert, sizeof cert, "%s/srv.pem", dir);
    snprintf(key, sizeof key, "%s/srv.key", dir);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Moves ciphertext from a to b; returns bytes moved. */
static size_t pipe_bytes(ocip_tls *a, ocip_tls *b) {
    char buf[8192];
    size_t total = 0, n;
    while ((n = ocip_tls_take(a, buf, sizeof buf)) > 0) {
        assert_int_equal(ocip_tls_feed(b, buf, n), OCIP_TLS_OK);
        total += n;
    }
    return total;
}

typedef struct { ocip_tls_ctx *cctx, *sctx; ocip_tls *c, *s; int cr, sr; } pair;

/* Runs the handshake to completion or failure; returns the client's last status. */
static int handshake(pair *p, const char *ca_file, const char *name, int insecure) {
    char err[512];
    ocip_tls_opts co = {.ca_file = ca_file, .insecure = insecure};
    ocip_tls_opts so = {.server = 1, .cert_file = cert, .key_file = key};
    p->cctx = ocip_tls_ctx_new(&co, err, sizeof err);
    assert_non_null(p->cctx);
    p->sctx = ocip_tls_ctx_new(&so, err, sizeof err);
    assert_non_null(p->sctx);
    p->c = ocip_tls_new(p->cctx, name, err, sizeof err);
    assert_non_null(p->c);
    p->s = ocip_tls_new(p->sctx, NULL, err, sizeof err);
    assert_non_null(p->s);
    ocip_tls_ctx_free(p->cctx); /* sessions keep their own reference */
    ocip_tls_ctx_free(p->sctx);
    p->cr = p->sr = OCIP_TLS_WANT;
    for (int i = 0; i < 20; i++) {
        if (p->cr == OCIP_TLS_WANT) p->cr = ocip_tls_handshake(p->c);
        pipe_bytes(p->c, p->s);
        if (p->sr == OCIP_TLS_WANT) p->sr = ocip_tls_handshake(p->s);
        pipe_bytes(p->s, p->c);
        if (p->cr != OCIP_TLS_WANT && p->sr != OCIP_TLS_WANT) break;
        if (p->cr == OCIP_TLS_ERROR) break;
    }
    return p->cr;
}

static void pair_free(pair *p) {
    ocip_tls_free(p->c);
    ocip_tls_free(p->s);
}

static void test_verified_and_data(void **state) {
    (void)state;
    const char *names[] = {"localhost", "127.0.0.1"};
    for (int i = 0; i < 2; i++) {
        pair p;
        assert_int_equal(handshake(&p, ca, names[i], 0), OCIP_TLS_OK);
        assert_int_equal(p.sr, OCIP_TLS_OK);
        static char big[200000];
        memset(big, 'z', sizeof big);
        assert_int_equal(ocip_tls_write(p.c, big, sizeof big), OCIP_TLS_OK);
        pipe_bytes(p.c, p.s);
        size_t got = 0;
        char buf[16384];
        ssize_t n;
        while ((n = ocip_tls_read(p.s, buf, sizeof buf)) > 0) {
            assert_memory_equal(buf, big, (size_t)n);
            got += (size_t)n;
        }
        assert_int_equal(got, sizeof big);
        ocip_tls_shutdown(p.s);
        pipe_bytes(p.s, p.c);
        while ((n = ocip_tls_read(p.c, buf, sizeof buf)) > 0) {}
        assert_int_equal(n, OCIP_TLS_EOF);
        pair_free(&p);
    }
}

static void test_hostname_mismatch(void **state) {
    (void)state;
    pair p;
    assert_int_equal(handshake(&p, ca, "wrong.example", 0), OCIP_TLS_ERROR);
    const char *e = ocip_tls_error(p.c);
    assert_non_null(strstr(e, "certificate verify failed"));
    assert_non_null(strstr(e, "host name 'wrong.example'"));
    pair_free(&p);
    assert_int_equal(handshake(&p, ca, "10.1.2.3", 0), OCIP_TLS_ERROR);
    assert_non_null(strstr(ocip_tls_error(p.c), "IP address '10.1.2.3'"));
    pair_free(&p);
}

static void test_unknown_ca(void **state) {
    (void)state;
    pair p;
    assert_int_equal(handshake(&p, other_ca, "localhost", 0), OCIP_TLS_ERROR);
    assert_non_null(strstr(ocip_tls_error(p.c), "certificate verify failed: unable to get local issuer certificate"));
    assert_int_equal(p.sr, OCIP_TLS_ERROR); /* the server saw our alert */
    pair_free(&p);
    /* insecure: accepted whatever the CA and name */
    assert_int_equal(handshake(&p, other_ca, "wrong.example", 1), OCIP_TLS_OK);
    pair_free(&p);
}

static void test_bad_files(void **state) {
    (void)state;
    char err[512];
    ocip_tls_opts co = {.ca_file = "/nonexistent/ca.pem"};
    assert_null(ocip_tls_ctx_new(&co, err, sizeof err));
    assert_non_null(strstr(err, "/nonexistent/ca.pem"));
    ocip_tls_opts so = {.server = 1, .cert_file = cert};
    assert_null(ocip_tls_ctx_new(&so, err, sizeof err));
    assert_non_null(strstr(err, "key_file"));
    ocip_tls_opts mism = {.server = 1, .cert_file = cert, .key_file = "/nonexistent/key.pem"};
    assert_null(ocip_tls_ctx_new(&mism, err, sizeof err));
    assert_non_null(strstr(err, "private key"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verified_and_data),
        cmocka_unit_test(test_hostname_mismatch),
        cmocka_unit_test(test_unknown_ca),
        cmocka_unit_test(test_bad_files),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
