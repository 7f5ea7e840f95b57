/* Lua library sources compiled into the binary (see bindings/embed.lua). */
#ifndef OCIP_EMBED_H
#define OCIP_EMBED_H
#include <stddef.h>
typedef struct {
    const char *module;   /* "ocip", "ocip.client", ... */
    const char *chunkname;/* "@lua/ocip/client.lua" */
    const char *source;
    size_t size;
} ocip_embedded;
extern const ocip_embedded ocip_embedded_lua[]; /* ends with a zeroed entry */
#endif
