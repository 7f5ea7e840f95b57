/* XML markup scanner: the byte-level state machine shared by the framer (where does
 * a document end?) and the decoder (a guard run before libxml2 sees the bytes).
 * It follows just enough XML structure for that: declaration and processing
 * instructions, comments, CDATA, start and end tags with their quoted attribute
 * values, self-closing roots; whitespace and UTF-8 BOMs between documents are
 * skipped; DOCTYPE is refused (OCI-P never sends one). Documents must use an
 * ASCII-compatible encoding (UTF-8, ISO-8859-x), as OCI-P documents do.
 *
 * It also bounds what libxml2 would parse in superlinear time: a start tag is
 * parsed whole before any SAX callback (its attribute duplicate check is quadratic
 * in the attribute count), so a tag longer than OCIP_SCAN_MAX_TAG bytes or an
 * element with more than OCIP_SCAN_MAX_ATTRS attributes is refused here, before
 * libxml2 starts on it. libxml2 also looks every prefix up by a linear search of
 * the namespace declarations in scope, so those are bounded too. OCI-P elements
 * carry a handful of short attributes (protocol, xmlns, xmlns:xsi, xsi:type,
 * echo) and a document has two or three declarations in scope at a time, so the
 * bounds are generous.
 *
 * Resumable at any byte: each byte is looked at once (O(bytes)), no allocation,
 * no I/O. */
#ifndef OCIP_SCAN_H
#define OCIP_SCAN_H
#include <stddef.h>

#define OCIP_SCAN_MAX_ATTRS 64u                /* attributes of one element */
#define OCIP_SCAN_MAX_TAG ((size_t)64 * 1024)  /* bytes of one start or end tag, '<' to '>' */
#define OCIP_SCAN_MAX_NS 64u                   /* xmlns / xmlns:p declarations in scope */

typedef enum {
    OCIP_SCAN_MORE = 0,      /* every byte consumed; no event */
    OCIP_SCAN_BEGIN = 1,     /* a document starts: its '<' is byte *used - 1 */
    OCIP_SCAN_END = 2,       /* the root element closed with byte *used - 1 */
    OCIP_SCAN_LIMIT = -1,    /* a bound above was exceeded (error() says which) */
    OCIP_SCAN_PROTOCOL = -2  /* not an XML document stream (error() says why) */
} ocip_scan_status;

typedef struct {
    int state;
    unsigned count;   /* dashes / brackets / match index, per state */
    int slash;        /* last byte of a start tag was '/' */
    size_t depth;     /* open elements */
    size_t tag;       /* bytes of the current tag so far */
    unsigned attrs;   /* attribute values in the current start tag */
    unsigned xmlns;   /* start tag: 0, or 1 + bytes of "xmlns" matched at an attribute name */
    unsigned ns_tag;  /* namespace declarations in the current start tag */
    unsigned ns_scope;/* namespace declarations of the open elements */
    unsigned nns;     /* open elements that declare namespaces: */
    struct { size_t depth; unsigned n; } ns[OCIP_SCAN_MAX_NS];
    const char *error;
} ocip_scan;

void ocip_scan_init(ocip_scan *s);

/* Scans b[0, n) from where the last call stopped. Returns at the first event or
 * error; *used = bytes consumed (all n on OCIP_SCAN_MORE; through the offending
 * byte on an error). After an error the scanner must be initialised again.
 * cut (may be NULL) gets the largest offset k <= *used such that b[0, k) ends
 * between two pieces of markup (in character data, before a '<' or after a
 * markup's '>', never inside a UTF-8 sequence): feeding libxml2 up to there gives
 * it only whole tags, comments and CDATA sections. 0 when there is none. */
int ocip_scan_run(ocip_scan *s, const char *b, size_t n, size_t *used, size_t *cut);

/* Between documents (nothing of a document seen yet). */
int ocip_scan_idle(const ocip_scan *s);

/* Why the last error happened (a fixed English sentence), or "". */
const char *ocip_scan_error(const ocip_scan *s);

#endif
