/* The streaming decoder: SAX2 callbacks of a libxml2 push parser drive a small
 * frame stack; each frame knows what its element is (command, complex value,
 * leaf, table, row, ...) from the catalog, and reports to the sink. The parser
 * context, frame stack and buffers are reused from document to document. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include "runtime/decode.h"

#define XSI_NS "http://www.w3.org/2001/XMLSchema-instance"
#define MAX_DEPTH_CAP 4096u
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
    char *encoding;          /* forced encoding needing conversion, or NULL */
    int force_utf8;          /* forced UTF-8: parse natively, ignore the declaration */
    int ascii;               /* this document is known to be 7-bit: same in any declared
                                ASCII-compatible encoding, so parse it natively too */
    xmlSAXHandler sax;
    xmlParserCtxtPtr ctxt;
    int started;             /* parser got its first bytes for this document */
    char pre[4];             /* first bytes, held back for BOM/encoding detection */
    size_t npre;
    size_t total;            /* bytes fed for this document */
    int status;              /* sticky ocip_dec_status */
    int saw_root, root_done;
    unsigned depth;          /* frames in use */
    frame *frames;           /* max_depth + 1 */
    buf text;                /* text of the current leaf */
    buf keys;                /* keys of frames whose name is not in the catalog */
    buf hkeys;               /* current table: heading keys, NUL-separated */
    size_t nheadings;
    uint32_t table_type;     /* OCITable's type index (OCIP_NONE when absent) */
    uint32_t any_type;       /* xs:anyType: element declared without a type */
    lookup_slot lookup[LOOKUP_SLOTS];
    char msg[256];
};

/* ---- small helpers ---------------------------------------------------- */

static int buf_add(buf *b, const char *s, size_t n) {
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1) cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) return -1;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
}

static void fail(ocip_dec *d, int status, const char *fmt, const char *arg) {
    if (d->status != OCIP_DEC_OK) return;
    d->status = status;
    snprintf(d->msg, sizeof d->msg, fmt, arg ? arg : "");
    if (d->ctxt) xmlStopParser(d->ctxt);
}

#define SINK(d, cb, ...) \
    ((d)->sink.cb && (d)->sink.cb((d)->ud, __VA_ARGS__) != 0 ? sink_stop(d) : 0)
#define SINK0(d, cb) \
    ((d)->sink.cb && (d)->sink.cb((d)->ud) != 0 ? sink_stop(d) : 0)

static int sink_stop(ocip_dec *d) {
    fail(d, OCIP_DEC_SINK, "decoding stopped by the consumer%s", NULL);
    return -1;
}

/* Local part of a QName ("c:ErrorResponse" -> "ErrorResponse"). */
static const char *local_part(const char *s, size_t *len) {
    const char *c = strrchr(s, ':');
    if (c) s = c + 1;
    *len = strlen(s);
    return s;
}

static const char *frame_key(const ocip_dec *d, const frame *f) {
    return f->ckey ? f->ckey : d->keys.p + f->koff;
}

/* Pushes a frame whose key is the snake_case of an element name unknown to the catalog. */
static int key_unknown(ocip_dec *d, frame *f, const char *name) {
    char tmp[KEY_MAX];
    size_t n = ocip_dec_snake(name, strlen(name), tmp, sizeof tmp);
    if (n == 0) n = (size_t)snprintf(tmp, sizeof tmp, "_");
    f->ckey = NULL;
    f->koff = (uint32_t)d->keys.len;
    f->klen = (uint32_t)n;
    if (buf_add(&d->keys, tmp, n + 1) != 0) {
        fail(d, OCIP_DEC_NOMEM, "out of memory%s", NULL);
        return -1;
    }
    return 0;
}

static void key_catalog(ocip_dec *d, frame *f, const ocip_particle *p) {
    f->ckey = ocip_cat_str(d->cat, p->snake); /* koff stays the arena restore point */
    f->klen = (uint32_t)strlen(f->ckey);
}

