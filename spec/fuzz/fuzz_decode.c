/* libFuzzer target for runtime/decode.c: any bytes, decoded whole and in
 * fuzzer-chosen chunks, must give the same event stream and status; the sink
 * checks that calls nest properly (open/close, rows inside tables, columns
 * after their headings). Also: libxml2 fed in tiny pieces (the decoder cuts them
 * between markup) gives the same events, and a decoder reused for a second
 * document gives the same result and status. Build: make fuzz; run:
 *   build/fuzz/fuzz_decode -max_len=8192 spec/fixtures/responses */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "runtime/decode.h"

#define MAX_NEST 64

typedef struct {
    uint64_t h;            /* hash of every event and its bytes */
    int nest[MAX_NEST + 8];/* kinds of open containers: 'C' command, 'O' open, 'T' table, 'R' row */
    int depth;
    size_t headings;
} rec;

static void mix(rec *r, const void *p, size_t n) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) r->h = (r->h ^ b[i]) * 1099511628211ULL;
}
static void ev(rec *r, char c) { mix(r, &c, 1); }
static void push(rec *r, int k) { if (r->depth >= MAX_NEST + 8) abort(); r->nest[r->depth++] = k; }
static void pop(rec *r, int k) { if (r->depth == 0 || r->nest[--r->depth] != k) abort(); }
static int top(rec *r) { return r->depth ? r->nest[r->depth - 1] : 0; }
static void str(rec *r, const char *s, size_t n) {
    if (n && !s) abort();
    mix(r, &n, sizeof n);
    mix(r, s, n);
}

static int f_session(void *u, const char *s, size_t n) { ev(u, 'S'); str(u, s, n); return 0; }
static int f_cmd(void *u, const char *t, size_t n, unsigned nf) {
    rec *r = u; (void)nf;
    if (r->depth != 0 || n == 0) abort();
    ev(r, '<'); str(r, t, n); push(r, 'C');
    return 0;
}
static int f_cmd_end(void *u) { ev(u, '>'); pop(u, 'C'); return 0; }
static int f_field(void *u, const char *k, size_t kl, unsigned fl, const ocip_val *v) {
    rec *r = u;
    if (r->depth == 0 || top(r) == 'R' || kl == 0 || k[kl] != '\0') abort();
    ev(r, 'F'); str(r, k, kl); mix(r, &fl, sizeof fl); mix(r, &v->kind, sizeof v->kind);
    if (v->kind == OCIP_VAL_STRING || v->kind == OCIP_VAL_NUMBER) str(r, v->s, v->n);
    else mix(r, &v->i, sizeof v->i);
    return 0;
}
static int f_open(void *u, const char *k, size_t kl, unsigned fl, const char *t, size_t tl, unsigned nf) {
    rec *r = u; (void)nf;
    if (r->depth == 0 || top(r) == 'R' || kl == 0) abort();
    ev(r, '{'); str(r, k, kl); mix(r, &fl, sizeof fl);
    if (t) str(r, t, tl);
    push(r, 'O');
    return 0;
}
static int f_close(void *u) { ev(u, '}'); pop(u, 'O'); return 0; }
static int f_tbegin(void *u, const char *k, size_t kl, unsigned fl) {
    rec *r = u;
    if (r->depth == 0 || top(r) == 'T' || top(r) == 'R') abort();
    ev(r, '['); str(r, k, kl); mix(r, &fl, sizeof fl); push(r, 'T');
    r->headings = 0;
    return 0;
}
static int f_heading(void *u, size_t i, const char *h, size_t hl, const char *k, size_t kl) {
    rec *r = u;
    if (i != r->headings++ || kl == 0 || (top(r) != 'T' && top(r) != 'R')) abort();
    ev(r, 'H'); if (h) str(r, h, hl); str(r, k, kl);
    return 0;
}
static int f_row(void *u) { rec *r = u; if (top(r) != 'T') abort(); ev(r, '('); push(r, 'R'); return 0; }
static int f_col(void *u, size_t i, const char *s, size_t n) {
    rec *r = u;
    if (top(r) != 'R' || i >= r->headings || n == 0) abort();
    ev(r, 'c'); mix(r, &i, sizeof i); str(r, s, n);
    return 0;
}
static int f_row_end(void *u) { ev(u, ')'); pop(u, 'R'); return 0; }
static int f_tend(void *u) { ev(u, ']'); pop(u, 'T'); return 0; }

static const ocip_dec_sink SINK = {
    f_session, f_cmd, f_cmd_end, f_field, f_open, f_close,
    f_tbegin, f_heading, f_row, f_col, f_row_end, f_tend,
};

/* Decodes data whole (chunk 0) or fed in chunks, libxml2 given pieces of `piece`
 * bytes (0: the default 64 KiB). */
static int run(const uint8_t *data, size_t size, size_t chunk, size_t piece, rec *r) {
    memset(r, 0, sizeof *r);
    r->h = 1469598103934665603ULL;
    ocip_dec_opts o = {.max_size = 1 << 20, .max_depth = MAX_NEST, .piece = piece};
    ocip_dec *d = ocip_dec_new(ocip_catalog_get(), &SINK, r, &o);
    if (!d) abort();
    int st = OCIP_DEC_OK, st0 = OCIP_DEC_OK;
    uint64_t h0 = 0;
    for (int round = 0; round < 2; round++) { /* the second document reuses the decoder */
        if (round) {
            st0 = st;
            h0 = r->h;
            ocip_dec_reset(d, r);
            memset(r, 0, sizeof *r);
            r->h = 1469598103934665603ULL;
        }
        if (chunk == 0) {
            st = ocip_dec_whole(d, (const char *)data, size);
        } else {
            st = OCIP_DEC_OK;
            for (size_t off = 0; off < size && st == OCIP_DEC_OK; off += chunk)
                st = ocip_dec_feed(d, (const char *)data + off, size - off < chunk ? size - off : chunk);
            if (st == OCIP_DEC_OK) st = ocip_dec_finish(d);
        }
        if (st == OCIP_DEC_OK && r->depth != 0) abort(); /* a finished document closed everything */
    }
    if (st != st0 || r->h != h0) abort(); /* a reused decoder behaves like a new one */
    ocip_dec_free(d);
    return st;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    size_t chunk = (size_t)data[0] % 17 + 1; /* first byte picks the chunk size */
    size_t piece = (size_t)(data[0] >> 5) * 7 + 1; /* and the piece size: 1..50 bytes */
    data++;
    size--;
    rec whole, parts, pieces;
    int a = run(data, size, 0, 0, &whole);
    int b = run(data, size, chunk, 0, &parts);
    int c = run(data, size, 0, piece, &pieces);
    /* Only successful runs must agree: libxml2 reports some errors at a point that
     * depends on chunking, and the whole-buffer run may skip charset conversion. */
    if (a == OCIP_DEC_OK && b == OCIP_DEC_OK && whole.h != parts.h) abort();
    if (a == OCIP_DEC_OK && c == OCIP_DEC_OK && whole.h != pieces.h) abort();
    if ((a == OCIP_DEC_OK) != (b == OCIP_DEC_OK) && a != OCIP_DEC_LIMIT && b != OCIP_DEC_LIMIT) abort();
    if ((a == OCIP_DEC_OK) != (c == OCIP_DEC_OK) && a != OCIP_DEC_LIMIT && c != OCIP_DEC_LIMIT) abort();
    return 0;
}
