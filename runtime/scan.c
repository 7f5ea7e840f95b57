/* XML markup scanner (see scan.h): a resumable byte-level state machine. Runs of
 * character data and quoted attribute values are skipped with memchr. */
#include <string.h>
#include "runtime/scan.h"

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

/* The error sentences below spell the bounds out. */
_Static_assert(OCIP_SCAN_MAX_ATTRS == 64 && OCIP_SCAN_MAX_NS == 64 && OCIP_SCAN_MAX_TAG == 65536,
               "update the error sentences in scan.c");

void ocip_scan_init(ocip_scan *s) {
    memset(s, 0, sizeof *s);
    s->state = S_IDLE;
    s->error = "";
}

int ocip_scan_idle(const ocip_scan *s) {
    return s->state == S_IDLE || s->state == S_BOM1 || s->state == S_BOM2;
}

const char *ocip_scan_error(const ocip_scan *s) { return s->error; }

static int is_space(unsigned char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

static int is_name_start(unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c == ':' || c >= 0x80;
}

/* After a PI or comment: back to the prolog or to element content. */
static int after_markup(const ocip_scan *s) { return s->depth ? S_TEXT : S_PROLOG; }

/* A cut inside character data b[from, to): after its last ASCII byte among the
 * final four (so never inside a UTF-8 sequence), or `keep` when there is none. */
static size_t text_cut(const unsigned char *b, size_t from, size_t to, size_t keep) {
    for (size_t k = to; k > from && to - k < 4; k--)
        if (b[k - 1] < 0x80) return k;
    return keep;
}

/* Start tag: does c continue an attribute name "xmlns" or "xmlns:p" (a namespace
 * declaration), given what came before? Returns 1 when a declaration is complete. */
static int xmlns_step(ocip_scan *s, unsigned char c) {
    int decl = s->xmlns == 6 && (c == ':' || c == '=' || is_space(c));
    if (is_space(c)) s->xmlns = 1; /* an attribute name may start next */
    else if (s->xmlns >= 1 && s->xmlns <= 5 && c == (unsigned char)"xmlns"[s->xmlns - 1]) s->xmlns++;
    else s->xmlns = 0;
    return decl;
}

/* An element's end: the namespaces it declared go out of scope. */
static void ns_close(ocip_scan *s) {
    while (s->nns && s->ns[s->nns - 1].depth > s->depth) s->ns_scope -= s->ns[--s->nns].n;
}

#define FAIL(st, why) do { s->error = (why); status = (st); goto out; } while (0)

int ocip_scan_run(ocip_scan *s, const char *buf, size_t n, size_t *used, size_t *cut) {
    static const char cdata[] = "CDATA[";
    const unsigned char *b = (const unsigned char *)buf;
    size_t pos = 0, safe = 0;
    int status = OCIP_SCAN_MORE;
    while (pos < n) {
        unsigned char c = b[pos];
        switch (s->state) {
        case S_IDLE:
            pos++;
            if (is_space(c)) { safe = pos; break; }
            if (c == 0xEF) { s->state = S_BOM1; break; }
            if (c != '<') FAIL(OCIP_SCAN_PROTOCOL, "garbage where an XML document should start");
            s->depth = 0;
            s->nns = s->ns_scope = 0;
            s->state = S_LT;
            status = OCIP_SCAN_BEGIN;
            goto out;
        case S_BOM1:
        case S_BOM2:
            pos++;
            if (c != (s->state == S_BOM1 ? 0xBB : 0xBF))
                FAIL(OCIP_SCAN_PROTOCOL, "garbage where an XML document should start");
            s->state = s->state == S_BOM1 ? S_BOM2 : S_IDLE;
            if (s->state == S_IDLE) safe = pos;
            break;
        case S_PROLOG:
            if (c == '<') { safe = pos; s->state = S_LT; }
            else if (!is_space(c)) { pos++; FAIL(OCIP_SCAN_PROTOCOL, "text before the root element"); }
            pos++;
            break;
        case S_TEXT: {
            const unsigned char *lt = memchr(b + pos, '<', n - pos);
            if (!lt) { safe = text_cut(b, pos, n, safe); pos = n; break; }
            pos = (size_t)(lt - b);
            safe = pos++;
            s->state = S_LT;
            break;
        }
        case S_LT:
            pos++;
            if (c == '?') { s->state = S_PI; s->count = 0; }
            else if (c == '!') s->state = S_BANG;
            else if (c == '/') {
                if (!s->depth) FAIL(OCIP_SCAN_PROTOCOL, "end tag before the root element");
                s->state = S_ETAG;
                s->tag = 2;
            } else if (is_name_start(c)) {
                s->state = S_STAG;
                s->slash = 0;
                s->tag = 2;
                s->attrs = 0;
                s->xmlns = 0; /* the element's own name comes first */
                s->ns_tag = 0;
            } else FAIL(OCIP_SCAN_PROTOCOL, "malformed markup after '<'");
            break;
        case S_PI:
            pos++;
            if (c == '>' && s->count) { s->state = after_markup(s); safe = pos; }
            else s->count = c == '?';
            break;
        case S_BANG:
            pos++;
            if (c == '-') s->state = S_COMMENT_OPEN;
            else if (c == '[' && s->depth) { s->state = S_CDATA_OPEN; s->count = 0; }
            else if (c == 'D' || c == 'd') FAIL(OCIP_SCAN_PROTOCOL, "DOCTYPE is not allowed in OCI-P documents");
            else FAIL(OCIP_SCAN_PROTOCOL, "malformed markup after '<!'");
            break;
        case S_COMMENT_OPEN:
            pos++;
            if (c != '-') FAIL(OCIP_SCAN_PROTOCOL, "malformed comment");
            s->state = S_COMMENT;
            s->count = 0;
            break;
        case S_COMMENT:
            pos++;
            if (c == '-') s->count++;
            else if (c == '>' && s->count >= 2) { s->state = after_markup(s); safe = pos; }
            else s->count = 0;
            break;
        case S_CDATA_OPEN:
            pos++;
            if (c != (unsigned char)cdata[s->count]) FAIL(OCIP_SCAN_PROTOCOL, "malformed CDATA section");
            if (++s->count == sizeof cdata - 1) { s->state = S_CDATA; s->count = 0; }
            break;
        case S_CDATA:
            pos++;
            if (c == ']') s->count++;
            else if (c == '>' && s->count >= 2) { s->state = S_TEXT; safe = pos; }
            else s->count = 0;
            break;
        case S_STAG:
            if (!s->xmlns && !is_space(c) && c != '"' && c != '\'' && c != '<' && c != '>' && c != '/') {
                /* an element name (or any run before the first space): only the tag's
                 * length changes, so take the run at once */
                size_t run = pos + 1;
                while (run < n) {
                    unsigned char d = b[run];
                    if (is_space(d) || d == '"' || d == '\'' || d == '<' || d == '>' || d == '/') break;
                    run++;
                }
                if (run - pos > OCIP_SCAN_MAX_TAG - s->tag) {
                    pos += OCIP_SCAN_MAX_TAG - s->tag + 1;
                    FAIL(OCIP_SCAN_LIMIT, "tag longer than 65536 bytes");
                }
                s->tag += run - pos;
                pos = run;
                s->slash = 0;
                break;
            }
            pos++;
            if (++s->tag > OCIP_SCAN_MAX_TAG) FAIL(OCIP_SCAN_LIMIT, "tag longer than 65536 bytes");
            if (xmlns_step(s, c) && ++s->ns_tag > OCIP_SCAN_MAX_NS - s->ns_scope)
                FAIL(OCIP_SCAN_LIMIT, "more than 64 namespace declarations in scope");
            if (c == '"' || c == '\'') {
                if (++s->attrs > OCIP_SCAN_MAX_ATTRS) FAIL(OCIP_SCAN_LIMIT, "element with more than 64 attributes");
                s->state = c == '"' ? S_DQ : S_SQ;
            } else if (c == '<') {
                FAIL(OCIP_SCAN_PROTOCOL, "'<' inside a tag");
            } else if (c == '>') {
                s->state = S_TEXT;
                safe = pos;
                if (!s->slash && s->ns_tag) { /* in scope until the element ends */
                    s->ns[s->nns].depth = s->depth + 1;
                    s->ns[s->nns++].n = s->ns_tag;
                    s->ns_scope += s->ns_tag;
                }
                s->ns_tag = 0;
                if (!s->slash) s->depth++;
                else if (!s->depth) { /* self-closing root */
                    s->state = S_IDLE;
                    status = OCIP_SCAN_END;
                    goto out;
                }
            }
            s->slash = c == '/';
            break;
        case S_DQ:
        case S_SQ: {
            const unsigned char *q = memchr(b + pos, s->state == S_DQ ? '"' : '\'', n - pos);
            size_t take = q ? (size_t)(q - (b + pos)) + 1 : n - pos;
            if (take > OCIP_SCAN_MAX_TAG - s->tag) {
                pos += OCIP_SCAN_MAX_TAG - s->tag + 1;
                FAIL(OCIP_SCAN_LIMIT, "tag longer than 65536 bytes");
            }
            s->tag += take;
            pos += take;
            if (q) { s->state = S_STAG; s->slash = 0; }
            break;
        }
        case S_ETAG:
            if (c != '>') { /* the name: up to its '>' at once */
                const unsigned char *gt = memchr(b + pos, '>', n - pos);
                size_t take = gt ? (size_t)(gt - (b + pos)) : n - pos;
                if (take > OCIP_SCAN_MAX_TAG - s->tag) {
                    pos += OCIP_SCAN_MAX_TAG - s->tag + 1;
                    FAIL(OCIP_SCAN_LIMIT, "tag longer than 65536 bytes");
                }
                s->tag += take;
                pos += take;
                break;
            }
            pos++;
            if (++s->tag > OCIP_SCAN_MAX_TAG) FAIL(OCIP_SCAN_LIMIT, "tag longer than 65536 bytes");
            if (c == '>') {
                safe = pos;
                s->depth--;
                ns_close(s);
                if (s->depth == 0) {
                    s->state = S_IDLE;
                    status = OCIP_SCAN_END;
                    goto out;
                }
                s->state = S_TEXT;
            }
            break;
        default:
            FAIL(OCIP_SCAN_PROTOCOL, "scanner state corrupt");
        }
    }
out:
    *used = pos;
    if (cut) *cut = safe;
    return status;
}
