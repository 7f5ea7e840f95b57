/* core.xsd_validate(xsd_root_path, document) -> true | false, "line N: message".
 * For specs and tools: validates an OCI-P document against an XSD release with
 * libxml2. The parsed schema is cached per Lua state (registry) by path. No
 * network (XML_PARSE_NONET), no entity expansion, no DTD loading. */
#include <stdio.h>
#include <string.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>
#include <libxml/xmlschemas.h>
#include "bindings/core.h"

#define XSD_MT "ocip.xsd"
#define XSD_CACHE "ocip.xsd.cache"

#if LIBXML_VERSION >= 21200
typedef const xmlError *ocip_xml_error;
#else
typedef xmlError *ocip_xml_error;
#endif

typedef struct {
    xmlSchemaPtr schema;
} xsd_box;

/* First error seen, formatted; later ones are only counted. */
typedef struct {
    char first[512];
    int count;
    xmlParserCtxtPtr pc; /* streaming validation: errors carry no line, the parser knows it */
    int doctype;         /* the document had a DOCTYPE: refused, parsing stopped there */
} err_sink;

/* A DOCTYPE (internal subset or not) is refused before any of it is processed,
 * as the decoder does: no entity declarations, no external DTD. */
static void on_doctype(void *ctx, const xmlChar *name, const xmlChar *ext, const xmlChar *sys) {
    (void)name; (void)ext; (void)sys;
    xmlParserCtxtPtr pc = ctx;
    err_sink *s = pc->_private;
    s->doctype = 1;
    xmlStopParser(pc);
}

static void on_error(void *ud, ocip_xml_error e) {
    err_sink *s = ud;
    if (!e || e->level < XML_ERR_ERROR) return;
    if (s->count++ > 0) return;
    const char *msg = e->message ? e->message : "error";
    char path[256] = "";
    if (e->node && ((xmlNodePtr)e->node)->type == XML_ELEMENT_NODE) {
        xmlChar *p = xmlGetNodePath((xmlNodePtr)e->node);
        if (p) {
            snprintf(path, sizeof path, "%s: ", (const char *)p);
            xmlFree(p);
        }
    }
    int line = e->line;
    if (line == 0 && s->pc && s->pc->input) line = s->pc->input->line;
    snprintf(s->first, sizeof s->first, "line %d: %s%s", line, path, msg);
    size_t n = strlen(s->first); /* libxml2 messages end with a newline */
    while (n > 0 && (s->first[n - 1] == '\n' || s->first[n - 1] == ' ')) s->first[--n] = '\0';
}

static int xsd_gc(lua_State *L) {
    xsd_box *b = luaL_checkudata(L, 1, XSD_MT);
    if (b->schema) xmlSchemaFree(b->schema);
    b->schema = NULL;
    return 0;
}

/* Returns the cached schema for the path at index 1, parsing it on first use;
 * on failure pushes nil + error and returns NULL. */
static xmlSchemaPtr get_schema(lua_State *L, const char *path) {
    if (lua_getfield(L, LUA_REGISTRYINDEX, XSD_CACHE) != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_setfield(L, LUA_REGISTRYINDEX, XSD_CACHE);
    }
    if (lua_getfield(L, -1, path) == LUA_TUSERDATA) {
        xsd_box *b = lua_touserdata(L, -1);
        lua_pop(L, 2);
        return b->schema;
    }
    lua_pop(L, 1);
    xsd_box *b = lua_newuserdatauv(L, sizeof *b, 0);
    b->schema = NULL;
    luaL_setmetatable(L, XSD_MT);
    err_sink sink = {.first = "", .count = 0, .pc = NULL};
    xmlSchemaParserCtxtPtr pc = xmlSchemaNewParserCtxt(path);
    if (!pc) {
        lua_pop(L, 2);
        ocip_fail(L, "usage", "cannot read schema %s", path);
        return NULL;
    }
    xmlSchemaSetParserStructuredErrors(pc, on_error, &sink);
    /* The XML parser of the XSD files reports (harmless) namespace warnings through
     * libxml2's per-thread handler: catch them for the parse only, then restore. */
    xmlStructuredErrorFunc old_fn = xmlStructuredError;
    void *old_ctx = xmlStructuredErrorContext;
    xmlSetStructuredErrorFunc(&sink, on_error);
    b->schema = xmlSchemaParse(pc);
    xmlSetStructuredErrorFunc(old_ctx, old_fn);
    xmlSchemaFreeParserCtxt(pc);
    if (!b->schema) {
        lua_pop(L, 2);
        ocip_fail(L, "usage", "cannot parse schema %s: %s", path, sink.first);
        return NULL;
    }
    lua_setfield(L, -2, path); /* cache[path] = box */
    lua_pop(L, 1);
    return b->schema;
}

