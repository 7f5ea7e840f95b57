/* Unit tests for runtime/frame.c: chunking, XML structure, limits, errors. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "runtime/frame.h"

#define MAXDOCS 16
typedef struct { char *doc[MAXDOCS]; size_t n; int status; } collected;

static void collected_free(collected *c) {
    for (size_t i = 0; i < c->n; i++) free(c->doc[i]);
    c->n = 0;
}

/* Takes every whole document out of f into c; returns the last status. */
static int drain(ocip_framer *f, collected *c) {
    const char *d; size_t len; int st;
    while ((st = ocip_framer_next(f, &d, &len)) == OCIP_FRAME_DOC) {
        assert_true(c->n < MAXDOCS);
        char *copy = malloc(len + 1);
        assert_non_null(copy);
        memcpy(copy, d, len);
        copy[len] = 0;
        c->doc[c->n++] = copy;
    }
    return st;
}

/* Feeds `input` in chunks of `chunk` bytes, draining after each feed. */
static int frame_chunked(const char *input, size_t in_len, size_t chunk, size_t max, collected *c) {
    ocip_framer *f = ocip_framer_new(max);
    assert_non_null(f);
    int st = OCIP_FRAME_MORE;
    for (size_t off = 0; off < in_len; off += chunk) {
        size_t n = in_len - off < chunk ? in_len - off : chunk;
        st = ocip_framer_feed(f, input + off, n);
        if (st < 0) break;
        st = drain(f, c);
        if (st < 0) break;
    }
    c->status = st;
    ocip_framer_free(f);
    return st;
}

static const char DOC1[] =
    "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n"
    "<!-- leading comment with > and </fake> -->"
    "<BroadsoftDocument protocol=\"OCI\" xmlns=\"C\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">"
    "<sessionId xmlns=\"\">abc/def&gt;</sessionId>"
    "<command a='x/>y' b=\"</BroadsoftDocument>\" xsi:type=\"c:UserGetResponse23V2\">"
    "<?pi inside ?><text><![CDATA[ ]> </text></command></BroadsoftDocument> ]] ]]]]></text>"
    "<empty/><empty attr=\"/\" /><x><x><x/></x></x>"
    "<!-- c -- > ---></command>"
    "</BroadsoftDocument>";
static const char DOC2[] = "<ns0:BroadsoftDocument xmlns:ns0=\"C\"><command/></ns0:BroadsoftDocument>";
static const char DOC3[] = "<BroadsoftDocument/>";

static void test_single_document_one_chunk(void **state) {
    (void)state;
    collected c = {0};
    assert_int_equal(frame_chunked(DOC1, strlen(DOC1), 1 << 20, 0, &c), OCIP_FRAME_MORE);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.doc[0], DOC1);
    collected_free(&c);
}

static void test_every_chunk_size(void **state) {
    (void)state;
    /* BOM, whitespace, three documents, no final newline */
    char stream[4096];
    int n = snprintf(stream, sizeof stream, "\xEF\xBB\xBF  \r\n%s\n\t%s\xEF\xBB\xBF%s", DOC1, DOC2, DOC3);
    assert_true(n > 0 && (size_t)n < sizeof stream);
    for (size_t chunk = 1; chunk <= (size_t)n; chunk++) {
        collected c = {0};
        assert_int_equal(frame_chunked(stream, (size_t)n, chunk, 0, &c), OCIP_FRAME_MORE);
        assert_int_equal(c.n, 3);
        assert_string_equal(c.doc[0], DOC1);
        assert_string_equal(c.doc[1], DOC2);
        assert_string_equal(c.doc[2], DOC3);
        collected_free(&c);
    }
}

static void test_several_documents_one_chunk(void **state) {
    (void)state;
    char stream[1024];
    int n = snprintf(stream, sizeof stream, "%s%s%s%s\n", DOC2, DOC3, DOC2, DOC3);
    collected c = {0};
    frame_chunked(stream, (size_t)n, (size_t)n, 0, &c);
    assert_int_equal(c.status, OCIP_FRAME_MORE);
    assert_int_equal(c.n, 4);
    assert_string_equal(c.doc[3], DOC3);
    collected_free(&c);
}