static uint32_t find_child(ocip_dec *d, uint32_t parent, const char *name) {
    uintptr_t h = ((uintptr_t)name >> 3) ^ ((uintptr_t)parent * 2654435761u);
    lookup_slot *e = &d->lookup[h & (LOOKUP_SLOTS - 1)];
    if (e->name == name && e->type == parent &&
        strcmp(ocip_cat_str(d->cat, d->cat->particles[e->particle].name), name) == 0)
        return e->particle;
    uint32_t pi = ocip_cat_child(d->cat, parent, name, strlen(name));
    if (pi != OCIP_NONE) {
        e->name = name;
        e->type = parent;
        e->particle = pi;
    }
    return pi;
}

/* Top-level items of a complex type's content: a cheap bound on its fields. */
static unsigned field_count(const ocip_dec *d, uint32_t t) {
    if (t == OCIP_NONE) return 0;
    uint32_t p = d->cat->types[t].content;
    return p == OCIP_NONE ? 0 : d->cat->particles[p].count;
}

/* ---- leaf values ------------------------------------------------------ */

static int is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

static void trim(const char **s, size_t *n) {
    while (*n && is_ws(**s)) { (*s)++; (*n)--; }
    while (*n && is_ws((*s)[*n - 1])) (*n)--;
}

static int parse_int(const char *s, size_t n, int64_t *out) {
    trim(&s, &n);
    if (n == 0) return -1;
    int neg = 0;
    size_t i = 0;
    if (s[0] == '+' || s[0] == '-') { neg = s[0] == '-'; i = 1; }
    if (i == n) return -1;
    uint64_t v = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        unsigned dgt = (unsigned)(s[i] - '0');
        if (v > (lim - dgt) / 10) return -1;
        v = v * 10 + dgt;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

static int is_decimal(const char *s, size_t n) {
    size_t i = 0, digits = 0;
    if (n && (s[0] == '+' || s[0] == '-')) i++;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) digits++;
    if (i < n && s[i] == '.') for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++) digits++;
    if (digits && i < n && (s[i] == 'e' || s[i] == 'E')) {
        size_t e = 0;
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) i++;
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) e++;
        if (!e) return 0;
    }
    return digits > 0 && i == n;
}

/* Typed value of leaf text; anything that does not parse stays a string. */
static ocip_val leaf_value(unsigned prim, const char *s, size_t n) {
    ocip_val v = {OCIP_VAL_STRING, s, n, 0};
    const char *t = s;
    size_t tn = n;
    switch (prim) {
    case OCIP_PRIM_INT:
    case OCIP_PRIM_LONG:
        if (parse_int(s, n, &v.i) == 0) v.kind = OCIP_VAL_INT;
        break;
    case OCIP_PRIM_BOOLEAN:
        trim(&t, &tn);
        if ((tn == 4 && !memcmp(t, "true", 4)) || (tn == 1 && t[0] == '1')) {
            v.kind = OCIP_VAL_BOOL; v.i = 1;
        } else if ((tn == 5 && !memcmp(t, "false", 5)) || (tn == 1 && t[0] == '0')) {
            v.kind = OCIP_VAL_BOOL; v.i = 0;
        }
        break;
    case OCIP_PRIM_DECIMAL:
    case OCIP_PRIM_FLOAT:
        trim(&t, &tn);
        if (is_decimal(t, tn)) { v.kind = OCIP_VAL_NUMBER; v.s = t; v.n = tn; }
        break;
    default:
        break;
    }
    return v;
}

/* ---- tables ----------------------------------------------------------- */

