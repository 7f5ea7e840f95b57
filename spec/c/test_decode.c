/* runtime/decode: SAX push decoding against the real catalog, recorded as an
 * event string so chunked and whole-document runs can be compared. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "runtime/decode.h"

typedef struct {
    char out[8192];
    size_t len;
    int stop_at_field; /* stop when this many fields were seen (0: never) */
    int fields;
} rec;

static void put(rec *r, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(r->out + r->len, sizeof r->out - r->len, fmt, ap);
    va_end(ap);
    if (n > 0) r->len += (size_t)n < sizeof r->out - r->len ? (size_t)n : sizeof r->out - r->len - 1;
}

static int r_session(void *ud, const char *s, size_t n) { put(ud, "S(%.*s)", (int)n, s); return 0; }
static int r_cmd(void *ud, const char *t, size_t n, unsigned nf) {
    (void)nf;
    put(ud, "<%.*s>", (int)n, t);
    return 0;
}
static int r_cmd_end(void *ud) { put(ud, "</>"); return 0; }
static int r_field(void *ud, const char *k, size_t kl, unsigned fl, const ocip_val *v) {
    rec *r = ud;
    const char *fs = (fl & OCIP_DF_LIST) ? "[]" : (fl & OCIP_DF_UNKNOWN) ? "?" : "";
    switch (v->kind) {
    case OCIP_VAL_INT: put(r, "%.*s%s=i%lld;", (int)kl, k, fs, (long long)v->i); break;
    case OCIP_VAL_BOOL: put(r, "%.*s%s=b%d;", (int)kl, k, fs, (int)v->i); break;
    case OCIP_VAL_NIL: put(r, "%.*s%s=NIL;", (int)kl, k, fs); break;
    case OCIP_VAL_NUMBER: put(r, "%.*s%s=n%.*s;", (int)kl, k, fs, (int)v->n, v->s); break;
    default: put(r, "%.*s%s='%.*s';", (int)kl, k, fs, (int)v->n, v->s); break;
    }
    return r->stop_at_field && ++r->fields >= r->stop_at_field;
}
static int r_open(void *ud, const char *k, size_t kl, unsigned fl, const char *t, size_t tl, unsigned nf) {
    (void)nf;
    put(ud, "%.*s%s{", (int)kl, k, (fl & OCIP_DF_LIST) ? "[]" : (fl & OCIP_DF_UNKNOWN) ? "?" : "");
    if (t) put(ud, "_type=%.*s;", (int)tl, t);
    return 0;
}
static int r_close(void *ud) { put(ud, "}"); return 0; }
static int r_tbegin(void *ud, const char *k, size_t kl, unsigned fl) {
    (void)fl;
    put(ud, "%.*s:T(", (int)kl, k);
    return 0;
}
static int r_heading(void *ud, size_t i, const char *h, size_t hl, const char *k, size_t kl) {
    put(ud, "H%zu:%.*s=%.*s;", i, h ? (int)hl : 1, h ? h : "-", (int)kl, k);
    return 0;
}
static int r_row(void *ud) { put(ud, "R("); return 0; }
static int r_col(void *ud, size_t i, const char *s, size_t n) { put(ud, "%zu=%.*s;", i, (int)n, s); return 0; }
static int r_row_end(void *ud) { put(ud, ")"); return 0; }
static int r_tend(void *ud) { put(ud, ")"); return 0; }

static const ocip_dec_sink SINK = {
    r_session, r_cmd, r_cmd_end, r_field, r_open, r_close,
    r_tbegin, r_heading, r_row, r_col, r_row_end, r_tend,
};

#define HEAD "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>" \
    "<BroadsoftDocument protocol=\"OCI\" xmlns=\"C\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">" \
    "<sessionId xmlns=\"\">sid</sessionId>"
#define TAIL "</BroadsoftDocument>\n"

static int run(const char *doc, size_t chunk, const ocip_dec_opts *o, rec *r, char *msg, size_t msz) {
    memset(r, 0, sizeof *r);
    ocip_dec *d = ocip_dec_new(ocip_catalog_get(), &SINK, r, o);
    assert_non_null(d);
    size_t len = strlen(doc);
    int st = OCIP_DEC_OK;
    if (chunk == 0) {
        st = ocip_dec_whole(d, doc, len);
    } else {
        for (size_t i = 0; i < len && st == OCIP_DEC_OK; i += chunk)
            st = ocip_dec_feed(d, doc + i, len - i < chunk ? len - i : chunk);
        if (st == OCIP_DEC_OK) st = ocip_dec_finish(d);
    }
    if (msg) snprintf(msg, msz, "%s", ocip_dec_message(d));
    ocip_dec_free(d);
    return st;
}

