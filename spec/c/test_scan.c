/* Unit tests for runtime/scan.c: events under any chunking, the bounds on tags,
 * attributes and namespace declarations, and where cuts may fall. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "runtime/scan.h"

/* Scans s in chunks of `chunk` bytes; returns the final status (MORE after a whole
 * stream) and writes the events as a string: 'B' begin, 'E' end. */
static int scan_all(const char *s, size_t len, size_t chunk, char *events, size_t ecap) {
    ocip_scan sc;
    ocip_scan_init(&sc);
    size_t ne = 0;
    for (size_t off = 0; off < len;) {
        size_t n = len - off < chunk ? len - off : chunk, used;
        int st = ocip_scan_run(&sc, s + off, n, &used, NULL);
        assert_true(used <= n);
        off += used;
        if (st < 0) { events[ne] = '\0'; return st; }
        if (st == OCIP_SCAN_BEGIN || st == OCIP_SCAN_END) {
            assert_true(ne + 1 < ecap);
            events[ne++] = st == OCIP_SCAN_BEGIN ? 'B' : 'E';
        } else {
            assert_int_equal(used, n);
        }
    }
    events[ne] = '\0';
    return OCIP_SCAN_MORE;
}

static void test_events_under_any_chunking(void **state) {
    (void)state;
    static const char s[] =
        "\xEF\xBB\xBF <?xml version=\"1.0\"?><!-- <x> --><r a='>' b=\"/>\"><![CDATA[</r>]]>"
        "<s/>t&amp;<u></u></r>\n<e/>  <x><y/></x>";
    for (size_t chunk = 1; chunk <= sizeof s; chunk++) {
        char ev[16];
        assert_int_equal(scan_all(s, sizeof s - 1, chunk, ev, sizeof ev), OCIP_SCAN_MORE);
        assert_string_equal(ev, "BEBEBE");
    }
}

static void test_protocol_errors(void **state) {
    (void)state;
    static const char *const bad[] = {
        "junk<r/>", "<!DOCTYPE r><r/>", "<r>x</r></s>", "</r>", "<r><![CDATX[", "<r <a/>",
        "<? ?>text<r/>", "<!x>", "\xEF\xBBx",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char ev[16];
        assert_int_equal(scan_all(bad[i], strlen(bad[i]), 3, ev, sizeof ev), OCIP_SCAN_PROTOCOL);
    }
    char ev[16];
    assert_int_equal(scan_all("\xEF\xBB", 2, 1, ev, sizeof ev), OCIP_SCAN_MORE); /* a BOM may go on */
}

/* A document whose one element has n attributes. */
static char *attrs_doc(size_t n, size_t *len) {
    char *d = malloc(n * 16 + 64);
    assert_non_null(d);
    size_t l = (size_t)sprintf(d, "<r><e");
    for (size_t i = 0; i < n; i++) l += (size_t)sprintf(d + l, " a%zu='1'", i);
    l += (size_t)sprintf(d + l, "/></r>");
    *len = l;
    return d;
}

static void test_attribute_bound(void **state) {
    (void)state;
    size_t len;
    char ev[16], *d = attrs_doc(OCIP_SCAN_MAX_ATTRS, &len);
    assert_int_equal(scan_all(d, len, 7, ev, sizeof ev), OCIP_SCAN_MORE);
    assert_string_equal(ev, "BE");
    free(d);
    d = attrs_doc(OCIP_SCAN_MAX_ATTRS + 1, &len);
    for (size_t chunk = 1; chunk < 40; chunk += 13) assert_int_equal(scan_all(d, len, chunk, ev, sizeof ev), OCIP_SCAN_LIMIT);
    free(d);
    d = attrs_doc(300000, &len); /* refused at the 65th attribute: nothing after it is looked at */
    ocip_scan sc;
    ocip_scan_init(&sc);
    size_t used;
    assert_int_equal(ocip_scan_run(&sc, d, len, &used, NULL), OCIP_SCAN_BEGIN);
    assert_int_equal(ocip_scan_run(&sc, d + used, len - used, &used, NULL), OCIP_SCAN_LIMIT);
    assert_true(used < 1000);
    assert_non_null(strstr(ocip_scan_error(&sc), "64 attributes"));
    free(d);
}

/* "<r>" + a tag of exactly `taglen` bytes + "</r>": kind 's' start (long attribute
 * value), 'n' start (long name), 'e' end tag (padded). */
static int tag_status(char kind, size_t taglen) {
    char *d = malloc(taglen + 32);
    assert_non_null(d);
    size_t l = 0;
    if (kind == 'e') {
        l += (size_t)sprintf(d, "<r><a></a");
        memset(d + l, ' ', taglen - 4);
        l += taglen - 4;
        d[l++] = '>';
    } else if (kind == 's') {
        l += (size_t)sprintf(d, "<r><a v='");
        memset(d + l, 'x', taglen - 9);
        l += taglen - 9;
        l += (size_t)sprintf(d + l, "'/>");
    } else {
        l += (size_t)sprintf(d, "<r><");
        memset(d + l, 'n', taglen - 3);
        l += taglen - 3;
        l += (size_t)sprintf(d + l, "/>");
    }
    l += (size_t)sprintf(d + l, "</r>");
    char ev[16];
    int st = scan_all(d, l, 4096, ev, sizeof ev);
    free(d);
    return st;
}