/* Gives column `nheadings` its record key (unique within the table) and reports it. */
static int add_heading(ocip_dec *d, const char *text, size_t n) {
    char key[KEY_MAX];
    size_t idx = d->nheadings;
    size_t kn = text ? ocip_dec_heading_key(text, n, key, sizeof key - 16) : 0;
    if (kn == 0) kn = (size_t)snprintf(key, sizeof key, "col_%zu", idx + 1);
    size_t base = kn;
    for (unsigned dup = 2;; dup++) {
        const char *p = d->hkeys.p;
        int clash = 0;
        for (size_t i = 0; i < idx && !clash; i++, p += strlen(p) + 1)
            clash = strcmp(p, key) == 0;
        if (!clash) break;
        kn = base + (size_t)snprintf(key + base, sizeof key - base, "_%u", dup);
    }
    if (buf_add(&d->hkeys, key, kn + 1) != 0) {
        fail(d, OCIP_DEC_NOMEM, "out of memory%s", NULL);
        return -1;
    }
    d->nheadings++;
    return SINK(d, heading, idx, text, text ? n : 0, key, kn);
}

/* ---- SAX callbacks ---------------------------------------------------- */

typedef struct {
    const char *type;     /* xsi:type local part, or NULL */
    size_t tlen;
    int nil;
} xsi_attrs;

static int is_xsi_attr(const xmlChar **a) {
    /* a[1] prefix, a[2] URI; an undeclared prefix arrives without URI */
    return a[1] && (!a[2] || strcmp((const char *)a[2], XSI_NS) == 0);
}

static xsi_attrs scan_xsi(int nb, const xmlChar **atts, char *tbuf, size_t tsize) {
    xsi_attrs x = {NULL, 0, 0};
    for (int i = 0; i < nb; i++) {
        const xmlChar **a = atts + 5 * i;
        if (!is_xsi_attr(a)) continue;
        const char *ln = (const char *)a[0];
        size_t vn = (size_t)(a[4] - a[3]);
        if (strcmp(ln, "type") == 0 && vn < tsize) {
            memcpy(tbuf, a[3], vn);
            tbuf[vn] = '\0';
            size_t l;
            const char *lp = local_part(tbuf, &l);
            while (l && is_ws(lp[l - 1])) l--;
            while (l && is_ws(*lp)) { lp++; l--; }
            x.type = lp;
            x.tlen = l;
        } else if (strcmp(ln, "nil") == 0) {
            const char *v = (const char *)a[3];
            x.nil = (vn == 4 && !memcmp(v, "true", 4)) || (vn == 1 && v[0] == '1');
        }
    }
    return x;
}

/* Command attributes other than xsi:*: echo -> "_echo", type (ErrorResponse's
 * severity) -> "type", any other -> "_" .. snake(name). */
static int command_attrs(ocip_dec *d, int nb, const xmlChar **atts) {
    for (int i = 0; i < nb && d->status == OCIP_DEC_OK; i++) {
        const xmlChar **a = atts + 5 * i;
        if (a[1]) continue; /* prefixed: xsi:* or foreign */
        const char *ln = (const char *)a[0];
        char key[KEY_MAX];
        size_t kn;
        if (strcmp(ln, "type") == 0) {
            kn = (size_t)snprintf(key, sizeof key, "type");
        } else {
            key[0] = '_';
            kn = 1 + ocip_dec_snake(ln, strlen(ln), key + 1, sizeof key - 1);
        }
        ocip_val v = {OCIP_VAL_STRING, (const char *)a[3], (size_t)(a[4] - a[3]), 0};
        if (SINK(d, field, key, kn, 0u, &v) != 0) return -1;
    }
    return 0;
}

static const char *strip_prefix(const char *name) {
    const char *c = strchr(name, ':');
    return c ? c + 1 : name;
}

/* Sets up frame f for a child element `name` of a complex value of type `parent`
 * (OCIP_NONE when unknown) and reports its opening. */
