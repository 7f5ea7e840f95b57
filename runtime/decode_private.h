/* Internal to runtime/decode*.c: the decoder's state and what its files share.
 * decode.c: lifecycle and feeding; decode_sax.c: the SAX handlers guided by the
 * catalog; decode_value.c: typed leaf values; decode_charset.c: encodings. */
#ifndef OCIP_RUNTIME_DECODE_PRIVATE_H
#define OCIP_RUNTIME_DECODE_PRIVATE_H
#include <libxml/parser.h>
#include "runtime/decode.h"
#include "runtime/scan.h"

#define KEY_MAX 256

typedef enum {
    F_ROOT,    /* BroadsoftDocument */
    F_SESSION, /* sessionId: text */
    F_SKIP,    /* ignored subtree (other children of the root, junk inside rows) */
    F_COMMAND, /* <command xsi:type=...> */
    F_COMPLEX, /* nested complex value, reported with open/close */
    F_LEAF,    /* pending value: leaf text, or turns into F_OPEN on a child */
    F_OPEN,    /* a pending value that got children: unknown nested content */
    F_NIL,     /* xsi:nil="true": reported at its end, content ignored */
    F_TABLE,   /* OCITable */
    F_HEADING, /* colHeading */
    F_ROW,     /* row */
    F_COL      /* col */
} fkind;

typedef struct {
    uint8_t kind;
    uint8_t prim;      /* F_LEAF: ocip_prim; OCIP_PRIM_STRING for unknown elements */
    uint8_t flags;     /* OCIP_DF_* of the key */
    uint32_t type;     /* F_COMMAND/F_COMPLEX: catalog type index or OCIP_NONE */
    const char *ckey;  /* key in the catalog's string pool, or NULL: key lives in d->keys */
    uint32_t koff;     /* own key's offset in d->keys; also where the arena is cut back to */
    uint32_t klen;
    uint32_t col;      /* F_ROW: next column index; F_COL: this column's index */
} frame;

typedef struct { char *p; size_t len, cap; } buf;

/* A table's heading keys are kept unique through a hash set over d->hkeys, so a
 * document full of equal or generated headings costs linear time. Columns are
 * capped: a wider table is refused as a limit, which also bounds the set. */
#define HEAD_MAX 1024u
#define HEAD_SLOTS 2048u /* power of two, >= 2 * HEAD_MAX */
typedef struct {
    uint32_t off;  /* 1 + the key's offset in d->hkeys; 0: empty slot */
    uint32_t next; /* next duplicate suffix to try with this key as the base */
} head_slot;

/* Child lookups hit a small direct-mapped cache keyed by (parent type, element
 * name as interned by the parser's dictionary, which lives as long as the
 * context). A hit is verified against the particle's name, so a stale entry can
 * only cost a miss. */
#define LOOKUP_SLOTS 1024u
typedef struct { const void *name; uint32_t type, particle; } lookup_slot;

struct ocip_dec {
    const ocip_catalog *cat;
    ocip_dec_sink sink;
    void *ud;
    size_t max_size;
    unsigned max_depth;
    size_t piece;            /* bytes scanned before handing what is whole to libxml2 */
    char *encoding;          /* forced encoding needing conversion, or NULL */
    int force_utf8;          /* forced UTF-8: parse natively, ignore the declaration */
    int latin1;              /* fed in scanned pieces and declared ISO-8859-1: each piece
                                is turned into UTF-8 here (only when it has 8-bit bytes)
                                and parsed natively, not by libxml2's converter */
    buf conv;                /* the UTF-8 of such a piece */
    int ascii;               /* this document is known to be 7-bit: same in any declared
                                ASCII-compatible encoding, so parse it natively too */
    xmlSAXHandler sax;
    xmlParserCtxtPtr ctxt;
    ocip_scan guard;         /* runs over every byte before libxml2 does (scan.h bounds) */
    buf hold;                /* bytes after the last safe cut, waiting for the next feed */
    int started;             /* parser got its first bytes for this document */
    int big_input;           /* a piece over KEEP_BUF went to libxml2 (its buffer grew) */
    char pre[4];             /* first bytes, held back for BOM/encoding detection */
    size_t npre;
    size_t total;            /* bytes fed for this document */
    int status;              /* sticky ocip_dec_status */
    int saw_root, root_done;
    unsigned diagnostics;    /* non-fatal libxml2 errors and warnings in this document */
    unsigned depth;          /* frames in use */
    frame *frames;           /* max_depth + 1 */
    buf text;                /* text of the current leaf */
    buf keys;                /* keys of frames whose name is not in the catalog */
    buf hkeys;               /* current table: heading keys, NUL-separated */
    size_t nheadings;
    head_slot hset[HEAD_SLOTS]; /* current table's heading keys */
    uint32_t table_type;     /* OCITable's type index (OCIP_NONE when absent) */
    uint32_t any_type;       /* xs:anyType: element declared without a type */
    lookup_slot lookup[LOOKUP_SLOTS];
    char msg[256];
};

static inline int dec_is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* decode.c */
int dec_buf_add(buf *b, const char *s, size_t n);   /* appends + NUL; -1 on no memory */
/* Records the first error (fmt has one %s for arg) and stops the parser. */
void dec_fail(ocip_dec *d, int status, const char *fmt, const char *arg);

/* decode_sax.c: the handlers, with the decoder as their context. */
void dec_setup_sax(xmlSAXHandler *s);

/* decode_value.c: typed value of leaf text; anything that does not parse stays a string. */
ocip_val dec_leaf_value(unsigned prim, const char *s, size_t n);

/* decode_charset.c */
/* Forced encoding (opts->encoding): -1 when libxml2 does not know it or on no memory. */
int dec_force_encoding(ocip_dec *d, const char *name);
/* A whole document that is 7-bit and declares an ASCII-compatible encoding (or none):
 * it can be parsed natively whatever its declaration says. */
int dec_plain_ascii(const char *doc, size_t len);
/* Does the document starting at p declare ISO-8859-1 (an XML declaration within p[0, n))? */
int dec_declares_latin1(const char *p, size_t n);
/* p[0, n) has a byte >= 0x80 (8 bytes at a time). */
int dec_has_8bit(const char *p, size_t n);
/* ISO-8859-1 -> UTF-8 into out (2n bytes at most); -1 on no memory. */
int dec_latin1_to_utf8(buf *out, const char *p, size_t n);

#endif
