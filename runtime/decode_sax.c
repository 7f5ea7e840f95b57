/* The SAX2 handlers: a small frame stack where each frame knows what its element
 * is (command, complex value, leaf, table, row, ...) from the catalog, and reports
 * to the sink. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libxml/parserInternals.h>
#include "runtime/decode_private.h"

#define XSI_NS "http://www.w3.org/2001/XMLSchema-instance"

#define SINK(d, cb, ...) \
    ((d)->sink.cb && (d)->sink.cb((d)->ud, __VA_ARGS__) != 0 ? sink_stop(d) : 0)
#define SINK0(d, cb) \
    ((d)->sink.cb && (d)->sink.cb((d)->ud) != 0 ? sink_stop(d) : 0)

static int sink_stop(ocip_dec *d) {
    dec_fail(d, OCIP_DEC_SINK, "decoding stopped by the consumer%s", NULL);
    return -1;
}

/* ---- keys and catalog lookups ---------------------------------------- */

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
    if (dec_buf_add(&d->keys, tmp, n + 1) != 0) {
        dec_fail(d, OCIP_DEC_NOMEM, "out of memory%s", NULL);
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

/* ---- tables ----------------------------------------------------------- */

/* The set slot holding `key`, or the empty slot where it would go. */
static head_slot *head_find(ocip_dec *d, const char *key, size_t n) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)key[i]) * 16777619u;
    for (uint32_t i = h & (HEAD_SLOTS - 1);; i = (i + 1) & (HEAD_SLOTS - 1)) {
        head_slot *e = &d->hset[i];
        if (e->off == 0 || strcmp(d->hkeys.p + e->off - 1, key) == 0) return e;
    }
}

/* Gives column `nheadings` its record key (unique within the table) and reports it.
 * A clash gets the first free suffix _2, _3, ... counted per base key, so
 * repeated headings do not rescan earlier suffixes. */
static int add_heading(ocip_dec *d, const char *text, size_t n) {
    char key[KEY_MAX];
    size_t idx = d->nheadings;
    if (idx >= HEAD_MAX) {
        char m[32];
        snprintf(m, sizeof m, "%u", HEAD_MAX);
        dec_fail(d, OCIP_DEC_LIMIT, "table has more than %s columns", m);
        return -1;
    }
    size_t kn = text ? ocip_dec_heading_key(text, n, key, sizeof key - 16) : 0;
    if (kn == 0) kn = (size_t)snprintf(key, sizeof key, "col_%zu", idx + 1);
    size_t base = kn;
    head_slot *e = head_find(d, key, kn);
    if (e->off != 0) {
        head_slot *b = e;
        uint32_t dup = b->next ? b->next : 2;
        for (;; dup++) {
            kn = base + (size_t)snprintf(key + base, sizeof key - base, "_%u", (unsigned)dup);
            e = head_find(d, key, kn);
            if (e->off == 0) break;
        }
        b->next = dup + 1;
    }
    uint32_t off = (uint32_t)d->hkeys.len;
    if (dec_buf_add(&d->hkeys, key, kn + 1) != 0) {
        dec_fail(d, OCIP_DEC_NOMEM, "out of memory%s", NULL);
        return -1;
    }
    e->off = off + 1;
    e->next = 0;
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
            while (l && dec_is_ws(lp[l - 1])) l--;
            while (l && dec_is_ws(*lp)) { lp++; l--; }
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
        memset(d->hset, 0, sizeof d->hset);
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
        dec_fail(d, OCIP_DEC_LIMIT, "document nesting deeper than max_depth (%s)", n);
        return;
    }
    frame *f = &d->frames[d->depth];
    memset(f, 0, sizeof *f);
    f->type = OCIP_NONE;
    f->koff = (uint32_t)d->keys.len; /* frames without an own key keep the arena as is */
    if (d->depth == 0) {
        if (d->root_done || strcmp(name, "BroadsoftDocument") != 0) {
            dec_fail(d, OCIP_DEC_PROTOCOL,
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
                dec_fail(d, OCIP_DEC_PROTOCOL, "<command> without xsi:type%s", NULL);
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
            if (up->col >= HEAD_MAX) {
                char m[32];
                snprintf(m, sizeof m, "%u", HEAD_MAX);
                dec_fail(d, OCIP_DEC_LIMIT, "table row has more than %s columns", m);
                return;
            }
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
        ocip_val v = dec_leaf_value(f->prim, t, tn);
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
    if (dec_buf_add(&d->text, (const char *)ch, (size_t)len) != 0)
        dec_fail(d, OCIP_DEC_NOMEM, "out of memory%s", NULL);
}

static void on_doctype(void *ctx, const xmlChar *name, const xmlChar *ext, const xmlChar *sys) {
    (void)name; (void)ext; (void)sys;
    dec_fail(ctx, OCIP_DEC_PROTOCOL, "DOCTYPE is not allowed in an OCI-P document%s", NULL);
}

static void on_entity_decl(void *ctx, const xmlChar *name, int type, const xmlChar *publicId,
                           const xmlChar *systemId, xmlChar *content) {
    (void)name; (void)type; (void)publicId; (void)systemId; (void)content;
    dec_fail(ctx, OCIP_DEC_PROTOCOL, "entity declarations are not allowed%s", NULL);
}

static xmlEntityPtr on_get_entity(void *ctx, const xmlChar *name) {
    /* only the predefined entities exist (libxml2 resolves those before asking) */
    (void)name;
    dec_fail(ctx, OCIP_DEC_PROTOCOL, "undefined entity reference%s", NULL);
    return NULL;
}

/* Non-fatal diagnostics tolerated per document. Real traffic has a few (an
 * undeclared prefix); each one costs libxml2 a formatted message and several
 * allocations, so a document made of them is refused instead of ground through. */
#define DIAG_MAX 1000u

static void on_error(void *ctx, xmlErrorPtr err) {
    ocip_dec *d = ctx;
    if (!err) return;
    if (err->level < XML_ERR_FATAL) { /* namespace errors etc.: tolerated, up to a point */
        if (++d->diagnostics > DIAG_MAX)
            dec_fail(d, OCIP_DEC_LIMIT, "more than 1000 XML namespace errors or warnings%s", NULL);
        return;
    }
    char m[200];
    snprintf(m, sizeof m, "line %d: %s", err->line, err->message ? err->message : "?");
    size_t n = strlen(m);
    while (n && (m[n - 1] == '\n' || m[n - 1] == ' ')) m[--n] = '\0';
    dec_fail(d, OCIP_DEC_PROTOCOL, "malformed XML: %s", m);
}

void dec_setup_sax(xmlSAXHandler *s) {
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