static const char *USER_DOC =
    HEAD "<command echo=\"e1\" xsi:type=\"UserGetResponse23V2\" xmlns=\"\">"
    "<userId>u@x</userId><lastName>M\xFCller  X</lastName><firstName><![CDATA[a<b>]]></firstName>"
    "<department xsi:type=\"GroupDepartmentKey\"><groupId>g</groupId><name>A &amp; B</name></department>"
    "<alias>sip:a@x</alias><title xsi:nil=\"true\"/><allowVideo>1</allowVideo><isPlace> false </isPlace>"
    "<novel>n</novel><novelBag><k>v</k></novelBag></command>" TAIL;

static const char *USER_EXPECT =
    "S(sid)<UserGetResponse23V2>_echo='e1';user_id='u@x';last_name='M\xC3\xBCller  X';first_name='a<b>';"
    "department{_type=GroupDepartmentKey;group_id='g';name='A & B';}alias[]='sip:a@x';title=NIL;"
    "allow_video=b1;is_place=b0;novel?='n';novel_bag?{k?='v';}</>";

static void test_values(void **state) {
    (void)state;
    rec r;
    assert_int_equal(run(USER_DOC, 0, NULL, &r, NULL, 0), OCIP_DEC_OK);
    assert_string_equal(r.out, USER_EXPECT);
}

static void test_chunks(void **state) {
    (void)state;
    static const size_t sizes[] = {1, 2, 3, 5, 64, 4096};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        rec r;
        assert_int_equal(run(USER_DOC, sizes[i], NULL, &r, NULL, 0), OCIP_DEC_OK);
        assert_string_equal(r.out, USER_EXPECT);
    }
}

static void test_pieces(void **state) {
    (void)state;
    /* libxml2 given 1..N-byte pieces (each up to the next cut between markup), whole
     * and chunked: the same events */
    for (size_t piece = 1; piece <= 80; piece += 3) {
        ocip_dec_opts o = {.piece = piece};
        for (size_t chunk = 0; chunk <= 7; chunk += 7) {
            rec r;
            assert_int_equal(run(USER_DOC, chunk, &o, &r, NULL, 0), OCIP_DEC_OK);
            assert_string_equal(r.out, USER_EXPECT);
        }
    }
}

static void test_ints_and_errors(void **state) {
    (void)state;
    rec r;
    const char *doc = HEAD
        "<command xsi:type=\"GroupAccessDeviceGetResponse18sp1\" xmlns=\"\"><numberOfPorts><quantity>6</quantity>"
        "</numberOfPorts><numberOfAssignedPorts>-2147483648</numberOfAssignedPorts></command>"
        "<command xmlns=\"\" xmlns:c=\"C\" type=\"Warning\" xsi:type=\"c:ErrorResponse\"><errorCode>4152</errorCode>"
        "<summary>s</summary><summaryEnglish>se</summaryEnglish></command>" TAIL;
    assert_int_equal(run(doc, 0, NULL, &r, NULL, 0), OCIP_DEC_OK);
    assert_string_equal(r.out,
        "S(sid)<GroupAccessDeviceGetResponse18sp1>number_of_ports{quantity=i6;}"
        "number_of_assigned_ports=i-2147483648;</><ErrorResponse>type='Warning';error_code=i4152;"
        "summary='s';summary_english='se';</>");
}

static void test_table(void **state) {
    (void)state;
    rec r;
    const char *doc = HEAD "<command xsi:type=\"UserGetListInSystemResponse\" xmlns=\"\"><userTable>"
        "<colHeading>User Id</colHeading><colHeading>Line/Port</colHeading><colHeading>User Id</colHeading>"
        "<row><col>a</col><col/><col>c</col><col>extra</col></row><row><col></col><col>lp</col></row>"
        "</userTable></command>" TAIL;
    assert_int_equal(run(doc, 0, NULL, &r, NULL, 0), OCIP_DEC_OK);
    assert_string_equal(r.out,
        "S(sid)<UserGetListInSystemResponse>user_table:T(H0:User Id=user_id;H1:Line/Port=line_port;"
        "H2:User Id=user_id_2;R(0=a;2=c;H3:-=col_4;3=extra;)R(1=lp;))</>");
}

static void test_request_document(void **state) {
    (void)state;
    rec r;
    const char *doc = HEAD "<command xsi:type=\"UserModifyRequest22\" xmlns=\"\"><userId>u</userId>"
        "<phoneNumber xsi:nil=\"true\"/><allowVideo>false</allowVideo></command>" TAIL;
    assert_int_equal(run(doc, 0, NULL, &r, NULL, 0), OCIP_DEC_OK);
    assert_string_equal(r.out, "S(sid)<UserModifyRequest22>user_id='u';phone_number=NIL;allow_video=b0;</>");
}

