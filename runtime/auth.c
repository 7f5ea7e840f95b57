/* Login hashes and random identifiers on OpenSSL (EVP digests, RAND_bytes). */
#include "runtime/auth.h"
#include <string.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

static const char HEX[] = "0123456789abcdef";

static void to_hex(const unsigned char *in, size_t n, char *out) {
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = HEX[in[i] >> 4];
        out[2 * i + 1] = HEX[in[i] & 0x0f];
    }
    out[2 * n] = '\0';
}

/* One-shot digest of up to three pieces (so signed_password needs no join buffer). */
static int digest_hex(const EVP_MD *md, const void *const parts[], const size_t lens[],
                      size_t nparts, char *out) {
    unsigned char buf[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    int ok = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx) return -1;
    if (EVP_DigestInit_ex(ctx, md, NULL) == 1) {
        ok = 1;
        for (size_t i = 0; i < nparts && ok; i++)
            ok = EVP_DigestUpdate(ctx, parts[i], lens[i]) == 1;
        ok = ok && EVP_DigestFinal_ex(ctx, buf, &n) == 1;
    }
    EVP_MD_CTX_free(ctx);
    if (!ok) return -1;
    to_hex(buf, n, out);
    return 0;
}

int ocip_md5_hex(const void *data, size_t len, char out[OCIP_MD5_HEX_SIZE]) {
    const void *parts[] = { data };
    const size_t lens[] = { len };
    return digest_hex(EVP_md5(), parts, lens, 1, out);
}

int ocip_sha1_hex(const void *data, size_t len, char out[OCIP_SHA1_HEX_SIZE]) {
    const void *parts[] = { data };
    const size_t lens[] = { len };
    return digest_hex(EVP_sha1(), parts, lens, 1, out);
}

int ocip_signed_password(const char *nonce, size_t nonce_len,
                         const char *password, size_t password_len,
                         char out[OCIP_MD5_HEX_SIZE]) {
    char sha[OCIP_SHA1_HEX_SIZE];
    if (ocip_sha1_hex(password, password_len, sha) != 0) return -1;
    const void *parts[] = { nonce, ":", sha };
    const size_t lens[] = { nonce_len, 1, OCIP_SHA1_HEX_SIZE - 1 };
    return digest_hex(EVP_md5(), parts, lens, 3, out);
}

int ocip_random_id(char out[OCIP_UUID_SIZE]) {
    unsigned char b[16];
    if (RAND_bytes(b, sizeof b) != 1) return -1;
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    char hex[33];
    to_hex(b, sizeof b, hex);
    /* 8-4-4-4-12 */
    static const int groups[] = { 8, 4, 4, 4, 12 };
    size_t o = 0, h = 0;
    for (size_t g = 0; g < 5; g++) {
        if (g) out[o++] = '-';
        memcpy(out + o, hex + h, (size_t)groups[g]);
        o += (size_t)groups[g];
        h += (size_t)groups[g];
    }
    out[o] = '\0';
    return 0;
}

int ocip_random_nonce(char *out, size_t digits) {
    if (digits == 0 || digits > OCIP_NONCE_MAX) return -1;
    size_t n = 0;
    while (n < digits) {
        unsigned char b[OCIP_NONCE_MAX];
        if (RAND_bytes(b, sizeof b) != 1) return -1;
        /* Reject 250..255 so every digit is equally likely. */
        for (size_t i = 0; i < sizeof b && n < digits; i++)
            if (b[i] < 250) out[n++] = (char)('0' + b[i] % 10);
    }
    out[n] = '\0';
    return 0;
}
