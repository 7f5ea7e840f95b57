/* Lookup over the compiled-in OCI-P catalog (gen/catalog.inc). The data is
 * read-only and index-based; these functions only search it. */
#include "runtime/catalog.h"

#include <string.h>

#include "gen/catalog.inc"

const ocip_catalog *ocip_catalog_get(void) { return &ocip_the_catalog; }

const char *ocip_cat_str(const ocip_catalog *c, uint32_t off)
{
    if (off == OCIP_NONE || off >= c->strings_size) return NULL;
    return c->strings + off;
}

/* strcmp order between a NUL-terminated name and a (name, len) key. */
static int cmp_n(const char *name, const char *key, size_t len)
{
    int r = strncmp(name, key, len);
    if (r != 0) return r;
    return name[len] == '\0' ? 0 : 1;
}

uint32_t ocip_cat_find_n(const ocip_catalog *c, const char *name, size_t len)
{
    uint32_t lo = 0, hi = c->type_count;
    if (!name) return OCIP_NONE;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int r = cmp_n(c->strings + c->types[mid].name, name, len);
        if (r == 0) return mid;
        if (r < 0) lo = mid + 1;
        else hi = mid;
    }
    return OCIP_NONE;
}

uint32_t ocip_cat_find(const ocip_catalog *c, const char *name)
{
    return name ? ocip_cat_find_n(c, name, strlen(name)) : OCIP_NONE;
}

/* Depth-first search of a group particle for an element named (name, len).
 * Content models are trees of bounded depth (the XSD nesting), so recursion is fine. */
static uint32_t child_in(const ocip_catalog *c, uint32_t part, const char *name, size_t len)
{
    const ocip_particle *p = &c->particles[part];
    if (p->kind == OCIP_PART_ELEMENT)
        return cmp_n(c->strings + p->name, name, len) == 0 ? part : OCIP_NONE;
    for (uint32_t i = 0; i < p->count; i++) {
        uint32_t r = child_in(c, c->children[p->first + i], name, len);
        if (r != OCIP_NONE) return r;
    }
    return OCIP_NONE;
}

uint32_t ocip_cat_child(const ocip_catalog *c, uint32_t type, const char *name, size_t len)
{
    if (type >= c->type_count || !name) return OCIP_NONE;
    const ocip_type *t = &c->types[type];
    if (t->kind != OCIP_TYPE_COMPLEX || t->content == OCIP_NONE) return OCIP_NONE;
    return child_in(c, t->content, name, len);
}

int ocip_cat_columns(const ocip_catalog *c, uint32_t type, const char *name, size_t len,
                     uint32_t *first, uint32_t *count)
{
    uint32_t lo = 0, hi = c->hint_count;
    if (!name || !first || !count) return 0;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        const ocip_column_hint *h = &c->hints[mid];
        int r = h->type < type ? -1 : h->type > type ? 1 : cmp_n(c->strings + h->elem, name, len);
        if (r == 0) {
            *first = h->first;
            *count = h->count;
            return 1;
        }
        if (r < 0) lo = mid + 1;
        else hi = mid;
    }
    return 0;
}

int ocip_cat_derives(const ocip_catalog *c, uint32_t t, uint32_t ancestor)
{
    /* Base chains are acyclic (the generator checks); the bound only guards misuse. */
    for (uint32_t steps = 0; t < c->type_count && steps <= c->type_count; steps++) {
        if (t == ancestor) return 1;
        t = c->types[t].base;
    }
    return 0;
}
