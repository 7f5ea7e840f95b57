/* libFuzzer target for the CSV reader (lua/ocip/csv.lua): any bytes must give records
 * or nil plus an ocip.Error, never a raise; what parses must read back the same after
 * the writer wrote it (csv.line), and csv.records must keep its promises (header names
 * trimmed, lowercased, distinct; rows numbered in order). The checks are in
 * spec/fuzz/fuzz_csv.lua; the harness is spec/fuzz/lua_fuzz.h. Build: make fuzz, then
 *   build/fuzz/fuzz_csv -max_len=4096 -runs=100000 */
#include "spec/fuzz/lua_fuzz.h"