static void child_of_complex(ocip_dec *d, frame *f, uint32_t parent, const char *name,
                             int nb, const xmlChar **atts) {
    const ocip_catalog *c = d->cat;
    char tbuf[KEY_MAX];
    xsi_attrs x = scan_xsi(nb, atts, tbuf, sizeof tbuf);
    uint32_t pi = parent == OCIP_NONE ? OCIP_NONE : find_child(d, parent, name);
    if (pi == OCIP_NONE) {
        if (key_unknown(d, f, name) != 0) return;
        f->flags = OCIP_DF_UNKNOWN;
        f->kind = x.nil ? F_NIL : F_LEAF;
        f->prim = OCIP_PRIM_STRING;
        return;
    }
    const ocip_particle *p = &c->particles[pi];
    key_catalog(d, f, p);
    f->flags = (p->flags & OCIP_PF_LIST) ? OCIP_DF_LIST : 0;
    if (x.nil) { f->kind = F_NIL; return; }
    uint32_t t = p->type;
    const ocip_type *ty = t == OCIP_NONE ? NULL : &c->types[t];
    if (!ty || t == d->any_type) { /* untyped: text, or nested content like an unknown */
        f->kind = F_LEAF;
        f->prim = OCIP_PRIM_STRING;
        return;
    }
    if (ty->kind == OCIP_TYPE_SIMPLE) { f->kind = F_LEAF; f->prim = ty->prim; return; }
    const char *xt = NULL;
    if (x.type) {
        uint32_t ct = ocip_cat_find_n(c, x.type, x.tlen);
        if (ct != OCIP_NONE && c->types[ct].kind == OCIP_TYPE_COMPLEX) { t = ct; ty = &c->types[t]; }
        xt = x.type; /* reported even when unknown, so the value keeps its concrete type */
    }
    if (ty->role == OCIP_ROLE_TABLE ||
        (d->table_type != OCIP_NONE && ocip_cat_derives(c, t, d->table_type))) {
        f->kind = F_TABLE;
        d->hkeys.len = 0;
        d->nheadings = 0;
        SINK(d, table_begin, f->ckey, f->klen, (unsigned)f->flags);
        return;
    }
    f->kind = F_COMPLEX;
    f->type = t;
    SINK(d, open, f->ckey, f->klen, (unsigned)f->flags, xt, xt ? x.tlen : 0, field_count(d, t));
}

/* A pending leaf got a child element: it becomes nested unknown content. */
static void leaf_to_open(ocip_dec *d, frame *f) {
    f->kind = F_OPEN;
    f->flags |= OCIP_DF_UNKNOWN;
    SINK(d, open, frame_key(d, f), f->klen, (unsigned)f->flags, NULL, 0, 0u);
}

