/* The streaming decoder's lifecycle: a libxml2 push parser whose SAX2 callbacks
 * (decode_sax.c) report to the sink; bytes are fed in any chunking, bounded in
 * size. The parser context, frame stack and buffers are reused from document to
 * document. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libxml/parserInternals.h>
#include "runtime/decode_private.h"

#define MAX_DEPTH_CAP 4096u

/* ---- small helpers ---------------------------------------------------- */

int dec_buf_add(buf *b, const char *s, size_t n) {
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1) cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) return -1;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
}

void dec_fail(ocip_dec *d, int status, const char *fmt, const char *arg) {
    if (d->status != OCIP_DEC_OK) return;
    d->status = status;
    snprintf(d->msg, sizeof d->msg, fmt, arg ? arg : "");
    if (d->ctxt) xmlStopParser(d->ctxt);
}

/* ---- lifecycle -------------------------------------------------------- */

ocip_dec *ocip_dec_new(const ocip_catalog *cat, const ocip_dec_sink *sink, void *ud,
                       const ocip_dec_opts *opts) {
    if (!cat || !sink) return NULL;
    ocip_dec *d = calloc(1, sizeof *d);
    if (!d) return NULL;
    d->cat = cat;
    d->sink = *sink;
    d->ud = ud;
    d->max_size = opts && opts->max_size ? opts->max_size : OCIP_DEC_DEFAULT_MAX_SIZE;
    d->max_depth = opts && opts->max_depth ? opts->max_depth : OCIP_DEC_DEFAULT_MAX_DEPTH;
    if (d->max_depth > MAX_DEPTH_CAP) d->max_depth = MAX_DEPTH_CAP;
    d->table_type = ocip_cat_find(cat, "OCITable");
    d->any_type = ocip_cat_find(cat, "xs:anyType");
    xmlInitParser();
    if (opts && opts->encoding && dec_force_encoding(d, opts->encoding) != 0) { free(d); return NULL; }
    d->frames = calloc(d->max_depth + 1, sizeof *d->frames);
    dec_setup_sax(&d->sax);
    if (d->frames) d->ctxt = xmlCreatePushParserCtxt(&d->sax, d, NULL, 0, NULL);
    if (!d->frames || !d->ctxt) { ocip_dec_free(d); return NULL; }
    return d;
}

void ocip_dec_free(ocip_dec *d) {
    if (!d) return;
    if (d->ctxt) xmlFreeParserCtxt(d->ctxt);
    free(d->frames);
    free(d->text.p);
    free(d->keys.p);
    free(d->hkeys.p);
    free(d->encoding);
    free(d);
}

int ocip_dec_reset(ocip_dec *d, void *ud) {
    d->ud = ud;
    d->started = 0;
    d->npre = 0;
    d->total = 0;
    d->status = OCIP_DEC_OK;
    d->saw_root = d->root_done = 0;
    d->depth = 0;
    d->text.len = d->keys.len = d->hkeys.len = 0;
    d->nheadings = 0;
    memset(d->hset, 0, sizeof d->hset);
    d->ascii = 0;
    d->msg[0] = '\0';
    return 0;
}

/* Starts the parser on the held-back first bytes, so BOM and declaration detection
 * see at least 4 bytes whatever the chunking. */
static int start(ocip_dec *d) {
    d->started = 1;
    if (xmlCtxtResetPush(d->ctxt, d->pre, (int)d->npre, NULL, d->encoding) != 0) {
        dec_fail(d, OCIP_DEC_NOMEM, "cannot start the XML parser%s", NULL);
        return -1;
    }
    d->ctxt->userData = d;
    int ignore = d->encoding || d->force_utf8 || d->ascii;
    d->ctxt->options &= ~XML_PARSE_IGNORE_ENC; /* options survive resets; this one must not */
    xmlCtxtUseOptions(d->ctxt, XML_PARSE_NONET | (ignore ? XML_PARSE_IGNORE_ENC : 0));
    return 0;
}

static int push(ocip_dec *d, const char *p, size_t n, int terminate) {
    while (d->status == OCIP_DEC_OK && (n > 0 || terminate)) {
        int step = n > (1u << 30) ? 1 << 30 : (int)n;
        xmlParseChunk(d->ctxt, p, step, terminate && (size_t)step == n);
        if (!d->ctxt->wellFormed && d->status == OCIP_DEC_OK)
            dec_fail(d, OCIP_DEC_PROTOCOL, "malformed XML%s", NULL);
        p += step;
        n -= (size_t)step;
        if (n == 0) break;
    }
    return d->status;
}

int ocip_dec_feed(ocip_dec *d, const char *chunk, size_t len) {
    if (d->status != OCIP_DEC_OK) return d->status;
    if (len > d->max_size - d->total) {
        char n[32];
        snprintf(n, sizeof n, "%zu", d->max_size);
        dec_fail(d, OCIP_DEC_LIMIT, "document larger than max_size (%s bytes)", n);
        return d->status;
    }
    d->total += len;
    if (!d->started) {
        size_t take = sizeof d->pre - d->npre;
        if (take > len) take = len;
        memcpy(d->pre + d->npre, chunk, take);
        d->npre += take;
        chunk += take;
        len -= take;
        if (d->npre < sizeof d->pre) return OCIP_DEC_OK;
        if (start(d) != 0) return d->status;
    }
    return len ? push(d, chunk, len, 0) : d->status;
}

int ocip_dec_finish(ocip_dec *d) {
    if (d->status != OCIP_DEC_OK) return d->status;
    if (!d->started && start(d) != 0) return d->status;
    push(d, NULL, 0, 1);
    if (d->status == OCIP_DEC_OK && (!d->saw_root || !d->root_done))
        dec_fail(d, OCIP_DEC_PROTOCOL, "incomplete OCI-P document%s", NULL);
    return d->status;
}

const char *ocip_dec_message(const ocip_dec *d) { return d->msg; }

int ocip_dec_whole(ocip_dec *d, const char *doc, size_t len) {
    if (d->status == OCIP_DEC_OK && !d->started && d->npre == 0 && !d->encoding)
        d->ascii = dec_plain_ascii(doc, len);
    int st = ocip_dec_feed(d, doc, len);
    return st == OCIP_DEC_OK ? ocip_dec_finish(d) : st;
}

int ocip_dec_document(const ocip_catalog *cat, const ocip_dec_sink *sink, void *ud,
                      const ocip_dec_opts *opts, const char *doc, size_t len,
                      char *msg, size_t msg_size) {
    ocip_dec *d = ocip_dec_new(cat, sink, ud, opts);
    if (!d) {
        if (msg && msg_size) snprintf(msg, msg_size, "out of memory or unknown encoding");
        return OCIP_DEC_NOMEM;
    }
    int st = ocip_dec_whole(d, doc, len);
    if (msg && msg_size) snprintf(msg, msg_size, "%s", d->msg);
    ocip_dec_free(d);
    return st;
}
