/* Name mangling for the decoder: table heading keys and snake_case of element
 * names the catalog does not know. Pure functions, bounded output. */
#include "runtime/decode.h"

static int is_lower(unsigned char c) { return c >= 'a' && c <= 'z'; }
static int is_upper(unsigned char c) { return c >= 'A' && c <= 'Z'; }
static int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static unsigned char to_lower(unsigned char c) { return is_upper(c) ? (unsigned char)(c + 32) : c; }

/* Bytes >= 0x80 are kept: they belong to UTF-8 letters of a localised heading. */
static int is_word(unsigned char c) { return is_lower(c) || is_upper(c) || is_digit(c) || c >= 0x80; }

size_t ocip_dec_heading_key(const char *s, size_t n, char *out, size_t out_size) {
    size_t o = 0;
    int gap = 0; /* a run of separators is pending */
    if (out_size == 0) return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!is_word(c)) { gap = 1; continue; }
        if (gap && o > 0) {
            if (o + 1 >= out_size) break;
            out[o++] = '_';
        }
        gap = 0;
        if (o + 1 >= out_size) break;
        out[o++] = (char)to_lower(c);
    }
    out[o] = '\0';
    return o;
}

size_t ocip_dec_snake(const char *s, size_t n, char *out, size_t out_size) {
    size_t o = 0;
    if (out_size == 0) return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i], prev = i ? (unsigned char)s[i - 1] : 0;
        unsigned char next = i + 1 < n ? (unsigned char)s[i + 1] : 0;
        if (!is_word(c)) { /* '-', '.', '_' in a name: one separator */
            if (o > 0 && out[o - 1] != '_' && o + 1 < out_size) out[o++] = '_';
            continue;
        }
        /* word break: aB, 1B, and the last capital of an acronym before a lower (HTTPServer) */
        int brk = is_upper(c) && i > 0 &&
                  (is_lower(prev) || is_digit(prev) || (is_upper(prev) && is_lower(next)));
        if (brk && o > 0 && out[o - 1] != '_') {
            if (o + 1 >= out_size) break;
            out[o++] = '_';
        }
        if (o + 1 >= out_size) break;
        out[o++] = (char)to_lower(c);
    }
    while (o > 0 && out[o - 1] == '_') o--;
    out[o] = '\0';
    return o;
}