static void on_start(void *ctx, const xmlChar *localname, const xmlChar *prefix,
                     const xmlChar *URI, int nb_namespaces, const xmlChar **namespaces,
                     int nb_attributes, int nb_defaulted, const xmlChar **atts) {
    ocip_dec *d = ctx;
    (void)prefix; (void)URI; (void)nb_namespaces; (void)namespaces; (void)nb_defaulted;
    if (d->status != OCIP_DEC_OK) return;
    const char *name = strip_prefix((const char *)localname);
    d->text.len = 0;
    if (d->depth >= d->max_depth) {
        char n[32];
        snprintf(n, sizeof n, "%u", d->max_depth);
        fail(d, OCIP_DEC_LIMIT, "document nesting deeper than max_depth (%s)", n);
        return;
    }
    frame *f = &d->frames[d->depth];
    memset(f, 0, sizeof *f);
    f->type = OCIP_NONE;
    f->koff = (uint32_t)d->keys.len; /* frames without an own key keep the arena as is */
    if (d->depth == 0) {
        if (d->root_done || strcmp(name, "BroadsoftDocument") != 0) {
            fail(d, OCIP_DEC_PROTOCOL,
                 "not an OCI-P document (root element <%s>, expected <BroadsoftDocument>)", name);
            return;
        }
        d->saw_root = 1;
        f->kind = F_ROOT;
        d->depth++;
        return;
    }
    frame *up = &d->frames[d->depth - 1];
    d->depth++;
    switch (up->kind) {
    case F_ROOT:
        if (strcmp(name, "sessionId") == 0) {
            f->kind = F_SESSION;
        } else if (strcmp(name, "command") == 0) {
            char tbuf[KEY_MAX];
            xsi_attrs x = scan_xsi(nb_attributes, atts, tbuf, sizeof tbuf);
            if (!x.type || x.tlen == 0) {
                fail(d, OCIP_DEC_PROTOCOL, "<command> without xsi:type%s", NULL);
                return;
            }
            f->kind = F_COMMAND;
            f->type = ocip_cat_find_n(d->cat, x.type, x.tlen);
            if (f->type != OCIP_NONE && d->cat->types[f->type].kind != OCIP_TYPE_COMPLEX)
                f->type = OCIP_NONE;
            if (SINK(d, command_begin, x.type, x.tlen, field_count(d, f->type)) != 0) return;
            command_attrs(d, nb_attributes, atts);
        } else {
            f->kind = F_SKIP;
        }
        break;
    case F_COMMAND:
    case F_COMPLEX:
    case F_OPEN:
        child_of_complex(d, f, up->kind == F_OPEN ? OCIP_NONE : up->type, name,
                         nb_attributes, atts);
        break;
    case F_LEAF:
        leaf_to_open(d, up);
        if (d->status == OCIP_DEC_OK)
            child_of_complex(d, f, OCIP_NONE, name, nb_attributes, atts);
        break;
    case F_TABLE:
        if (strcmp(name, "colHeading") == 0) {
            f->kind = F_HEADING;
        } else if (strcmp(name, "row") == 0) {
            f->kind = F_ROW;
            SINK0(d, row_begin);
        } else { /* unknown table child: kept as a field of the table value */
            child_of_complex(d, f, OCIP_NONE, name, nb_attributes, atts);
        }
        break;
    case F_ROW:
        if (strcmp(name, "col") == 0) {
            f->kind = F_COL;
            f->col = up->col++;
        } else {
            f->kind = F_SKIP;
        }
        break;
    default: /* F_SESSION, F_SKIP, F_NIL, F_HEADING, F_COL: content not wanted */
        f->kind = F_SKIP;
        break;
    }
}

static void on_end(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *URI) {
    ocip_dec *d = ctx;
    (void)localname; (void)prefix; (void)URI;
    if (d->status != OCIP_DEC_OK || d->depth == 0) return;
    frame *f = &d->frames[--d->depth];
    const char *t = d->text.p ? d->text.p : "";
    size_t tn = d->text.len;
    switch (f->kind) {
    case F_ROOT:
        d->root_done = 1;
        break;
    case F_SESSION:
        SINK(d, session_id, t, tn);
        break;
    case F_COMMAND:
        SINK0(d, command_end);
        break;
    case F_COMPLEX:
    case F_OPEN:
        SINK0(d, close);
        break;
    case F_LEAF: {
        ocip_val v = leaf_value(f->prim, t, tn);
        SINK(d, field, frame_key(d, f), f->klen, (unsigned)f->flags, &v);
        break;
    }
    case F_NIL: {
        ocip_val v = {OCIP_VAL_NIL, NULL, 0, 0};
        SINK(d, field, frame_key(d, f), f->klen, (unsigned)f->flags, &v);
        break;
    }
    case F_TABLE:
        SINK0(d, table_end);
        break;
    case F_HEADING:
        add_heading(d, t, tn);
        break;
    case F_ROW:
        SINK0(d, row_end);
        break;
    case F_COL:
        while (d->status == OCIP_DEC_OK && f->col >= d->nheadings) add_heading(d, NULL, 0);
        if (tn > 0 && d->status == OCIP_DEC_OK) SINK(d, col, (size_t)f->col, t, tn);
        break;
    default:
        break;
    }
    d->keys.len = f->koff; /* drop this frame's own key, if it had one */
    d->text.len = 0;
}