static void test_failures(void **state) {
    (void)state;
    rec r;
    char msg[256];
    assert_int_equal(run(HEAD "<command xsi:type=\"SuccessResponse\"></commnd>" TAIL, 0, NULL, &r, msg, sizeof msg),
                     OCIP_DEC_PROTOCOL);
    assert_non_null(strstr(msg, "malformed"));
    assert_int_equal(run(HEAD "<command xsi:type=\"SuccessResponse\"/>", 0, NULL, &r, msg, sizeof msg),
                     OCIP_DEC_PROTOCOL);
    assert_int_equal(run("<!DOCTYPE x [<!ENTITY a \"b\">]>" HEAD TAIL, 0, NULL, &r, msg, sizeof msg),
                     OCIP_DEC_PROTOCOL);
    assert_non_null(strstr(msg, "DOCTYPE"));
    assert_int_equal(run(HEAD "<command xsi:type=\"X\">&ent;</command>" TAIL, 0, NULL, &r, msg, sizeof msg),
                     OCIP_DEC_PROTOCOL);
    assert_int_equal(run("<other/>", 0, NULL, &r, msg, sizeof msg), OCIP_DEC_PROTOCOL);
    assert_int_equal(run("", 0, NULL, &r, msg, sizeof msg), OCIP_DEC_PROTOCOL);

    ocip_dec_opts o = {.max_size = 100};
    assert_int_equal(run(USER_DOC, 0, &o, &r, msg, sizeof msg), OCIP_DEC_LIMIT);
    assert_non_null(strstr(msg, "max_size"));
    assert_int_equal(run(USER_DOC, 7, &o, &r, msg, sizeof msg), OCIP_DEC_LIMIT);
    ocip_dec_opts o2 = {.max_depth = 3};
    assert_int_equal(run(USER_DOC, 0, &o2, &r, msg, sizeof msg), OCIP_DEC_LIMIT);
    assert_non_null(strstr(msg, "max_depth"));
    ocip_dec_opts o3 = {.max_depth = 4};
    assert_int_equal(run(USER_DOC, 0, &o3, &r, msg, sizeof msg), OCIP_DEC_OK);
}

static void test_sink_stop_and_reuse(void **state) {
    (void)state;
    rec r;
    memset(&r, 0, sizeof r);
    r.stop_at_field = 2;
    ocip_dec *d = ocip_dec_new(ocip_catalog_get(), &SINK, &r, NULL);
    assert_non_null(d);
    assert_int_equal(ocip_dec_whole(d, USER_DOC, strlen(USER_DOC)), OCIP_DEC_SINK);
    assert_int_equal(ocip_dec_feed(d, "x", 1), OCIP_DEC_SINK); /* sticky */
    memset(&r, 0, sizeof r);
    ocip_dec_reset(d, &r);
    assert_int_equal(ocip_dec_whole(d, USER_DOC, strlen(USER_DOC)), OCIP_DEC_OK);
    assert_string_equal(r.out, USER_EXPECT);
    /* a 7-bit document must not leave the declaration ignored for the next one */
    const char *ascii = HEAD "<command xsi:type=\"SuccessResponse\" xmlns=\"\"/>" TAIL;
    memset(&r, 0, sizeof r);
    ocip_dec_reset(d, &r);
    assert_int_equal(ocip_dec_whole(d, ascii, strlen(ascii)), OCIP_DEC_OK);
    memset(&r, 0, sizeof r);
    ocip_dec_reset(d, &r);
    assert_int_equal(ocip_dec_whole(d, USER_DOC, strlen(USER_DOC)), OCIP_DEC_OK);
    assert_string_equal(r.out, USER_EXPECT);
    ocip_dec_free(d);
}

static void test_names(void **state) {
    (void)state;
    char out[64];
    static const char *const heads[][2] = {
        {"Line/Port", "line_port"}, {"User Id", "user_id"}, {"  MAC  Address ", "mac_address"},
        {"Phone Number (E.164)", "phone_number_e_164"}, {"???", ""}, {"\xC3\x89tat", "\xC3\x89tat"},
    };
    for (size_t i = 0; i < sizeof heads / sizeof *heads; i++) {
        size_t n = ocip_dec_heading_key(heads[i][0], strlen(heads[i][0]), out, sizeof out);
        assert_string_equal(out, heads[i][1]);
        assert_int_equal(n, strlen(heads[i][1]));
    }
    static const char *const snakes[][2] = {
        {"callingLineIdLastName", "calling_line_id_last_name"},
        {"SearchCriteriaGroupId", "search_criteria_group_id"},
        {"HTTPServer", "http_server"}, {"address2Line", "address2_line"}, {"sipURI", "sip_uri"},
        {"a-b.c", "a_b_c"},
    };
    for (size_t i = 0; i < sizeof snakes / sizeof *snakes; i++) {
        ocip_dec_snake(snakes[i][0], strlen(snakes[i][0]), out, sizeof out);
        assert_string_equal(out, snakes[i][1]);
    }
    char tiny[4];
    assert_int_equal(ocip_dec_heading_key("abcdef", 6, tiny, sizeof tiny), 3);
    assert_string_equal(tiny, "abc");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_chunks),
        cmocka_unit_test(test_pieces),
        cmocka_unit_test(test_ints_and_errors),
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_request_document),
        cmocka_unit_test(test_failures),
        cmocka_unit_test(test_sink_stop_and_reuse),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
