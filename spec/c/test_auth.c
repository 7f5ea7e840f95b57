/* runtime/auth: digests against known vectors, signed password, random ids. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <ctype.h>
#include <cmocka.h>
#include "runtime/auth.h"

static void test_md5(void **state) {
    (void)state;
    char out[OCIP_MD5_HEX_SIZE];
    assert_int_equal(ocip_md5_hex("", 0, out), 0);
    assert_string_equal(out, "d41d8cd98f00b204e9800998ecf8427e");
    assert_int_equal(ocip_md5_hex("abc", 3, out), 0);
    assert_string_equal(out, "900150983cd24fb0d6963f7d28e17f72");
}

static void test_sha1(void **state) {
    (void)state;
    char out[OCIP_SHA1_HEX_SIZE];
    assert_int_equal(ocip_sha1_hex("abc", 3, out), 0);
    assert_string_equal(out, "a9993e364706816aba3e25717850c26c9cd0d89d");
    assert_int_equal(ocip_sha1_hex("password", 8, out), 0);
    assert_string_equal(out, "5baa61e4c9b93f3f0682250b6cf8331b7ee68fd8");
}

static void test_signed_password(void **state) {
    (void)state;
    char out[OCIP_MD5_HEX_SIZE];
    assert_int_equal(ocip_signed_password("1234567890123", 13, "password", 8, out), 0);
    assert_string_equal(out, "77e4a6de3a1e00be05e121cf0ebee860");
}

static void test_random_id(void **state) {
    (void)state;
    char a[OCIP_UUID_SIZE], b[OCIP_UUID_SIZE];
    assert_int_equal(ocip_random_id(a), 0);
    assert_int_equal(ocip_random_id(b), 0);
    assert_int_equal(strlen(a), 36);
    assert_string_not_equal(a, b);
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) assert_int_equal(a[i], '-');
        else assert_true(isxdigit((unsigned char)a[i]) && !isupper((unsigned char)a[i]));
    }
    assert_int_equal(a[14], '4');
    assert_non_null(strchr("89ab", a[19]));
}

static void test_random_nonce(void **state) {
    (void)state;
    char n[OCIP_NONCE_MAX + 1], m[OCIP_NONCE_MAX + 1];
    assert_int_equal(ocip_random_nonce(n, 13), 0);
    assert_int_equal(strlen(n), 13);
    for (int i = 0; i < 13; i++) assert_true(isdigit((unsigned char)n[i]));
    assert_int_equal(ocip_random_nonce(m, OCIP_NONCE_MAX), 0);
    assert_int_equal(strlen(m), OCIP_NONCE_MAX);
    assert_int_equal(ocip_random_nonce(n, 0), -1);
    assert_int_equal(ocip_random_nonce(n, OCIP_NONCE_MAX + 1), -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_md5),
        cmocka_unit_test(test_sha1),
        cmocka_unit_test(test_signed_password),
        cmocka_unit_test(test_random_id),
        cmocka_unit_test(test_random_nonce),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
