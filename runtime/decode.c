/* The streaming decoder's lifecycle: a libxml2 push parser whose SAX2 callbacks
 * (decode_sax.c) report to the sink; bytes are fed in any chunking, bounded in
 * size. The parser context, frame stack and buffers are reused from document to
 * document (big ones are dropped between documents).
 *
 * Linear time: every byte first goes through the markup scanner (scan.h), which
 * refuses what libxml2 would parse in superlinear time (huge start tags, many
 * attributes), and libxml2 gets the bytes in pieces of about PIECE bytes that end
 * between two pieces of markup. libxml2's push parser rescans an unfinished
 * construct on every chunk it is given; a piece never leaves one unfinished, so
 * nothing is rescanned, and its buffer stays near PIECE bytes instead of holding
 * a copy of the whole document. XML_PARSE_HUGE lifts libxml2's own 10 MB limits
 * (lookup, text, names), which would refuse valid answers: the bounds that hold
 * are ours (max_size, max_depth, the scanner's). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libxml/parserInternals.h>
#include "runtime/decode_private.h"

#define MAX_DEPTH_CAP 4096u
#define PIECE ((size_t)64 * 1024)       /* default bytes handed to libxml2 at a time, at least */
#define KEEP_BUF ((size_t)1 << 20)      /* buffers bigger than this are freed between documents */
#define KEEP_DICT 20000u                /* names interned by the parser; more: a new parser */

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
    d->piece = opts && opts->piece ? opts->piece : PIECE;
    d->table_type = ocip_cat_find(cat, "OCITable");
    d->any_type = ocip_cat_find(cat, "xs:anyType");
    ocip_scan_init(&d->guard);
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
    free(d->hold.p);
    free(d->conv.p);
    free(d->encoding);
    free(d);
}

static void drop_big(buf *b) {
    if (b->cap <= KEEP_BUF) return;
    free(b->p);
    b->p = NULL;
    b->cap = 0;
}

void ocip_dec_trim(ocip_dec *d) {
    drop_big(&d->text);
    drop_big(&d->keys);
    drop_big(&d->hkeys);
    drop_big(&d->hold);
    drop_big(&d->conv);
    if (d->ctxt && d->ctxt->dict && xmlDictSize(d->ctxt->dict) > (int)KEEP_DICT) {
        xmlFreeParserCtxt(d->ctxt);
        memset(d->lookup, 0, sizeof d->lookup); /* keyed by the old dictionary's names */
        d->ctxt = xmlCreatePushParserCtxt(&d->sax, d, NULL, 0, NULL);
    } else if (d->ctxt && d->big_input) {
        xmlCtxtReset(d->ctxt); /* frees the input buffer a big piece grew */
    }
    d->big_input = 0;
}

int ocip_dec_reset(ocip_dec *d, void *ud) {
    ocip_dec_trim(d); /* memory a big or hostile document grew is not kept for the next one */
    ocip_scan_init(&d->guard);
    d->hold.len = 0;
    d->ud = ud;
    d->started = 0;
    d->npre = 0;
    d->total = 0;
    d->status = OCIP_DEC_OK;
    d->saw_root = d->root_done = 0;
    d->diagnostics = 0;
    d->depth = 0;
    d->text.len = d->keys.len = d->hkeys.len = 0;
    d->nheadings = 0; /* (the heading set is cleared when a table begins) */
    d->ascii = 0;
    d->latin1 = 0;
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
    int ignore = d->encoding || d->force_utf8 || d->ascii || d->latin1;
    d->ctxt->options &= ~XML_PARSE_IGNORE_ENC; /* options survive resets; this one must not */
    xmlCtxtUseOptions(d->ctxt, XML_PARSE_NONET | XML_PARSE_HUGE | (ignore ? XML_PARSE_IGNORE_ENC : 0));
    return 0;
}