/* Validation runs on the parser's SAX stream (xmlSchemaSAXPlug), i.e. on the bytes
 * exactly as sent. Not xmlSchemaValidateDoc on the tree: libxml2 (2.9) keeps
 * `xmlns=""` as a namespace with an empty href in the tree, so a tree validation
 * resolves `<command xmlns="" xsi:type="X">` to {""}X instead of the no-namespace
 * type X and rejects every valid OCI-P document. The streaming validator gets the
 * namespace bindings from the parser and has no such problem. */
static int l_xsd_validate(lua_State *L) {
    const char *path = luaL_checkstring(L, 1);
    size_t len;
    const char *doc = luaL_checklstring(L, 2, &len);
    if (len > (size_t)0x7fffffff) return ocip_fail(L, "limit", "document too large");
    xmlSchemaPtr schema = get_schema(L, path);
    if (!schema) return 2;

    err_sink sink = {.first = "", .count = 0, .pc = NULL, .doctype = 0};
    xmlParserCtxtPtr pc = xmlCreateMemoryParserCtxt(doc, (int)len);
    sink.pc = pc;
    if (pc) {
        pc->_private = &sink;
        pc->sax->internalSubset = on_doctype; /* before the plug, which forwards it */
    }
    xmlSchemaValidCtxtPtr vc = pc ? xmlSchemaNewValidCtxt(schema) : NULL;
    if (!vc) {
        if (pc) xmlFreeParserCtxt(pc);
        return luaL_error(L, "ocip: out of memory");
    }
    xmlCtxtUseOptions(pc, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    xmlSchemaSetValidStructuredErrors(vc, on_error, &sink);
    xmlSchemaSAXPlugPtr plug = xmlSchemaSAXPlug(vc, &pc->sax, &pc->userData);
    if (!plug) {
        xmlSchemaFreeValidCtxt(vc);
        xmlFreeParserCtxt(pc);
        return luaL_error(L, "ocip: cannot attach the schema validator");
    }
    xmlParseDocument(pc);
    xmlSchemaSAXUnplug(plug);
    int well_formed = pc->wellFormed;
    char perr[400] = "";
    if (!well_formed) {
        const xmlError *e = xmlCtxtGetLastError(pc);
        snprintf(perr, sizeof perr, "line %d: not well-formed: %s", e ? e->line : 0,
                 e && e->message ? e->message : "?");
        size_t n = strlen(perr);
        while (n > 0 && perr[n - 1] == '\n') perr[--n] = '\0';
    }
    if (sink.doctype) {
        well_formed = 0;
        snprintf(perr, sizeof perr, "DOCTYPE is not allowed in an OCI-P document");
    }
    int valid = well_formed && sink.count == 0 && xmlSchemaIsValid(vc);
    if (pc->myDoc) xmlFreeDoc(pc->myDoc);
    pc->myDoc = NULL;
    xmlSchemaFreeValidCtxt(vc);
    xmlFreeParserCtxt(pc);
    if (valid) {
        lua_pushboolean(L, 1);
        return 1;
    }
    lua_pushboolean(L, 0);
    if (!well_formed)
        lua_pushstring(L, perr);
    else if (sink.count > 1)
        lua_pushfstring(L, "%s (+%d more errors)", sink.first, sink.count - 1);
    else
        lua_pushstring(L, sink.first[0] ? sink.first : "invalid document");
    return 2;
}

void ocip_open_xsd(lua_State *L) {
    if (luaL_newmetatable(L, XSD_MT)) {
        lua_pushcfunction(L, xsd_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_pop(L, 1);
    lua_pushcfunction(L, l_xsd_validate);
    lua_setfield(L, -2, "xsd_validate");
}
