/* Typed leaf values: xs:int/long, boolean, decimal/float text checked and
 * converted; anything that does not parse is handed over as the string it is. */
#include <string.h>
#include "runtime/decode_private.h"

static void trim(const char **s, size_t *n) {
    while (*n && dec_is_ws(**s)) { (*s)++; (*n)--; }
    while (*n && dec_is_ws((*s)[*n - 1])) (*n)--;
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
ocip_val dec_leaf_value(unsigned prim, const char *s, size_t n) {
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