static int push(ocip_dec *d, const char *p, size_t n, int terminate) {
    while (d->status == OCIP_DEC_OK && (n > 0 || terminate)) {
        int step = n > (1u << 30) ? 1 << 30 : (int)n;
        if ((size_t)step > KEEP_BUF) d->big_input = 1;
        xmlParseChunk(d->ctxt, p, step, terminate && (size_t)step == n);
        if (!d->ctxt->wellFormed && d->status == OCIP_DEC_OK)
            dec_fail(d, OCIP_DEC_PROTOCOL, "malformed XML%s", NULL);
        if (step == 0) break; /* the terminating call (p may be NULL: no arithmetic on it) */
        p += step;
        n -= (size_t)step;
        if (n == 0) break;
    }
    return d->status;
}

/* Hands bytes to libxml2, the first four held back until they are all there. */
static int emit(ocip_dec *d, const char *p, size_t n) {
    if (!d->started) {
        size_t take = sizeof d->pre - d->npre;
        if (take > n) take = n;
        memcpy(d->pre + d->npre, p, take);
        d->npre += take;
        p += take;
        n -= take;
        if (d->npre < sizeof d->pre) return OCIP_DEC_OK;
        if (start(d) != 0) return d->status;
    }
    return n ? push(d, p, n, 0) : d->status;
}

/* Hands over a piece ending at a safe cut, after what an earlier feed held back. */
static int emit_piece(ocip_dec *d, const char *p, size_t n) {
    if (!d->hold.len) return emit(d, p, n);
    if (dec_buf_add(&d->hold, p, n) != 0) {
        dec_fail(d, OCIP_DEC_NOMEM, "out of memory%s", NULL);
        return d->status;
    }
    int st = emit(d, d->hold.p, d->hold.len);
    d->hold.len = 0;
    return st;
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
    size_t pos = 0, from = 0; /* chunk[from, pos): scanned, not handed over yet */
    while (pos < len) {
        size_t n = len - pos > d->piece ? d->piece : len - pos, used, cut;
        int st = ocip_scan_run(&d->guard, chunk + pos, n, &used, &cut);
        if (st == OCIP_SCAN_LIMIT || st == OCIP_SCAN_PROTOCOL) {
            dec_fail(d, st == OCIP_SCAN_LIMIT ? OCIP_DEC_LIMIT : OCIP_DEC_PROTOCOL, "%s",
                     ocip_scan_error(&d->guard));
            return d->status;
        }
        if (cut && emit_piece(d, chunk + from, pos + cut - from) != OCIP_DEC_OK) return d->status;
        if (cut) from = pos + cut;
        pos += used;
    }
    if (from < len && dec_buf_add(&d->hold, chunk + from, len - from) != 0)
        dec_fail(d, OCIP_DEC_NOMEM, "out of memory%s", NULL);
    return d->status;
}

int ocip_dec_feed_scanned(ocip_dec *d, const char *p, size_t len, int whole) {
    if (d->status != OCIP_DEC_OK) return d->status;
    if (len > d->max_size - d->total) {
        char n[32];
        snprintf(n, sizeof n, "%zu", d->max_size);
        dec_fail(d, OCIP_DEC_LIMIT, "document larger than max_size (%s bytes)", n);
        return d->status;
    }
    if (!d->started && d->npre == 0 && d->total == 0 && !d->encoding && !d->force_utf8) {
        if (whole) d->ascii = dec_plain_ascii(p, len);
        /* ISO-8859-1 (what OCI-P servers declare): turned into UTF-8 here, piece by piece,
         * cheaper than libxml2's converter and its buffers; nothing to do for 7-bit pieces */
        if (!d->ascii) d->latin1 = dec_declares_latin1(p, len);
    }
    d->total += len;
    if (d->latin1 && dec_has_8bit(p, len)) {
        if (dec_latin1_to_utf8(&d->conv, p, len) != 0) {
            dec_fail(d, OCIP_DEC_NOMEM, "out of memory%s", NULL);
            return d->status;
        }
        return emit_piece(d, d->conv.p, d->conv.len);
    }
    return emit_piece(d, p, len);
}

int ocip_dec_finish(ocip_dec *d) {
    if (d->status != OCIP_DEC_OK) return d->status;
    if (d->hold.len) {
        emit(d, d->hold.p, d->hold.len);
        d->hold.len = 0;
        if (d->status != OCIP_DEC_OK) return d->status;
    }
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
