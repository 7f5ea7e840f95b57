/* Streaming OCI-P document decoder: libxml2 SAX2 push parser, guided by the
 * catalog, reporting a typed tree to sink callbacks (no DOM, no Lua).
 *
 * Works for response and request documents alike: each <command>'s xsi:type
 * (QName; any prefix, declared or not) names a catalog type, and every child
 * element is looked up in it. Leaf text is kept exactly (CDATA included) and
 * handed over as UTF-8 whatever the document's encoding. Elements the catalog
 * does not know are reported as unknown (string, or nested when they have
 * children), never dropped. DOCTYPE is refused (so no entity can be declared,
 * let alone expanded), the network is never touched, and document size and
 * element depth are bounded. */
#ifndef OCIP_DECODE_H
#define OCIP_DECODE_H
#include <stddef.h>
#include <stdint.h>
#include "runtime/catalog.h"

#define OCIP_DEC_DEFAULT_MAX_SIZE ((size_t)64 * 1024 * 1024)
#define OCIP_DEC_DEFAULT_MAX_DEPTH 64u

typedef enum {
    OCIP_DEC_OK = 0,
    OCIP_DEC_PROTOCOL = 1, /* malformed XML, not an OCI-P document, DOCTYPE */
    OCIP_DEC_LIMIT = 2,    /* max_size or max_depth exceeded */
    OCIP_DEC_NOMEM = 3,
    OCIP_DEC_SINK = 4      /* a sink callback asked to stop */
} ocip_dec_status;

typedef enum {
    OCIP_VAL_STRING = 0, /* s, n: exact text (UTF-8) */
    OCIP_VAL_INT,        /* i (xs:int, xs:long and their restrictions) */
    OCIP_VAL_BOOL,       /* i: 0 or 1 */
    OCIP_VAL_NUMBER,     /* s, n: decimal/float literal, already checked numeric */
    OCIP_VAL_NIL         /* xsi:nil="true" */
} ocip_val_kind;

typedef struct {
    ocip_val_kind kind;
    const char *s;
    size_t n;
    int64_t i;
} ocip_val;

/* Field flags passed with every key. */
enum {
    OCIP_DF_LIST = 1u << 0,   /* append to the array at key (created on first item) */
    OCIP_DF_UNKNOWN = 1u << 1 /* not in the catalog: a repeated key turns into an array */
};

/* Callbacks. Keys are snake_case names (NUL-terminated, klen excludes the NUL);
 * pointers are valid only during the call. Every callback returns 0 to go on,
 * nonzero to stop the parse with OCIP_DEC_SINK. Call order forms a tree:
 *   session_id? (command_begin (field | open ... close | table ...)* command_end)*
 * where a table is table_begin heading* (row_begin col* row_end)* table_end
 * (headings may also arrive after rows when a server sends them late). */
typedef struct {
    int (*session_id)(void *ud, const char *s, size_t n);
    /* type: local name of xsi:type. nfields: how many fields the value may get
     * (from the catalog; 0 when unknown), to size the container once. */
    int (*command_begin)(void *ud, const char *type, size_t tlen, unsigned nfields);
    int (*command_end)(void *ud);
    /* A leaf value (also the command's attributes: "_echo", ErrorResponse "type"). */
    int (*field)(void *ud, const char *key, size_t klen, unsigned flags, const ocip_val *v);
    /* A nested complex value; type is the element's xsi:type local name or NULL. */
    int (*open)(void *ud, const char *key, size_t klen, unsigned flags, const char *type,
                size_t tlen, unsigned nfields);
    int (*close)(void *ud);
    /* An OCITable: array of records. */
    int (*table_begin)(void *ud, const char *key, size_t klen, unsigned flags);
    /* Column `index` (0-based) gets record key `key`; heading is the original
     * text (NULL for a synthetic key "col_N" given to a column without heading). */
    int (*heading)(void *ud, size_t index, const char *heading, size_t hlen,
                   const char *key, size_t klen);
    int (*row_begin)(void *ud);
    /* Non-empty column text; empty <col/> is not reported (the key stays absent).
     * Its heading() always came first. */
    int (*col)(void *ud, size_t index, const char *s, size_t n);
    int (*row_end)(void *ud);
    int (*table_end)(void *ud);
} ocip_dec_sink;

