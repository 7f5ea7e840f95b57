/* OCI-P framer: the markup scanner (scan.h) over a growable buffer. Scanning is
 * resumable (the state survives between feeds), so each byte is looked at once. */
#include <stdlib.h>
#include <string.h>
#include "runtime/frame.h"
#include "runtime/scan.h"

#define KEEP_CAP ((size_t)1 << 20)

struct ocip_framer {
    char *buf;
    size_t cap, start, pos, end; /* held bytes: [start, end); scanned up to pos */
    size_t doc_start;            /* first byte of the current document held */
    size_t dropped;              /* bytes of the current document taken and dropped already */
    size_t safe;                 /* the scanned bytes up to here end between markup */
    size_t max;
    ocip_scan scan;
    int ready, status;
    const char *error;
};

ocip_framer *ocip_framer_new(size_t max_document) {
    ocip_framer *f = calloc(1, sizeof *f);
    if (!f) return NULL;
    f->max = max_document ? max_document : OCIP_FRAME_DEFAULT_MAX;
    ocip_scan_init(&f->scan);
    f->error = "";
    return f;
}

void ocip_framer_free(ocip_framer *f) {
    if (!f) return;
    free(f->buf);
    free(f);
}

static int fail(ocip_framer *f, int status, const char *why) {
    f->status = status;
    f->error = why;
    return status;
}

/* Makes room for `more` bytes: slides held bytes to the front when that helps, and
 * shrinks a buffer a big document grew once it holds little. */
static void compact(ocip_framer *f, size_t more) {
    int shrink = f->cap > KEEP_CAP && f->end - f->start + more <= f->cap / 4;
    if ((f->end + more > f->cap || shrink) && f->start > 0) {
        size_t held = f->end - f->start;
        memmove(f->buf, f->buf + f->start, held);
        f->pos -= f->start;
        f->safe = f->safe > f->start ? f->safe - f->start : 0;
        f->doc_start = f->doc_start > f->start ? f->doc_start - f->start : 0;
        f->end = held;
        f->start = 0;
    }
    if (shrink) {
        size_t cap = KEEP_CAP;
        while (cap < f->end + more) cap *= 2;
        char *nb = realloc(f->buf, cap);
        if (nb) { f->buf = nb; f->cap = cap; }
    }
}

int ocip_framer_feed(ocip_framer *f, const void *data, size_t len) {
    if (f->status) return f->status;
    if (len == 0) return OCIP_FRAME_MORE;
    compact(f, len);
    if (f->end + len > f->cap) {
        if (len > (size_t)-1 / 2 - f->end) return fail(f, OCIP_FRAME_NOMEM, "out of memory");
        size_t cap = f->cap ? f->cap : 4096;
        while (cap < f->end + len) cap *= 2;
        char *nb = realloc(f->buf, cap);
        if (!nb) return fail(f, OCIP_FRAME_NOMEM, "out of memory");
        f->buf = nb;
        f->cap = cap;
    }
    memcpy(f->buf + f->end, data, len);
    f->end += len;
    return OCIP_FRAME_MORE;
}

void ocip_framer_release(ocip_framer *f) {
    if (!f->ready) compact(f, 0);
}

static int scan(ocip_framer *f) {
    if (f->status) return f->status;
    if (f->ready) return OCIP_FRAME_DOC;
    while (f->pos < f->end) {
        size_t n = f->end - f->pos, used;
        int idle = ocip_scan_idle(&f->scan);
        if (!idle) { /* inside a document: enforce the size limit before looking further */
            size_t room = f->max > f->dropped ? f->max - f->dropped : 0;
            size_t limit_end = f->doc_start + room;
            if (f->pos >= limit_end)
                return fail(f, OCIP_FRAME_LIMIT, "document larger than the size limit (max_document)");
            if (n > limit_end - f->pos) n = limit_end - f->pos;
        }
        size_t cut = 0;
        int st = ocip_scan_run(&f->scan, f->buf + f->pos, n, &used, &cut);
        if (cut) f->safe = f->pos + cut;
        f->pos += used;
        switch (st) {
        case OCIP_SCAN_BEGIN:
            f->doc_start = f->start = f->safe = f->pos - 1; /* whitespace and BOMs before it are dropped */
            f->dropped = 0;
            break;
        case OCIP_SCAN_END:
            f->ready = 1;
            return OCIP_FRAME_DOC;
        case OCIP_SCAN_LIMIT:
            return fail(f, OCIP_FRAME_LIMIT, ocip_scan_error(&f->scan));
        case OCIP_SCAN_PROTOCOL:
            return fail(f, OCIP_FRAME_PROTOCOL, ocip_scan_error(&f->scan));
        default:
            if (idle && ocip_scan_idle(&f->scan)) f->start = f->pos;
        }
    }
    return OCIP_FRAME_MORE;
}

int ocip_framer_ready(ocip_framer *f) { return scan(f); }

int ocip_framer_next(ocip_framer *f, const char **doc, size_t *len) {
    int st = scan(f);
    if (st != OCIP_FRAME_DOC) return st;
    *doc = f->buf + f->doc_start;
    *len = f->pos - f->doc_start;
    f->start = f->pos;
    f->ready = 0; /* the scanner is between documents again */
    return OCIP_FRAME_DOC;
}

int ocip_framer_peek(ocip_framer *f, const char **p, size_t *len) {
    int st = scan(f);
    if (st < 0) return st;
    *p = f->buf + f->doc_start;
    if (st == OCIP_FRAME_DOC) *len = f->pos - f->doc_start;
    else if (ocip_scan_idle(&f->scan) || f->safe <= f->doc_start) *len = 0;
    else *len = f->safe - f->doc_start;
    return st;
}

void ocip_framer_take(ocip_framer *f, size_t n) {
    if (f->ready && f->doc_start + n >= f->pos) { /* the whole rest: the document is done */
        f->start = f->doc_start = f->pos;
        f->ready = 0;
        f->dropped = 0;
        return;
    }
    f->doc_start += n;
    f->dropped += n;
    f->start = f->doc_start; /* taken bytes are not kept */
}

size_t ocip_framer_buffered(const ocip_framer *f) { return f->end - f->start; }

void ocip_framer_set_max(ocip_framer *f, size_t max_document) {
    f->max = max_document ? max_document : OCIP_FRAME_DEFAULT_MAX;
}

size_t ocip_framer_capacity(const ocip_framer *f) { return f->cap; }

int ocip_framer_partial(const ocip_framer *f) {
    return !ocip_scan_idle(&f->scan) && !f->ready;
}

const char *ocip_framer_error(const ocip_framer *f) { return f->error; }
