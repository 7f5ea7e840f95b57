#!/bin/sh
# Instruction counts of client workloads (repeatable on a loaded machine, unlike CPU time):
#   sh spec/bench/callgrind.sh BUILD_DIR MODE N [USERS]
# Starts `ocip sim` (not profiled), runs spec/bench/workload.lua MODE 0 and MODE N under
# callgrind, prints instructions per command (or per row) = (Ir(N) - Ir(0)) / N, and
# leaves the profile of the N run in $OUT (default /tmp/ocip-callgrind.MODE.out) for
# `callgrind_annotate --inclusive=yes $OUT | head -60`.
set -eu
BUILD=${1:-build}; MODE=${2:-serial}; N=${3:-2000}; USERS=${4:-100000}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
HOST=$BUILD/ocip
OUT=${OUT:-/tmp/ocip-callgrind.$MODE.out}
PASSWORD=bench-password
ready=$(mktemp /tmp/ocip-cg.XXXXXX)
OCIP_SIM_PASSWORD=$PASSWORD "$HOST" sim --tcp 0 --users "$USERS" --seed 1 --for 900 > "$ready" 2>/dev/null &
sim=$!
trap 'kill $sim 2>/dev/null; rm -f "$ready"' EXIT INT TERM
port=""
while [ -z "$port" ]; do
    kill -0 $sim 2>/dev/null || { echo "simulator did not start" >&2; exit 1; }
    sleep 0.2
    port=$(sed -n 's/.*tcp=[0-9.]*:\([0-9]*\).*/\1/p' "$ready")
done
ir() { # N -> total instructions
    valgrind --tool=callgrind --callgrind-out-file="$2" "$HOST" spec/bench/workload.lua "$MODE" "$1" "$port" "$PASSWORD" \
        >/dev/null 2>"$2.log" || { cat "$2.log" >&2; exit 1; }
    sed -n 's/^==[0-9]*== Collected : //p' "$2.log"
}
base=$(ir 0 "$OUT.zero")
full=$(ir "$N" "$OUT")
echo "$MODE N=$N: Ir total $full, baseline $base, per item $(( (full - base) / N ))"