typedef struct {
    size_t max_size;       /* bytes; 0 = OCIP_DEC_DEFAULT_MAX_SIZE */
    unsigned max_depth;    /* element nesting; 0 = OCIP_DEC_DEFAULT_MAX_DEPTH */
    const char *encoding;  /* NULL: per BOM/declaration; else forced (declaration ignored),
                              e.g. "UTF-8" for a document unescaped from a SOAP envelope */
    size_t piece;          /* bytes handed to libxml2 at a time (at least, up to a cut
                              between markup); 0 = 64 KiB. Tests and fuzzing use small ones */
} ocip_dec_opts;

typedef struct ocip_dec ocip_dec;

/* opts may be NULL. NULL on no memory or unknown forced encoding. */
ocip_dec *ocip_dec_new(const ocip_catalog *cat, const ocip_dec_sink *sink, void *ud,
                       const ocip_dec_opts *opts);
void ocip_dec_free(ocip_dec *d);

/* Starts over for a new document with the same sink, ud and options (reuses buffers). */
int ocip_dec_reset(ocip_dec *d, void *ud);

/* Frees what the last document grew (buffers over 1 MiB, libxml2's input buffer, a
 * name dictionary of over 20,000 names); the decoder stays as it is otherwise. Call
 * it between documents; reset does. */
void ocip_dec_trim(ocip_dec *d);

/* Feeds bytes (any chunking, 1 byte included). Returns OCIP_DEC_OK or a sticky error. */
int ocip_dec_feed(ocip_dec *d, const char *chunk, size_t len);

/* Feeds bytes that a markup scanner with the same bounds already went over (a framer's
 * pieces, ocip_framer_peek): each piece ends between two pieces of markup, so no second
 * scan is needed. whole: this piece is the whole document (its 7-bit check is done here,
 * as ocip_dec_whole does). A document is fed either this way or by ocip_dec_feed. */
int ocip_dec_feed_scanned(ocip_dec *d, const char *p, size_t len, int whole);

/* Ends the document: OCIP_DEC_OK when it was whole and well formed. */
int ocip_dec_finish(ocip_dec *d);

/* feed + finish of a whole document in one buffer; also spots 7-bit documents,
 * which need no charset conversion whatever their declaration says. */
int ocip_dec_whole(ocip_dec *d, const char *doc, size_t len);

/* Human-readable reason of the last error ("" when none). */
const char *ocip_dec_message(const ocip_dec *d);

/* One-shot convenience: new + feed + finish + free. msg (may be NULL) receives the
 * error text, truncated to msg_size. */
int ocip_dec_document(const ocip_catalog *cat, const ocip_dec_sink *sink, void *ud,
                      const ocip_dec_opts *opts, const char *doc, size_t len,
                      char *msg, size_t msg_size);

/* Record key of a table heading: lowercase ASCII letters, digits and bytes >= 0x80
 * kept, every run of other bytes -> one "_", leading/trailing "_" trimmed
 * ("Line/Port" -> "line_port", "User Id" -> "user_id", "Phone Number (E.164)" ->
 * "phone_number_e_164"). Writes at most out_size-1 bytes + NUL; returns the length. */
size_t ocip_dec_heading_key(const char *s, size_t n, char *out, size_t out_size);

/* snake_case of an XML name, as the catalog makes them ("callingLineIdLastName" ->
 * "calling_line_id_last_name", "SearchCriteriaGroupId" -> "search_criteria_group_id").
 * Used for elements the catalog does not know. Same output contract as above. */
size_t ocip_dec_snake(const char *s, size_t n, char *out, size_t out_size);

#endif
