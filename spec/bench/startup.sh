#!/bin/sh
# Startup time of a command: median wall time over N runs, in ms.
# Usage: sh spec/bench/startup.sh N command [args...]
# Prints one line: "<median_ms> <min_ms> <max_ms>".
#
# Each run is timed with `date +%s%N` (GNU date), output discarded, three dates
# per run: t0, t1, command, t2. t1-t0 is the cost of one date call (its exit,
# the shell's fork+exec of the next one); the figure is
# median(t2-t1) - median(t1-t0): the fork+exec+run time of the command alone.
# Sampling both in the same loop keeps the correction honest on a noisy machine.
set -eu
n=$1; shift

# Warm the page cache once, then measure.
"$@" >/dev/null 2>&1 </dev/null || true
i=0
while [ "$i" -lt "$n" ]; do
    t0=$(date +%s%N)
    t1=$(date +%s%N)
    "$@" >/dev/null 2>&1 </dev/null || true
    t2=$(date +%s%N)
    echo "$((t1 - t0)) $((t2 - t1))"
    i=$((i + 1))
done | awk '
    function median(a, n,   i, j, t) {
        for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j > 0 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
        return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    { base[NR] = $1; run[NR] = $2 }
    END {
        b = median(base, NR); m = median(run, NR)
        printf "%.2f %.2f %.2f\n", (m - b) / 1e6, (run[1] - b) / 1e6, (run[NR] - b) / 1e6
    }'
