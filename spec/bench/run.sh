#!/bin/sh
# `make bench`: sh spec/bench/run.sh BUILD_DIR
# Measures and prints figures against their targets (docs/BENCHMARKS.md). Nothing
# here fails on a slow figure: the machine may be shared and noisy. The exit
# status is non-zero only when a benchmark could not run.
# Env: OCIP_BENCH_STARTUP_RUNS (runs per interpreter, default 40), LUA (lua5.4).
set -u

BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 2
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
HOST=$BUILD/ocip
LUA=${LUA:-lua5.4}
RUNS=${OCIP_BENCH_STARTUP_RUNS:-40}
[ -x "$HOST" ] || { echo "bench: $HOST not built (make BUILD=...)" >&2; exit 2; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ocip-bench.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT INT TERM
rows=$tmp/rows     # label|value|unit|op|target  (op: <= or >=)
: > "$rows"
broken=""

row() { printf '%s|%s|%s|%s|%s\n' "$1" "$2" "$3" "$4" "$5" >> "$rows"; }

echo "== machine: $(nproc 2>/dev/null || echo ?) cores, load $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"

# ---- startup ------------------------------------------------------------
echo "== startup: median of $RUNS runs, fork+exec+exit (spec/bench/startup.sh)"
if command -v "$LUA" >/dev/null 2>&1; then
    lua_ms=$(sh spec/bench/startup.sh "$RUNS" "$LUA" -e '')
else
    lua_ms=""
fi
ocip_ms=$(sh spec/bench/startup.sh "$RUNS" "$HOST" -e '')
printf '  %-26s median %s ms (min %s, max %s)\n' "ocip -e ''" $ocip_ms
set -- $ocip_ms
ocip_med=$1
row "startup ocip -e ''" "$ocip_med" ms "<=" 10
if [ -n "$lua_ms" ]; then
    printf '  %-26s median %s ms (min %s, max %s)\n' "$LUA -e ''" $lua_ms
    set -- $lua_ms
    ratio=$(awk -v a="$ocip_med" -v b="$1" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }')
    echo "  ratio ocip / $LUA: ${ratio}x (target <= 5)"
    row "startup ratio ocip/$LUA" "$ratio" x "<=" 5
else
    echo "  ($LUA not found: no ratio)"
fi

# ---- codec --------------------------------------------------------------
# Each case in its own process: its peak RSS (VmHWM) is its own.
echo "== codec: median over batches of CPU time per operation, one process per case (spec/bench/codec_bench.lua)"
codec() { # interpreter label case target unit
    out=$("$@" 2>"$tmp/err") || { echo "  $2: FAILED: $(tail -3 "$tmp/err")"; broken="$broken codec:$3"; return 1; }
    echo "$out"
}
for c in encode:20:"validate+encode UserAddRequest22V2 (20 fields)" \
         decode_user:20:"decode UserGetResponse23V2" \
         decode_table:40:"decode 10,000x15 UserGetListInSystemResponse" \
         decode_huge:50:"decode 150,000x15 (54 MB) answer, per MB" \
         reject_hostile:50:"refuse hostile documents (worst), per MB"; do
    name=${c%%:*}; rest=${c#*:}; target=${rest%%:*}; label=${rest#*:}
    if out=$("$HOST" spec/bench/codec_bench.lua "$name" 2>"$tmp/err"); then
        set -- $out  # case median unit min rss_kib bytes
        printf '  %-48s %9s %s/op (min %s), peak RSS %s MiB, %s bytes\n' "$label" "$2" "$3" "$4" \
            "$(awk -v k="$5" 'BEGIN { printf "%.1f", k / 1024 }')" "$6"
        row "$label" "$2" "$3" "<=" "$target"
        row "  peak RSS ($name)" "$(awk -v k="$5" 'BEGIN { printf "%.1f", k / 1024 }')" MiB "" ""
        echo "$name $2" >> "$tmp/host_codec"
    else
        echo "  $label: FAILED"; sed 's/^/    /' "$tmp/err" | tail -5
        broken="$broken codec:$name"
    fi
done
# The same cases under stock lua5.4 with BUILD/ocip.so: the cost of the host itself.
if command -v "$LUA" >/dev/null 2>&1 && [ -f "$BUILD/ocip.so" ]; then
    echo "  same cases under $LUA + ocip.so (host overhead; no target):"
    for name in encode decode_user decode_table; do
        if out=$("$LUA" spec/bench/codec_bench.lua "$name" "$BUILD" 2>"$tmp/err"); then
            set -- $out
            h=$(awk -v n="$name" '$1 == n { print $2 }' "$tmp/host_codec" 2>/dev/null)
            printf '    %-14s %9s %s/op, host/%s = %s\n' "$name" "$2" "$3" "$LUA" \
                "$(awk -v a="$h" -v b="$2" 'BEGIN { if (a == "" || b <= 0) print "-"; else printf "%.2f", a / b }')"
        else
            echo "    $name: FAILED"; broken="$broken codec-lua:$name"
        fi
    done
fi

# ---- client and simulator (other benches; their output is passed through) ----
# A figure of theirs reaches the summary when it is followed by `(target <= T)` or
# `(target >= T)`: `<label> N <unit> (target ...)`, or `= N of the limit L (target ...)`.
# Labels: the line's head before its first ':' plus the figure's own words. A line
# `...: ... = N of the limit L` without a target is listed as a figure without one.
PARSE='
local src = os.getenv("SRC")
for line in io.lines() do
  local head = line:match("^([^:]-):") or ""
  local pos = 1
  for s, op, t, e in line:gmatch("()%(target ([<>]=) ([%d.]+)%)()") do
    local pre = line:sub(pos, s - 1)
    pos = e
    local label, value, unit
    local frac = pre:match("= ([%d.]+) of the limit [%d.]+%s*$")
    if frac then
      label, value, unit = head .. " (fraction of limit)", frac, "x"
    else
      local words, v, u = pre:match("^(.-)%s*([%d.]+) (%S+)%s*$")
      if v then
        words = (words:match(".*:%s*(.*)$") or words):gsub("^[,;%s]+", ""):gsub("[%s:,]+$", "")
        label = (words == "" and head) or (head ~= "" and head ~= words and head .. ": " .. words) or words
        value, unit = v, u
      end
    end
    if label then print(("%s: %s|%s|%s|%s|%s"):format(src, label, value, unit, op, t)) end
  end
  local frac = pos == 1 and line:match("= ([%d.]+) of the limit [%d.]+%s*$")
  if frac then print(("%s: %s (fraction of limit)|%s|x||"):format(src, head, frac)) end
end'
other() { # file title
    f=spec/bench/$1
    [ -f "$f" ] || { echo "== $2: $f not present, skipped"; return 0; }
    echo "== $2 ($f)"
    if timeout 300 "$HOST" "$f" "$BUILD" > "$tmp/out" 2>"$tmp/err"; then :; else
        echo "  FAILED (exit $?):"; sed 's/^/    /' "$tmp/err" | tail -5; broken="$broken $1"
    fi
    sed 's/^/  /' "$tmp/out"
    SRC=${1%.lua} "$HOST" -e "$PARSE" < "$tmp/out" >> "$rows" || broken="$broken $1(parse)"
}
other client_bench.lua "client"
other table_bench.lua "table calls"
other sim_bench.lua "simulator"
other bulk_bench.lua "bulk"

# ---- summary ------------------------------------------------------------
echo
echo "== summary (ratio = figure / target; <= targets are met at ratio <= 1, >= targets at ratio >= 1)"
awk -F'|' '
    BEGIN { printf "  %-64s %10s %-10s %-10s %6s  %s\n", "figure", "value", "", "target", "ratio", "met" }
    {
        if ($4 == "") { printf "  %-64s %10s %-10s\n", $1, $2, $3; next }
        r = ($5 > 0) ? $2 / $5 : 0
        met = ($4 == "<=") ? (r <= 1 ? "yes" : "NO") : (r >= 1 ? "yes" : "NO")
        printf "  %-64s %10s %-10s %-10s %6.2f  %s\n", $1, $2, $3, $4 " " $5, r, met
    }' "$rows"
if [ -n "$broken" ]; then
    echo "bench: could not run:$broken" >&2
    exit 1
fi
exit 0