static void test_incomplete_document_waits(void **state) {
    (void)state;
    ocip_framer *f = ocip_framer_new(0);
    assert_non_null(f);
    const char *part = "<BroadsoftDocument><command>";
    ocip_framer_feed(f, part, strlen(part));
    assert_int_equal(ocip_framer_ready(f), OCIP_FRAME_MORE);
    assert_true(ocip_framer_partial(f));
    const char *rest = "</command></BroadsoftDocument>\n";
    ocip_framer_feed(f, rest, strlen(rest));
    assert_int_equal(ocip_framer_ready(f), OCIP_FRAME_DOC);
    assert_int_equal(ocip_framer_ready(f), OCIP_FRAME_DOC); /* idempotent */
    const char *d; size_t len;
    assert_int_equal(ocip_framer_next(f, &d, &len), OCIP_FRAME_DOC);
    assert_int_equal(len, strlen(part) + strlen(rest) - 1);
    assert_int_equal(ocip_framer_next(f, &d, &len), OCIP_FRAME_MORE);
    assert_false(ocip_framer_partial(f));
    assert_int_equal(ocip_framer_buffered(f), 0);
    ocip_framer_free(f);
}

static void expect_protocol(const char *input, const char *why_part) {
    for (size_t chunk = 1; chunk <= strlen(input); chunk++) {
        collected c = {0};
        ocip_framer *f = ocip_framer_new(0);
        assert_non_null(f);
        int st = OCIP_FRAME_MORE;
        for (size_t off = 0; off < strlen(input) && st >= 0; off += chunk) {
            size_t n = strlen(input) - off < chunk ? strlen(input) - off : chunk;
            st = ocip_framer_feed(f, input + off, n);
            if (st >= 0) st = drain(f, &c);
        }
        assert_int_equal(st, OCIP_FRAME_PROTOCOL);
        assert_non_null(strstr(ocip_framer_error(f), why_part));
        /* sticky */
        assert_int_equal(ocip_framer_feed(f, "<a/>", 4), OCIP_FRAME_PROTOCOL);
        assert_int_equal(ocip_framer_ready(f), OCIP_FRAME_PROTOCOL);
        ocip_framer_free(f);
        collected_free(&c);
    }
}

static void test_protocol_errors(void **state) {
    (void)state;
    expect_protocol("HTTP/1.1 400 Bad Request\r\n", "garbage");
    expect_protocol("<a/>junk", "garbage");
    expect_protocol("\xEF\xBB<a/>", "garbage");
    expect_protocol("<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"b\">]><x/>", "DOCTYPE");
    expect_protocol("<?xml version=\"1.0\"?>text<x/>", "text before");
    expect_protocol("</x>", "end tag");
    expect_protocol("<1x/>", "malformed");
    expect_protocol("<x><!-x--></x>", "comment");
    expect_protocol("<x><![CDATX[a]]></x>", "CDATA");
    expect_protocol("<![CDATA[a]]><x/>", "malformed");
    expect_protocol("<x a=<b>", "inside a tag");
}

static void test_limit(void **state) {
    (void)state;
    char doc[200];
    /* exactly at the limit: accepted */
    memset(doc, 0, sizeof doc);
    strcpy(doc, "<r>");
    memset(doc + 3, 'a', 93);
    strcat(doc, "</r>"); /* 100 bytes */
    assert_int_equal(strlen(doc), 100);
    collected c = {0};
    assert_int_equal(frame_chunked(doc, 100, 7, 100, &c), OCIP_FRAME_MORE);
    assert_int_equal(c.n, 1);
    collected_free(&c);
    /* one byte over: limit, whatever the chunking */
    for (size_t chunk = 1; chunk <= 101; chunk += 10) {
        assert_int_equal(frame_chunked(doc, 100, chunk, 99, &c), OCIP_FRAME_LIMIT);
        assert_int_equal(c.n, 0);
    }
    /* an unterminated document is stopped at the limit, not buffered forever */
    ocip_framer *f = ocip_framer_new(1000);
    assert_non_null(f);
    ocip_framer_feed(f, "<r>", 3);
    int st = OCIP_FRAME_MORE;
    for (int i = 0; i < 100 && st == OCIP_FRAME_MORE; i++) {
        st = ocip_framer_feed(f, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 50);
        if (st == OCIP_FRAME_MORE) st = ocip_framer_ready(f);
    }
    assert_int_equal(st, OCIP_FRAME_LIMIT);
    assert_true(ocip_framer_buffered(f) <= 1100);
    assert_non_null(strstr(ocip_framer_error(f), "limit"));
    ocip_framer_free(f);
}

static void test_whitespace_is_not_kept(void **state) {
    (void)state;
    ocip_framer *f = ocip_framer_new(0);
    assert_non_null(f);
    char spaces[4096];
    memset(spaces, ' ', sizeof spaces);
    for (int i = 0; i < 256; i++) {
        assert_int_equal(ocip_framer_feed(f, spaces, sizeof spaces), OCIP_FRAME_MORE);
        assert_int_equal(ocip_framer_ready(f), OCIP_FRAME_MORE);
        assert_int_equal(ocip_framer_buffered(f), 0);
    }
    assert_false(ocip_framer_partial(f));
    ocip_framer_free(f);
}

