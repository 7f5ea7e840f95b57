/* Encodings: a forced encoding named by the caller, and spotting 7-bit documents
 * that need no conversion whatever their declaration says. Conversion itself is
 * libxml2's (its handlers, chosen per BOM/declaration or forced). */
#include <stdlib.h>
#include <stdint.h>
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
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    uint64_t acc = 0, zero = 0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) { /* 8 bytes at a time: any high bit, any zero byte */
        uint64_t w;
        memcpy(&w, p + i, 8);
        acc |= w;
        zero |= (w - ones) & ~w & highs;
    }
    int nul = zero != 0;
    for (; i < n; i++) {
        acc |= (unsigned char)p[i];
        nul |= p[i] == 0;
    }
    return !(acc & highs) && !nul;
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

/* The value of the XML declaration's encoding pseudo-attribute, or 0 when none fits. */
static size_t declared_encoding(const char *p, size_t n, char *name, size_t size) {
    if (n < 5 || memcmp(p, "<?xml", 5) != 0) return 0;
    size_t end = 5;
    while (end + 1 < n && end < 512 && !(p[end] == '?' && p[end + 1] == '>')) end++;
    if (end + 1 >= n || p[end] != '?') return 0; /* the declaration is not all there */
    const char *e = NULL;
    for (size_t i = 5; i + 8 < end; i++)
        if (memcmp(p + i, "encoding", 8) == 0) { e = p + i + 8; break; }
    if (!e) return 0;
    const char *lim = p + end;
    while (e < lim && (dec_is_ws(*e) || *e == '=')) e++;
    if (e >= lim || (*e != '"' && *e != '\'')) return 0;
    char q = *e++;
    size_t k = 0;
    while (e < lim && *e != q && k + 1 < size) name[k++] = *e++;
    if (e >= lim) return 0;
    name[k] = '\0';
    return k;
}

int dec_declares_latin1(const char *p, size_t n) {
    char name[32];
    if (!declared_encoding(p, n, name, sizeof name)) return 0;
    static const char *const latin1[] = {"ISO-8859-1", "ISO8859-1", "ISO_8859-1", "LATIN1"};
    for (size_t i = 0; i < sizeof latin1 / sizeof *latin1; i++)
        if (!xmlStrcasecmp(BAD_CAST name, BAD_CAST latin1[i])) return 1;
    return 0;
}

int dec_has_8bit(const char *p, size_t n) {
    uint64_t acc = 0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        acc |= w;
    }
    for (; i < n; i++) acc |= (unsigned char)p[i];
    return (acc & 0x8080808080808080ull) != 0;
}

int dec_latin1_to_utf8(buf *out, const char *p, size_t n) {
    out->len = 0;
    if (n > ((size_t)-1 - 1) / 2) return -1;
    if (2 * n + 1 > out->cap) {
        size_t cap = out->cap ? out->cap : 4096;
        while (cap < 2 * n + 1) cap *= 2;
        char *np = realloc(out->p, cap);
        if (!np) return -1;
        out->p = np;
        out->cap = cap;
    }
    char *o = out->p;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c < 0x80) {
            *o++ = (char)c;
        } else {
            *o++ = (char)(0xC0 | (c >> 6));
            *o++ = (char)(0x80 | (c & 0x3F));
        }
    }
    out->len = (size_t)(o - out->p);
    return 0;
}
