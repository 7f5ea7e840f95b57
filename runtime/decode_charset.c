/* Encodings: a forced encoding named by the caller, and spotting 7-bit documents
 * that need no conversion whatever their declaration says. Conversion itself is
 * libxml2's (its handlers, chosen per BOM/declaration or forced). */
#include <stdlib.h>
#include <string.h>
#include "runtime/decode_private.h"

int dec_force_encoding(ocip_dec *d, const char *name) {
    xmlCharEncodingHandlerPtr h = xmlFindCharEncodingHandler(name);
    if (!h) return -1;
    xmlCharEncCloseFunc(h);
    if (!xmlStrcasecmp(BAD_CAST name, BAD_CAST "UTF-8") ||
        !xmlStrcasecmp(BAD_CAST name, BAD_CAST "UTF8")) {
        d->force_utf8 = 1;
    } else {
        d->encoding = strdup(name);
        if (!d->encoding) return -1;
    }
    return 0;
}

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
    while (e < lim && (dec_is_ws(*e) || *e == '=')) e++;
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


int dec_plain_ascii(const char *doc, size_t len) {
    return is_ascii(doc, len) && ascii_compatible_decl(doc, len);
}