static void on_text(void *ctx, const xmlChar *ch, int len) {
    ocip_dec *d = ctx;
    if (d->status != OCIP_DEC_OK || d->depth == 0 || len <= 0) return;
    uint8_t k = d->frames[d->depth - 1].kind;
    if (k != F_LEAF && k != F_SESSION && k != F_HEADING && k != F_COL) return;
    if (buf_add(&d->text, (const char *)ch, (size_t)len) != 0)
        fail(d, OCIP_DEC_NOMEM, "out of memory%s", NULL);
}

static void on_doctype(void *ctx, const xmlChar *name, const xmlChar *ext, const xmlChar *sys) {
    (void)name; (void)ext; (void)sys;
    fail(ctx, OCIP_DEC_PROTOCOL, "DOCTYPE is not allowed in an OCI-P document%s", NULL);
}

static void on_entity_decl(void *ctx, const xmlChar *name, int type, const xmlChar *publicId,
                           const xmlChar *systemId, xmlChar *content) {
    (void)name; (void)type; (void)publicId; (void)systemId; (void)content;
    fail(ctx, OCIP_DEC_PROTOCOL, "entity declarations are not allowed%s", NULL);
}

static xmlEntityPtr on_get_entity(void *ctx, const xmlChar *name) {
    /* only the predefined entities exist (libxml2 resolves those before asking) */
    (void)name;
    fail(ctx, OCIP_DEC_PROTOCOL, "undefined entity reference%s", NULL);
    return NULL;
}

static void on_error(void *ctx, xmlErrorPtr err) {
    ocip_dec *d = ctx;
    if (!err || err->level < XML_ERR_FATAL) return; /* namespace errors etc.: tolerated */
    char m[200];
    snprintf(m, sizeof m, "line %d: %s", err->line, err->message ? err->message : "?");
    size_t n = strlen(m);
    while (n && (m[n - 1] == '\n' || m[n - 1] == ' ')) m[--n] = '\0';
    fail(d, OCIP_DEC_PROTOCOL, "malformed XML: %s", m);
}

/* ---- lifecycle -------------------------------------------------------- */

static void setup_sax(xmlSAXHandler *s) {
    memset(s, 0, sizeof *s);
    s->initialized = XML_SAX2_MAGIC;
    s->startElementNs = on_start;
    s->endElementNs = on_end;
    s->characters = on_text;
    s->cdataBlock = on_text;
    s->internalSubset = on_doctype;
    s->externalSubset = on_doctype;
    s->entityDecl = on_entity_decl;
    s->getEntity = on_get_entity;
    s->getParameterEntity = on_get_entity;
    s->serror = on_error;
}

ocip_dec *ocip_dec_new(const ocip_catalog *cat, const ocip_dec_sink *sink, void *ud,
                       const ocip_dec_opts *opts) {
    if (!cat || !sink) return NULL;
    ocip_dec *d = calloc(1, sizeof *d);
    if (!d) return NULL;
    d->cat = cat;
    d->sink = *sink;
    d->ud = ud;
    d->max_size = opts && opts->max_size ? opts->max_size : OCIP_DEC_DEFAULT_MAX_SIZE;
    d->max_depth = opts && opts->max_depth ? opts->max_depth : OCIP_DEC_DEFAULT_MAX_DEPTH;
    if (d->max_depth > MAX_DEPTH_CAP) d->max_depth = MAX_DEPTH_CAP;
    d->table_type = ocip_cat_find(cat, "OCITable");
    d->any_type = ocip_cat_find(cat, "xs:anyType");
    xmlInitParser();
    if (opts && opts->encoding) {
        xmlCharEncodingHandlerPtr h = xmlFindCharEncodingHandler(opts->encoding);
        if (!h) { free(d); return NULL; }
        xmlCharEncCloseFunc(h);
        if (!xmlStrcasecmp(BAD_CAST opts->encoding, BAD_CAST "UTF-8") ||
            !xmlStrcasecmp(BAD_CAST opts->encoding, BAD_CAST "UTF8")) {
            d->force_utf8 = 1;
        } else {
            d->encoding = strdup(opts->encoding);
            if (!d->encoding) { free(d); return NULL; }
        }
    }
    d->frames = calloc(d->max_depth + 1, sizeof *d->frames);
    setup_sax(&d->sax);
    if (d->frames) d->ctxt = xmlCreatePushParserCtxt(&d->sax, d, NULL, 0, NULL);
    if (!d->frames || !d->ctxt) { ocip_dec_free(d); return NULL; }
    return d;
}