static void test_tag_bound(void **state) {
    (void)state;
    const char kinds[] = "sne";
    for (int i = 0; i < 3; i++) {
        assert_int_equal(tag_status(kinds[i], OCIP_SCAN_MAX_TAG), OCIP_SCAN_MORE);
        assert_int_equal(tag_status(kinds[i], OCIP_SCAN_MAX_TAG + 1), OCIP_SCAN_LIMIT);
    }
}

static void test_namespace_bound(void **state) {
    (void)state;
    char d[8192];
    char ev[16];
    /* 8 levels x 8 declarations = 64 in scope: fine; one more anywhere: refused */
    size_t l = 0;
    for (int i = 0; i < 8; i++) {
        l += (size_t)sprintf(d + l, "<e");
        for (int j = 0; j < 8; j++) l += (size_t)sprintf(d + l, i % 2 ? "\nxmlns:p%d='u'" : " xmlns:p%d = 'u'", j);
        l += (size_t)sprintf(d + l, ">");
    }
    size_t inner = l;
    l += (size_t)sprintf(d + l, "<x xmlnsx='1' xmlns_y='2' a:xmlns='3'/>"); /* not declarations */
    for (int i = 0; i < 8; i++) l += (size_t)sprintf(d + l, "</e>");
    assert_int_equal(scan_all(d, l, 5, ev, sizeof ev), OCIP_SCAN_MORE);
    assert_string_equal(ev, "BE");
    /* siblings: each element's declarations end with it */
    size_t scap = 30 * (inner + 64) + 64;
    char *s = malloc(scap);
    assert_non_null(s);
    size_t sl = (size_t)sprintf(s, "<r>");
    for (int i = 0; i < 30; i++) sl += (size_t)sprintf(s + sl, "%.*s%s", (int)inner, d, "</e></e></e></e></e></e></e></e>");
    sl += (size_t)sprintf(s + sl, "<z xmlns='u'/></r>");
    assert_true(sl < scap);
    assert_int_equal(scan_all(s, sl, 11, ev, sizeof ev), OCIP_SCAN_MORE);
    assert_string_equal(ev, "BE");
    free(s);
    memcpy(d + inner, "<x xmlns ='u'/>", 15); /* the 65th in scope */
    assert_int_equal(scan_all(d, inner + 15, 5, ev, sizeof ev), OCIP_SCAN_LIMIT);
}

/* With 1-byte windows every reported cut marks "a piece may end after this byte". */
static void test_cuts_fall_between_markup(void **state) {
    (void)state;
    static const char s[] = "<r a='>'>ab<!--x>--><![CDATA[<>]]>\xC3\xA9<b/></r> ";
    static const char want[] = /* 1 = may cut after this byte */
        "000000001"    /* <r a='>'> */
        "11"           /* ab */
        "000000001"    /* <!--x>--> */
        "00000000000001" /* <![CDATA[<>]]> */
        "01"           /* two UTF-8 bytes: a cut after the second only, via the next '<' */
        "0001"         /* <b/> */
        "0001"         /* </r> */
        "1";           /* trailing space, between documents */
    assert_int_equal(strlen(want), sizeof s - 1);
    ocip_scan sc;
    ocip_scan_init(&sc);
    char got[sizeof s];
    for (size_t i = 0; i < sizeof s - 1; i++) {
        size_t used, cut;
        ocip_scan_run(&sc, s + i, 1, &used, &cut);
        assert_int_equal(used, 1);
        got[i] = cut ? '1' : '0';
    }
    got[sizeof s - 1] = '\0';
    /* the UTF-8 pair: the '<' after it gives a cut at its own start (offset 0 of its
     * window), which a 1-byte window cannot show; fix that entry up from a 2-byte run */
    size_t used, cut, at = strlen("<r a='>'>ab<!--x>--><![CDATA[<>]]>");
    ocip_scan_init(&sc);
    for (size_t off = 0; off < at; off += used) ocip_scan_run(&sc, s + off, at - off, &used, NULL);
    ocip_scan_run(&sc, s + at, 3, &used, &cut);
    assert_int_equal(cut, 2); /* before the '<', after the whole character */
    got[at + 1] = '1';
    assert_string_equal(got, want);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_events_under_any_chunking),
        cmocka_unit_test(test_protocol_errors),
        cmocka_unit_test(test_attribute_bound),
        cmocka_unit_test(test_tag_bound),
        cmocka_unit_test(test_namespace_bound),
        cmocka_unit_test(test_cuts_fall_between_markup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
