/* libFuzzer target for runtime/frame.c and runtime/scan.c: the same bytes framed in
 * one chunk and in fuzzer-chosen chunks (releasing the buffer after each document)
 * must give the same documents and the same final status; every document starts
 * with '<', ends with '>' and respects the size limit. The scanner alone, run over
 * everything at once and in fuzzer-chosen windows, reports the same events and
 * errors at the same offsets, never consumes more than it is given and never
 * reports a cut past what it consumed. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "runtime/frame.h"
#include "runtime/scan.h"

#define MAX_DOC 4096
#define MAX_OUT 64

typedef struct { size_t off[MAX_OUT], len[MAX_OUT]; uint64_t sum[MAX_OUT]; size_t n; int status; } result;

static uint64_t hash(const char *p, size_t n) {
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)p[i]) * 1099511628211ULL;
    return h;
}

static int drain(ocip_framer *f, result *r, int release) {
    const char *d; size_t len; int st;
    while ((st = ocip_framer_next(f, &d, &len)) == OCIP_FRAME_DOC) {
        if (len == 0 || len > MAX_DOC || d[0] != '<' || d[len - 1] != '>') abort();
        if (r->n < MAX_OUT) { r->len[r->n] = len; r->sum[r->n] = hash(d, len); }
        r->n++;
        if (release) ocip_framer_release(f);
    }
    return st;
}

static void run(const uint8_t *data, size_t size, const uint8_t *cuts, size_t ncuts, result *r) {
    ocip_framer *f = ocip_framer_new(MAX_DOC);
    if (!f) abort();
    size_t off = 0, ci = 0;
    int st = OCIP_FRAME_MORE;
    while (off < size && st >= 0) {
        size_t n = ncuts ? (size_t)cuts[ci++ % ncuts] % 64 + 1 : size;
        if (n > size - off) n = size - off;
        st = ocip_framer_feed(f, data + off, n);
        if (st >= 0) st = drain(f, r, ncuts > 0);
        off += n;
        if (ocip_framer_buffered(f) > size) abort();
    }
    r->status = st;
    ocip_framer_free(f);
}

#define PRIME 1099511628211ULL

/* Events (kind and offset) and the final status of the scanner over data, in
 * windows chosen by cuts (one window when ncuts is 0). */
static uint64_t scan_trace(const uint8_t *data, size_t size, const uint8_t *cuts, size_t ncuts, int *status) {
    ocip_scan s;
    ocip_scan_init(&s);
    uint64_t h = 1469598103934665603ULL;
    size_t off = 0, ci = 0;
    int st = OCIP_SCAN_MORE;
    while (off < size) {
        size_t n = ncuts ? (size_t)cuts[ci++ % ncuts] % 64 + 1 : size - off;
        if (n > size - off) n = size - off;
        size_t used, cut;
        st = ocip_scan_run(&s, (const char *)data + off, n, &used, &cut);
        if (used > n || cut > used || (st == OCIP_SCAN_MORE && used != n)) abort();
        if (st < 0 && !ocip_scan_error(&s)[0]) abort();
        off += used;
        if (st != OCIP_SCAN_MORE) h = ((h ^ (uint64_t)(st + 8)) * PRIME ^ off) * PRIME;
        if (st < 0) break;
    }
    *status = st < 0 ? st : OCIP_SCAN_MORE;
    return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    size_t ncuts = data[0] % 8;             /* first bytes choose the chunk sizes */
    if (size < 1 + ncuts) return 0;
    const uint8_t *cuts = data + 1;
    data += 1 + ncuts;
    size -= 1 + ncuts;
    result a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    run(data, size, NULL, 0, &a);
    run(data, size, cuts, ncuts, &b);
    if (a.status != b.status || a.n != b.n) abort();
    for (size_t i = 0; i < a.n && i < MAX_OUT; i++)
        if (a.len[i] != b.len[i] || a.sum[i] != b.sum[i]) abort();
    int sa, sb;
    if (scan_trace(data, size, NULL, 0, &sa) != scan_trace(data, size, cuts, ncuts, &sb) || sa != sb) abort();
    return 0;
}
