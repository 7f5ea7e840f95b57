/* The Lua decoder object (bindings/decode.c) as fed by a connection (net_io.c):
 * conn:read(dec) hands it a document's pieces as they arrive. Pieces come from the
 * framer (ocip_framer_peek), already scanned: the decoder does not scan them again. */
#ifndef OCIP_BINDINGS_DECODE_H
#define OCIP_BINDINGS_DECODE_H
#include <stddef.h>
#include <lua.h>

/* Is the value at idx a decoder object? */
int ocip_decoder_check(lua_State *L, int idx);
/* Begins a new document on the decoder at idx (what an earlier one left is dropped). */
void ocip_decoder_begin(lua_State *L, int idx);
/* Feeds a piece; returns how many rows are queued (rows mode). A decoding failure is
 * kept and reported by the finish; the document's later pieces are then ignored. */
int ocip_decoder_piece(lua_State *L, int idx, const char *p, size_t n);
/* Feeds the last piece (whole: it is the whole document) and finishes: pushes the
 * result, or nil, err; returns the count pushed. */
int ocip_decoder_finish(lua_State *L, int idx, const char *p, size_t n, int whole);

#endif
