/* OCI-P framer: a byte-level state machine over a growable buffer. Scanning is
 * resumable (the state survives between feeds), so each byte is looked at once. */
#include <stdlib.h>
#include <string.h>
#include "runtime/frame.h"

enum {
    S_IDLE,       /* between documents: whitespace / BOM / '<' */
    S_BOM1, S_BOM2,
    S_PROLOG,     /* inside a document, before the root element */
    S_TEXT,       /* inside the root element: character data */
    S_LT,         /* just after '<' */
    S_PI,         /* <? ... ?> */
    S_BANG,       /* just after "<!" */
    S_COMMENT_OPEN, S_COMMENT,
    S_CDATA_OPEN, S_CDATA,
    S_STAG, S_DQ, S_SQ, /* start tag, and its quoted attribute values */
    S_ETAG
};

struct ocip_framer {
    char *buf;
    size_t cap, start, pos, end; /* held bytes: [start, end); scanned up to pos */
    size_t doc_start;            /* first byte of the current document */
    size_t max;
    size_t depth;                /* open elements */
    unsigned count;              /* dashes / brackets / match index, per state */
    int state, slash, ready, status;
    const char *error;
};

ocip_framer *ocip_framer_new(size_t max_document) {
    ocip_framer *f = calloc(1, sizeof *f);
    if (!f) return NULL;
    f->max = max_document ? max_document : OCIP_FRAME_DEFAULT_MAX;
    f->state = S_IDLE;
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

int ocip_framer_feed(ocip_framer *f, const void *data, size_t len) {
    if (f->status) return f->status;
    if (len == 0) return OCIP_FRAME_MORE;
    if (f->end + len > f->cap && f->start > 0) { /* slide held bytes to the front */
        size_t held = f->end - f->start;
        memmove(f->buf, f->buf + f->start, held);
        f->pos -= f->start;
        f->doc_start = f->doc_start > f->start ? f->doc_start - f->start : 0;
        f->end = held;
        f->start = 0;
    }
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

static int is_space(unsigned char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

static int is_name_start(unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c == ':' || c >= 0x80;
}

/* After a PI or comment: back to the prolog or to element content. */
static int after_markup(const ocip_framer *f) { return f->depth ? S_TEXT : S_PROLOG; }

static int scan(ocip_framer *f) {
    static const char cdata[] = "CDATA[";
    if (f->status) return f->status;
    if (f->ready) return OCIP_FRAME_DOC;
    const unsigned char *b = (const unsigned char *)f->buf;
    size_t pos = f->pos, end = f->end;
    while (pos < end) {
        if (f->state == S_IDLE) {
            unsigned char c = b[pos];
            if (is_space(c)) { f->start = ++pos; continue; }
            if (c == 0xEF) { f->state = S_BOM1; f->start = ++pos; continue; }
            if (c != '<') { f->pos = pos; return fail(f, OCIP_FRAME_PROTOCOL, "garbage where an XML document should start"); }
            f->doc_start = pos++;
            f->depth = 0;
            f->state = S_LT;
            continue;
        }
        if (f->state == S_BOM1 || f->state == S_BOM2) {
            unsigned char want = f->state == S_BOM1 ? 0xBB : 0xBF;
            if (b[pos] != want) { f->pos = pos; return fail(f, OCIP_FRAME_PROTOCOL, "garbage where an XML document should start"); }
            f->state = f->state == S_BOM1 ? S_BOM2 : S_IDLE;
            f->start = ++pos;
            continue;
        }
        /* inside a document: enforce the size limit before looking further */
        size_t limit_end = f->doc_start + f->max;
        size_t stop = end < limit_end ? end : limit_end;
        if (pos >= stop) { f->pos = pos; return fail(f, OCIP_FRAME_LIMIT, "document larger than the size limit"); }
        unsigned char c = b[pos];
        switch (f->state) {
        case S_PROLOG:
            if (c == '<') f->state = S_LT;
            else if (!is_space(c)) { f->pos = pos; return fail(f, OCIP_FRAME_PROTOCOL, "text before the root element"); }
            pos++;
            break;
        case S_TEXT: {
            const unsigned char *lt = memchr(b + pos, '<', stop - pos);
            if (!lt) { pos = stop; break; }
            pos = (size_t)(lt - b) + 1;
            f->state = S_LT;
            break;
        }
        case S_LT:
            pos++;
            if (c == '?') { f->state = S_PI; f->count = 0; }
            else if (c == '!') f->state = S_BANG;
            else if (c == '/') {
                if (!f->depth) { f->pos = pos; return fail(f, OCIP_FRAME_PROTOCOL, "end tag before the root element"); }
                f->state = S_ETAG;
            } else if (is_name_start(c)) { f->state = S_STAG; f->slash = 0; }
            else { f->pos = pos; return fail(f, OCIP_FRAME_PROTOCOL, "malformed markup after '<'"); }
            break;
        case S_PI:
            pos++;
            if (c == '>' && f->count) f->state = after_markup(f);
            else f->count = c == '?';
            break;
        case S_BANG:
            pos++;
            if (c == '-') f->state = S_COMMENT_OPEN;
            else if (c == '[' && f->depth) { f->state = S_CDATA_OPEN; f->count = 0; }
            else if (c == 'D' || c == 'd') { f->pos = pos; return fail(f, OCIP_FRAME_PROTOCOL, "DOCTYPE is not allowed in OCI-P documents"); }
            else { f->pos = pos; return fail(f, OCIP_FRAME_PROTOCOL, "malformed markup after '<!'"); }
            break;
        case S_COMMENT_OPEN:
            pos++;
            if (c != '-') { f->pos = pos; return fail(f, OCIP_FRAME_PROTOCOL, "malformed comment"); }
            f->state = S_COMMENT;
            f->count = 0;
            break;
        case S_COMMENT:
            pos++;
            if (c == '-') f->count++;
            else if (c == '>' && f->count >= 2) f->state = after_markup(f);
            else f->count = 0;
            break;
        case S_CDATA_OPEN:
            pos++;
            if (c != (unsigned char)cdata[f->count]) { f->pos = pos; return fail(f, OCIP_FRAME_PROTOCOL, "malformed CDATA section"); }
            if (++f->count == sizeof cdata - 1) { f->state = S_CDATA; f->count = 0; }
            break;
        case S_CDATA:
            pos++;
            if (c == ']') f->count++;
            else if (c == '>' && f->count >= 2) f->state = S_TEXT;
            else f->count = 0;
            break;
        case S_STAG:
            pos++;
            if (c == '"') f->state = S_DQ;
            else if (c == '\'') f->state = S_SQ;
            else if (c == '<') { f->pos = pos; return fail(f, OCIP_FRAME_PROTOCOL, "'<' inside a tag"); }
            else if (c == '>') {
                if (!f->slash) f->depth++;
                else if (!f->depth) goto complete; /* self-closing root */
                f->state = S_TEXT;
            }
            f->slash = c == '/';
            break;
        case S_DQ:
        case S_SQ: {
            const unsigned char *q = memchr(b + pos, f->state == S_DQ ? '"' : '\'', stop - pos);
            if (!q) { pos = stop; break; }
            pos = (size_t)(q - b) + 1;
            f->state = S_STAG;
            f->slash = 0;
            break;
        }
        case S_ETAG:
            pos++;
            if (c == '>' && --f->depth == 0) goto complete;
            if (c == '>') f->state = S_TEXT;
            break;
        default:
            f->pos = pos;
            return fail(f, OCIP_FRAME_PROTOCOL, "framer state corrupt");
        }
    }
    f->pos = pos;
    return OCIP_FRAME_MORE;
complete:
    f->pos = pos;
    f->ready = 1;
    return OCIP_FRAME_DOC;
}

int ocip_framer_ready(ocip_framer *f) { return scan(f); }

int ocip_framer_next(ocip_framer *f, const char **doc, size_t *len) {
    int st = scan(f);
    if (st != OCIP_FRAME_DOC) return st;
    *doc = f->buf + f->doc_start;
    *len = f->pos - f->doc_start;
    f->start = f->pos;
    f->ready = 0;
    f->state = S_IDLE;
    return OCIP_FRAME_DOC;
}

size_t ocip_framer_buffered(const ocip_framer *f) { return f->end - f->start; }

int ocip_framer_partial(const ocip_framer *f) {
    return f->state != S_IDLE && f->state != S_BOM1 && f->state != S_BOM2 && !f->ready;
}

const char *ocip_framer_error(const ocip_framer *f) { return f->error; }