static void test_large_document_linear(void **state) {
    (void)state;
    /* 8 MiB of rows fed in 1 KiB chunks: completes, content intact */
    size_t rows = 8 * 1024 * 1024 / 32;
    size_t len = 0, cap = rows * 32 + 64;
    char *doc = malloc(cap);
    assert_non_null(doc);
    len += (size_t)sprintf(doc, "<BroadsoftDocument>");
    for (size_t i = 0; i < rows; i++) len += (size_t)sprintf(doc + len, "<row a=\"%08zu\">x&lt;</row>", i % 100000000);
    len += (size_t)sprintf(doc + len, "</BroadsoftDocument>");
    ocip_framer *f = ocip_framer_new(0);
    assert_non_null(f);
    const char *d; size_t dlen; int got = 0;
    for (size_t off = 0; off < len; off += 1024) {
        size_t n = len - off < 1024 ? len - off : 1024;
        assert_int_equal(ocip_framer_feed(f, doc + off, n), OCIP_FRAME_MORE);
        int st = ocip_framer_next(f, &d, &dlen);
        if (st == OCIP_FRAME_DOC) { got++; assert_int_equal(dlen, len); assert_memory_equal(d, doc, len); }
        else assert_int_equal(st, OCIP_FRAME_MORE);
    }
    assert_int_equal(got, 1);
    ocip_framer_free(f);
    free(doc);
}

static void test_markup_bounds(void **state) {
    (void)state;
    /* a document before the hostile one is still delivered; the hostile one is a
     * limit (not protocol), whatever the chunking, and its message says which */
    char doc[2048];
    size_t n = (size_t)sprintf(doc, "<ok/><r><e");
    for (int i = 0; i < 65; i++) n += (size_t)sprintf(doc + n, " a%d='1'", i);
    n += (size_t)sprintf(doc + n, "/></r>");
    for (size_t chunk = 1; chunk <= n; chunk += 37) {
        collected c = {0};
        assert_int_equal(frame_chunked(doc, n, chunk, 0, &c), OCIP_FRAME_LIMIT);
        assert_int_equal(c.n, 1);
        collected_free(&c);
    }
    ocip_framer *f = ocip_framer_new(0);
    assert_non_null(f);
    ocip_framer_feed(f, doc + 5, n - 5);
    assert_int_equal(ocip_framer_ready(f), OCIP_FRAME_LIMIT);
    assert_non_null(strstr(ocip_framer_error(f), "more than 64 attributes"));
    ocip_framer_free(f);
}

static void test_buffer_shrinks_after_a_big_document(void **state) {
    (void)state;
    size_t big = 8u << 20;
    char *doc = malloc(big);
    assert_non_null(doc);
    memcpy(doc, "<r>", 3);
    memset(doc + 3, 'x', big - 7);
    memcpy(doc + big - 4, "</r>", 4);
    ocip_framer *f = ocip_framer_new(0);
    assert_non_null(f);
    const char *d; size_t len;
    /* the big document with the start of the next one behind it */
    for (size_t off = 0; off < big; off += 65536) {
        size_t n = big - off < 65536 ? big - off : 65536;
        assert_int_equal(ocip_framer_feed(f, doc + off, n), OCIP_FRAME_MORE);
    }
    assert_int_equal(ocip_framer_feed(f, "<s>", 3), OCIP_FRAME_MORE);
    assert_true(ocip_framer_capacity(f) >= big);
    assert_int_equal(ocip_framer_next(f, &d, &len), OCIP_FRAME_DOC);
    assert_int_equal(len, big);
    ocip_framer_release(f);
    assert_true(ocip_framer_capacity(f) <= (1u << 20));
    assert_int_equal(ocip_framer_feed(f, "</s>", 4), OCIP_FRAME_MORE);
    assert_true(ocip_framer_capacity(f) <= (1u << 20));
    assert_int_equal(ocip_framer_next(f, &d, &len), OCIP_FRAME_DOC);
    assert_int_equal(len, 7);
    assert_memory_equal(d, "<s></s>", 7);
    ocip_framer_free(f);
    free(doc);
}


/* Streaming: peek/take after every feed hands over each document in pieces that end
 * between markup; joined they are the document, for every chunking. */
