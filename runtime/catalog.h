/* The OCI-P command catalog: read-only facts generated from the XSD release
 * (gen/catalog.inc, committed). Everything is an index into static arrays, so
 * startup costs nothing and no pointer needs relocating. */
#ifndef OCIP_CATALOG_H
#define OCIP_CATALOG_H

#include <stddef.h>
#include <stdint.h>

#define OCIP_NONE 0xFFFFFFFFu      /* "no value" for any index or string offset */
#define OCIP_UNBOUNDED 0xFFFFu     /* max_occurs of maxOccurs="unbounded" */

/* Primitive (built-in XSD) type at the root of a simple type's restriction chain. */
typedef enum {
    OCIP_PRIM_STRING = 0, /* xs:string */
    OCIP_PRIM_NORMALIZED, /* xs:normalizedString */
    OCIP_PRIM_TOKEN,      /* xs:token */
    OCIP_PRIM_NMTOKEN,    /* xs:NMTOKEN */
    OCIP_PRIM_INT,        /* xs:int */
    OCIP_PRIM_LONG,       /* xs:long */
    OCIP_PRIM_BOOLEAN,    /* xs:boolean */
    OCIP_PRIM_DECIMAL,    /* xs:decimal */
    OCIP_PRIM_FLOAT,      /* xs:float */
    OCIP_PRIM_DATETIME,   /* xs:dateTime */
    OCIP_PRIM_DATE,       /* xs:date */
    OCIP_PRIM_BASE64,     /* xs:base64Binary (file contents in a few commands) */
    OCIP_PRIM_COUNT
} ocip_prim;

typedef enum {
    OCIP_TYPE_SIMPLE = 0,  /* built-in or restriction of one */
    OCIP_TYPE_COMPLEX = 1  /* complexType (requests, responses, data types, OCITable) */
} ocip_type_kind;

/* Role of a complex type, derived from its base chain (and the overlay). */
typedef enum {
    OCIP_ROLE_DATA = 0,     /* ordinary data type */
    OCIP_ROLE_REQUEST,      /* concrete, extends core OCIRequest */
    OCIP_ROLE_RESPONSE,     /* concrete, extends OCIResponse/OCIDataResponse */
    OCIP_ROLE_TABLE,        /* core OCITable */
    OCIP_ROLE_BASE          /* the protocol's abstract bases: OCICommand, OCIRequest, ... */
} ocip_role;

enum {
    OCIP_TF_ABSTRACT = 1u << 0,
    /* simple-type facet presence bits */
    OCIP_TF_LENGTH = 1u << 1,
    OCIP_TF_MIN_LENGTH = 1u << 2,
    OCIP_TF_MAX_LENGTH = 1u << 3,
    OCIP_TF_MIN_INCL = 1u << 4,
    OCIP_TF_MAX_INCL = 1u << 5,
    OCIP_TF_WS_PRESERVE = 1u << 6, /* whiteSpace="preserve" on a token-derived type */
    /* a request defined in one of the release's deprecated schema files (the
       file name contains "Deprecated": OCISchemaDeprecated.xsd, ...) */
    OCIP_TF_DEPRECATED = 1u << 7
};

/* One named type. Simple and complex types share this record; fields that do
 * not apply hold OCIP_NONE / 0. Names: built-ins are "xs:int" etc.; an element
 * declared without a type has "xs:anyType" (complex, no content); anonymous inline
 * types are named "Parent.element" (or "Parent@attribute"). Built-ins have base
 * OCIP_NONE. */
typedef struct {
    uint32_t name;        /* string offset: the XSD name ("UserId", "xs:int", "OCITable") */
    uint8_t kind;         /* ocip_type_kind */
    uint8_t prim;         /* simple: ocip_prim */
    uint8_t role;         /* complex: ocip_role */
    uint8_t flags;        /* OCIP_TF_* */
    uint32_t base;        /* type index of the base type (restriction/extension), or OCIP_NONE */
    /* simple-type facets (the effective ones, merged down the restriction chain) */
    int32_t length, min_length, max_length; /* valid when the matching flag is set */
    uint32_t min_incl, max_incl;            /* string offsets of the literal bounds */
    uint32_t enum_first, enum_count;        /* slice of ocip_catalog.enums (string offsets) */
    uint32_t pattern_first, pattern_count;  /* slice of ocip_catalog.patterns (string offsets);
                                               every pattern must match (one per derivation step) */
    /* complex types */
    uint32_t content;     /* particle index of the flattened content model (base's model
                             first, then own), always a SEQUENCE; OCIP_NONE when empty */
    uint32_t subs_first, subs_count; /* slice of ocip_catalog.subs: concrete, non-abstract types
                                        deriving (transitively) from this one, sorted by name */
    uint32_t response;    /* requests: type index of the response type (XResponseN when it
                             exists, else SuccessResponse); otherwise OCIP_NONE */
} ocip_type;