void ocip_dec_free(ocip_dec *d) {
    if (!d) return;
    if (d->ctxt) xmlFreeParserCtxt(d->ctxt);
    free(d->frames);
    free(d->text.p);
    free(d->keys.p);
    free(d->hkeys.p);
    free(d->encoding);
    free(d);
}

int ocip_dec_reset(ocip_dec *d, void *ud) {
    d->ud = ud;
    d->started = 0;
    d->npre = 0;
    d->total = 0;
    d->status = OCIP_DEC_OK;
    d->saw_root = d->root_done = 0;
    d->depth = 0;
    d->text.len = d->keys.len = d->hkeys.len = 0;
    d->nheadings = 0;
    d->ascii = 0;
    d->msg[0] = '\0';
    return 0;
}

/* Starts the parser on the held-back first bytes, so BOM and declaration detection
 * see at least 4 bytes whatever the chunking. */
static int start(ocip_dec *d) {
    d->started = 1;
    if (xmlCtxtResetPush(d->ctxt, d->pre, (int)d->npre, NULL, d->encoding) != 0) {
        fail(d, OCIP_DEC_NOMEM, "cannot start the XML parser%s", NULL);
        return -1;
    }
    d->ctxt->userData = d;
    int ignore = d->encoding || d->force_utf8 || d->ascii;
    d->ctxt->options &= ~XML_PARSE_IGNORE_ENC; /* options survive resets; this one must not */
    xmlCtxtUseOptions(d->ctxt, XML_PARSE_NONET | (ignore ? XML_PARSE_IGNORE_ENC : 0));
    return 0;
}

static int push(ocip_dec *d, const char *p, size_t n, int terminate) {
    while (d->status == OCIP_DEC_OK && (n > 0 || terminate)) {
        int step = n > (1u << 30) ? 1 << 30 : (int)n;
        xmlParseChunk(d->ctxt, p, step, terminate && (size_t)step == n);
        if (!d->ctxt->wellFormed && d->status == OCIP_DEC_OK)
            fail(d, OCIP_DEC_PROTOCOL, "malformed XML%s", NULL);
        p += step;
        n -= (size_t)step;
        if (n == 0) break;
    }
    return d->status;
}

int ocip_dec_feed(ocip_dec *d, const char *chunk, size_t len) {
    if (d->status != OCIP_DEC_OK) return d->status;
    if (len > d->max_size - d->total) {
        char n[32];
        snprintf(n, sizeof n, "%zu", d->max_size);
        fail(d, OCIP_DEC_LIMIT, "document larger than max_size (%s bytes)", n);
        return d->status;
    }
    d->total += len;
    if (!d->started) {
        size_t take = sizeof d->pre - d->npre;
        if (take > len) take = len;
        memcpy(d->pre + d->npre, chunk, take);
        d->npre += take;
        chunk += take;
        len -= take;
        if (d->npre < sizeof d->pre) return OCIP_DEC_OK;
        if (start(d) != 0) return d->status;
    }
    return len ? push(d, chunk, len, 0) : d->status;
}

