/* Login hashes and random identifiers (OpenSSL EVP / RAND). No Lua here.
 * Every function returns 0 on success and -1 when OpenSSL fails; outputs are
 * NUL-terminated lowercase text in caller-provided buffers of the stated size. */
#ifndef OCIP_RUNTIME_AUTH_H
#define OCIP_RUNTIME_AUTH_H
#include <stddef.h>

#define OCIP_MD5_HEX_SIZE 33   /* 32 hex digits + NUL */
#define OCIP_SHA1_HEX_SIZE 41  /* 40 hex digits + NUL */
#define OCIP_UUID_SIZE 37      /* 8-4-4-4-12 + NUL */
#define OCIP_NONCE_MAX 64      /* longest nonce ocip_random_nonce makes */

int ocip_md5_hex(const void *data, size_t len, char out[OCIP_MD5_HEX_SIZE]);
int ocip_sha1_hex(const void *data, size_t len, char out[OCIP_SHA1_HEX_SIZE]);

/* Login 14sp4: md5_hex(nonce ":" sha1_hex(password)). */
int ocip_signed_password(const char *nonce, size_t nonce_len,
                         const char *password, size_t password_len,
                         char out[OCIP_MD5_HEX_SIZE]);

/* A random UUID version 4 in its canonical text form (session ids). */
int ocip_random_id(char out[OCIP_UUID_SIZE]);

/* `digits` random decimal digits (1..OCIP_NONCE_MAX) into out[digits + 1]. */
int ocip_random_nonce(char *out, size_t digits);

#endif