typedef enum {
    OCIP_PART_ELEMENT = 0,
    OCIP_PART_SEQUENCE = 1,
    OCIP_PART_CHOICE = 2
} ocip_part_kind;

enum {
    OCIP_PF_NILLABLE = 1u << 0,
    /* element may occur more than once (its own maxOccurs, or an enclosing group's):
       decoded as an array even with one item, encoded from an array */
    OCIP_PF_LIST = 1u << 1
};

/* One particle of a content model: an element, or a sequence/choice group.
 * Identical element particles are shared between types (the generator hash-conses
 * them), so a particle index names a description, not a position in one type. */
typedef struct {
    uint8_t kind;         /* ocip_part_kind */
    uint8_t flags;        /* OCIP_PF_* */
    uint16_t min_occurs;
    uint16_t max_occurs;  /* OCIP_UNBOUNDED for unbounded */
    uint32_t name;        /* element: string offset of the exact XML name */
    uint32_t snake;       /* element: string offset of the snake_case name */
    uint32_t type;        /* element: type index */
    uint32_t dflt;        /* element: string offset of default="", or OCIP_NONE */
    uint32_t fixed;       /* element: string offset of fixed="", or OCIP_NONE */
    uint32_t first, count;/* groups: slice of ocip_catalog.children (particle indices) */
} ocip_particle;

/* A column hint (schemas/columns.lua, our data, not the XSDs'): the headings of one
 * OCITable element of one type, in server order. Keyed by (owning type, element
 * name) rather than by particle, because particles are shared between types. */
typedef struct {
    uint32_t type;        /* type index of the type whose content holds the element */
    uint32_t elem;        /* string offset of the element's XML name */
    uint32_t first, count;/* slice of ocip_catalog.columns (string offsets) */
} ocip_column_hint;

typedef struct {
    const char *release;          /* e.g. "R25" */
    const char *manifest_sha256;  /* sha256 over the XSD manifest the catalog was made from */
    const char *strings;          /* pool of NUL-terminated strings, offsets index into it */
    size_t strings_size;
    const ocip_type *types;       /* sorted by name (strcmp order) */
    uint32_t type_count;
    const ocip_particle *particles;
    uint32_t particle_count;
    const uint32_t *children;     /* particle indices */
    const uint32_t *enums;        /* string offsets */
    const uint32_t *patterns;     /* string offsets */
    const uint32_t *subs;         /* type indices */
    const uint32_t *requests;     /* type indices of every request, sorted by name */
    uint32_t request_count;
    const ocip_column_hint *hints;/* sorted by type index, then element name (strcmp) */
    uint32_t hint_count;
    const uint32_t *columns;      /* heading string offsets */
} ocip_catalog;

/* The compiled-in catalog. */
const ocip_catalog *ocip_catalog_get(void);

/* String at an offset (NULL for OCIP_NONE). */
const char *ocip_cat_str(const ocip_catalog *c, uint32_t off);

/* Type index by exact name ("xs:int" for built-ins), or OCIP_NONE. Binary search. */
uint32_t ocip_cat_find(const ocip_catalog *c, const char *name);
uint32_t ocip_cat_find_n(const ocip_catalog *c, const char *name, size_t len);

/* Direct child element particle of a complex type by exact XML name, searching the
 * flattened content model through nested groups; OCIP_NONE when absent. */
uint32_t ocip_cat_child(const ocip_catalog *c, uint32_t type, const char *name, size_t len);

/* Column headings hinted for table element (name, len) of type `type`: sets
 * the outputs to a slice of c->columns and returns 1, or returns 0 (outputs
 * untouched) when there is no hint. Exact type only: no inheritance. */
int ocip_cat_columns(const ocip_catalog *c, uint32_t type, const char *name, size_t len,
                     uint32_t *first, uint32_t *count);

/* Nonzero when type `t` is `ancestor` or derives from it. */
int ocip_cat_derives(const ocip_catalog *c, uint32_t t, uint32_t ancestor);

#endif