int ocip_dec_finish(ocip_dec *d) {
    if (d->status != OCIP_DEC_OK) return d->status;
    if (!d->started && start(d) != 0) return d->status;
    push(d, NULL, 0, 1);
    if (d->status == OCIP_DEC_OK && (!d->saw_root || !d->root_done))
        fail(d, OCIP_DEC_PROTOCOL, "incomplete OCI-P document%s", NULL);
    return d->status;
}

const char *ocip_dec_message(const ocip_dec *d) { return d->msg; }

/* 7-bit text without NUL reads the same in every ASCII-compatible encoding
 * (UTF-16 would show NULs), so the declared encoding need not be applied. */
static int is_ascii(const char *p, size_t n) {
    unsigned char acc = 0;
    int nul = 0;
    for (size_t i = 0; i < n; i++) {
        acc |= (unsigned char)p[i];
        nul |= p[i] == 0;
    }
    return !(acc & 0x80) && !nul;
}

/* Is the encoding named in the XML declaration (if any) a supported one that
 * agrees with ASCII on 7-bit text? Anything else keeps the normal path, so an
 * unknown or exotic name (UTF-7, EBCDIC) is judged by libxml2 as when streaming. */
static int ascii_compatible_decl(const char *p, size_t n) {
    if (n < 5 || memcmp(p, "<?xml", 5) != 0) return 1; /* no declaration: UTF-8 */
    size_t end = 5;
    while (end + 1 < n && end < 512 && !(p[end] == '?' && p[end + 1] == '>')) end++;
    const char *e = NULL;
    for (size_t i = 5; i + 8 < end; i++)
        if (memcmp(p + i, "encoding", 8) == 0) { e = p + i + 8; break; }
    if (!e) return 1;
    const char *lim = p + end;
    while (e < lim && (is_ws(*e) || *e == '=')) e++;
    if (e >= lim || (*e != '"' && *e != '\'')) return 0;
    char q = *e++, name[64];
    size_t k = 0;
    while (e < lim && *e != q && k + 1 < sizeof name) name[k++] = *e++;
    name[k] = '\0';
    static const char *const ok[] = {"ISO-8859-", "ISO8859", "UTF-8", "UTF8", "US-ASCII",
                                     "ASCII", "LATIN", "WINDOWS-125", "CP125"};
    int known = 0;
    for (size_t i = 0; i < sizeof ok / sizeof *ok && !known; i++)
        known = xmlStrncasecmp(BAD_CAST name, BAD_CAST ok[i], xmlStrlen(BAD_CAST ok[i])) == 0;
    if (!known) return 0;
    xmlCharEncodingHandlerPtr h = xmlFindCharEncodingHandler(name);
    if (!h) return 0;
    xmlCharEncCloseFunc(h);
    return 1;
}

int ocip_dec_whole(ocip_dec *d, const char *doc, size_t len) {
    if (d->status == OCIP_DEC_OK && !d->started && d->npre == 0 && !d->encoding)
        d->ascii = is_ascii(doc, len) && ascii_compatible_decl(doc, len);
    int st = ocip_dec_feed(d, doc, len);
    return st == OCIP_DEC_OK ? ocip_dec_finish(d) : st;
}

int ocip_dec_document(const ocip_catalog *cat, const ocip_dec_sink *sink, void *ud,
                      const ocip_dec_opts *opts, const char *doc, size_t len,
                      char *msg, size_t msg_size) {
    ocip_dec *d = ocip_dec_new(cat, sink, ud, opts);
    if (!d) {
        if (msg && msg_size) snprintf(msg, msg_size, "out of memory or unknown encoding");
        return OCIP_DEC_NOMEM;
    }
    int st = ocip_dec_whole(d, doc, len);
    if (msg && msg_size) snprintf(msg, msg_size, "%s", d->msg);
    ocip_dec_free(d);
    return st;
}
