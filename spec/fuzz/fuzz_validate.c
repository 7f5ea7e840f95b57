/* libFuzzer target for the request validator and encoder (lua/ocip/validate.lua,
 * lua/ocip/encode.lua): the input picks a request of the catalog and is decoded into
 * a nested Lua table of strings, numbers, booleans, ocip.NIL and tables, with keys
 * drawn from the catalog's fields of the type at each level. validate.request must
 * return a request or nil plus an ocip.Error (never raise); an accepted request must
 * encode. With OCIP_FUZZ_XSD=path/OCISchemaAS.xsd every encoded document is also
 * validated against the XSD (slower). Checks: spec/fuzz/fuzz_validate.lua; harness:
 * spec/fuzz/lua_fuzz.h. Build: make fuzz, then
 *   build/fuzz/fuzz_validate -max_len=2048 -runs=100000 */
#include "spec/fuzz/lua_fuzz.h"