static void test_streaming_pieces(void **state) {
    (void)state;
    char input[4096];
    int in_len = snprintf(input, sizeof input, "  %s\n%s%s\n", DOC1, DOC2, DOC3);
    const char *docs[] = {DOC1, DOC2, DOC3};
    for (size_t chunk = 1; chunk <= (size_t)in_len; chunk++) {
        ocip_framer *f = ocip_framer_new(0);
        assert_non_null(f);
        char got[4096];
        size_t glen = 0, ndocs = 0;
        for (size_t off = 0; off < (size_t)in_len; off += chunk) {
            size_t n = (size_t)in_len - off < chunk ? (size_t)in_len - off : chunk;
            assert_int_equal(ocip_framer_feed(f, input + off, n), OCIP_FRAME_MORE);
            for (;;) {
                const char *p; size_t len;
                int st = ocip_framer_peek(f, &p, &len);
                assert_true(st >= 0);
                if (len) {
                    /* a piece of an unfinished document ends after '>' or in text before '<' */
                    if (st == OCIP_FRAME_MORE) assert_true(p[len - 1] == '>' || p[len - 1] != '<');
                    memcpy(got + glen, p, len);
                    glen += len;
                    ocip_framer_take(f, len);
                }
                if (st != OCIP_FRAME_DOC) break;
                assert_true(ndocs < 3);
                assert_int_equal(glen, strlen(docs[ndocs]));
                assert_memory_equal(got, docs[ndocs], glen);
                ndocs++;
                glen = 0;
            }
        }
        assert_int_equal(ndocs, 3);
        assert_int_equal(glen, 0);
        assert_false(ocip_framer_partial(f));
        ocip_framer_free(f);
    }
}

/* Streaming: taken bytes are not held, yet the size limit counts them. */
static void test_streaming_limit_and_memory(void **state) {
    (void)state;
    ocip_framer *f = ocip_framer_new(100000);
    assert_non_null(f);
    ocip_framer_feed(f, "<r>", 3);
    char row[100];
    memset(row, 'a', sizeof row);
    memcpy(row, "<c>", 3);
    memcpy(row + sizeof row - 4, "</c>", 4);
    int st = OCIP_FRAME_MORE;
    size_t fed = 3, most = 0;
    while (st == OCIP_FRAME_MORE) {
        st = ocip_framer_feed(f, row, sizeof row);
        fed += sizeof row;
        if (st != OCIP_FRAME_MORE) break;
        const char *p; size_t len;
        st = ocip_framer_peek(f, &p, &len);
        if (st == OCIP_FRAME_MORE && len) ocip_framer_take(f, len);
        if (ocip_framer_buffered(f) > most) most = ocip_framer_buffered(f);
    }
    assert_int_equal(st, OCIP_FRAME_LIMIT);
    assert_true(fed > 100000 && fed <= 100000 + 2 * sizeof row);
    assert_true(most <= 2 * sizeof row);
    assert_true(ocip_framer_capacity(f) <= 4096);
    ocip_framer_free(f);
    /* a document at the limit, taken piece by piece, is accepted */
    f = ocip_framer_new(3 + 100 * sizeof row + 4);
    ocip_framer_feed(f, "<r>", 3);
    for (int i = 0; i < 100; i++) {
        assert_int_equal(ocip_framer_feed(f, row, sizeof row), OCIP_FRAME_MORE);
        const char *p; size_t len;
        assert_int_equal(ocip_framer_peek(f, &p, &len), OCIP_FRAME_MORE);
        ocip_framer_take(f, len);
    }
    ocip_framer_feed(f, "</r>", 4);
    const char *p; size_t len;
    assert_int_equal(ocip_framer_peek(f, &p, &len), OCIP_FRAME_DOC);
    assert_int_equal(len, 4); /* the last row's '>' was safe: only the end tag is left */
    ocip_framer_take(f, len);
    assert_int_equal(ocip_framer_peek(f, &p, &len), OCIP_FRAME_MORE);
    assert_int_equal(len, 0);
    ocip_framer_free(f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_document_one_chunk),
        cmocka_unit_test(test_every_chunk_size),
        cmocka_unit_test(test_several_documents_one_chunk),
        cmocka_unit_test(test_incomplete_document_waits),
        cmocka_unit_test(test_protocol_errors),
        cmocka_unit_test(test_limit),
        cmocka_unit_test(test_whitespace_is_not_kept),
        cmocka_unit_test(test_large_document_linear),
        cmocka_unit_test(test_markup_bounds),
        cmocka_unit_test(test_buffer_shrinks_after_a_big_document),
        cmocka_unit_test(test_streaming_pieces),
        cmocka_unit_test(test_streaming_limit_and_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
