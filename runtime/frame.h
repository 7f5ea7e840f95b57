/* Incremental OCI-P document framer: bytes in (any chunking), whole documents out.
 * A document ends at the close of its root element, not at a newline, so the
 * framer follows just enough XML structure to find that close (the markup
 * scanner, scan.h): declaration and processing instructions, comments, CDATA,
 * quoted attribute values, self-closing roots. DOCTYPE is refused (OCI-P never
 * sends one). Whitespace and UTF-8 BOMs between documents are dropped. The
 * scanner's bounds (tag length, attributes per element, namespace declarations
 * in scope) fail a hostile document as OCIP_FRAME_LIMIT while it arrives, before
 * anything parses it. Memory is bounded by the document limit plus what the
 * caller feeds ahead; total work is O(bytes). No Lua, no I/O. */
#ifndef OCIP_FRAME_H
#define OCIP_FRAME_H
#include <stddef.h>

#define OCIP_FRAME_DEFAULT_MAX ((size_t)64 * 1024 * 1024)

typedef enum {
    OCIP_FRAME_MORE = 0,     /* no whole document yet: feed more */
    OCIP_FRAME_DOC = 1,      /* a whole document is ready */
    OCIP_FRAME_LIMIT = -1,   /* document larger than the limit, or a scanner bound (sticky) */
    OCIP_FRAME_PROTOCOL = -2,/* not an XML document stream (sticky) */
    OCIP_FRAME_NOMEM = -3    /* allocation failed (sticky) */
} ocip_frame_status;

typedef struct ocip_framer ocip_framer;

/* max_document: largest document accepted, in bytes (0 = default 64 MiB). NULL on no memory. */
ocip_framer *ocip_framer_new(size_t max_document);
void ocip_framer_free(ocip_framer *f);

/* Appends bytes (copied). Returns OCIP_FRAME_MORE, or the sticky error status. */
int ocip_framer_feed(ocip_framer *f, const void *data, size_t len);

/* Scans what was fed so far without consuming: OCIP_FRAME_DOC when a whole
 * document is ready, OCIP_FRAME_MORE, or an error status. Idempotent. */
int ocip_framer_ready(ocip_framer *f);

/* Takes the next whole document. On OCIP_FRAME_DOC, *doc and *len point into the
 * framer's buffer: valid until the next feed or free. Otherwise like ready(). */
int ocip_framer_next(ocip_framer *f, const char **doc, size_t *len);

/* Streaming: the bytes of the current document not taken yet that can be handed to a
 * decoder now. Returns like ready(). On OCIP_FRAME_MORE, the bytes at *p, *len of them, are those scanned
 * so far up to the last point between two pieces of markup (a complete tag, comment,
 * CDATA section; never inside a UTF-8 sequence) — *len may be 0; on OCIP_FRAME_DOC,
 * every remaining byte of the (whole) document. Valid until the next feed or free. */
int ocip_framer_peek(ocip_framer *f, const char **p, size_t *len);

/* Streaming: the first n bytes peek() returned are consumed and dropped (the size
 * limit still counts them). Taking the whole rest of a whole document ends it, as
 * next() does. A document is read either by next() or by peek()/take(), not both. */
void ocip_framer_take(ocip_framer *f, size_t n);

/* The caller is done with the document next() returned (its pointer goes stale):
 * a buffer a big document grew shrinks back now rather than at the next feed. */
void ocip_framer_release(ocip_framer *f);

/* Changes the size limit (0 = default), from the document being scanned on. */
void ocip_framer_set_max(ocip_framer *f, size_t max_document);

/* Bytes held (partial document plus anything fed ahead of it). */
size_t ocip_framer_buffered(const ocip_framer *f);

/* Bytes allocated for the buffer. It grows with a big document and shrinks back
 * (to 1 MiB) on a later feed once it holds little, so a connection that received
 * one big answer does not keep its size. */
size_t ocip_framer_capacity(const ocip_framer *f);

/* True when some bytes of a not yet complete document are held (for EOF reports). */
int ocip_framer_partial(const ocip_framer *f);

/* Why the framer failed (a fixed English sentence), or "" when it did not. */
const char *ocip_framer_error(const ocip_framer *f);

#endif
