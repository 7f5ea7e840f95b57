#!/bin/sh
# The suite runner behind `make test`: spec/run.sh BUILD_DIR
# Runs every C unit test in BUILD_DIR/ctest/ (cmocka), then every spec/**/*_spec.lua
# with busted under BUILD_DIR/ocip (TAP output, one busted run per file so that a
# crash in one file cannot hide the others). Each suite's own output is shown as it
# runs; the last line is the total: `N passed, N failed, N skipped`.
# Exit status: non-zero when anything failed or a suite could not run.
# Environment: OCIP_SCHEMA_DIR (default ../shared/schemas/ocip-r25), BUSTED (busted),
# OCIP_TEST_TIMEOUT (seconds per suite, default 600), OCIP_SPEC_FILTER (only spec
# files whose path contains one of these space-separated strings), OCIP_WRAP (a
# command prefix for every C test binary and for the host, e.g. valgrind ...),
# OCIP_BUSTED_ARGS (extra busted options; no spaces inside one option).
set -u

BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 2
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac

OCIP_SCHEMA_DIR=${OCIP_SCHEMA_DIR:-$ROOT/../shared/schemas/ocip-r25}
OCIP_BUILD=$BUILD
export OCIP_SCHEMA_DIR OCIP_BUILD
BUSTED=${BUSTED:-busted}
WRAP=${OCIP_WRAP:-}
LIMIT=${OCIP_TEST_TIMEOUT:-600}

passed=0
failed=0
skipped=0
broken=""
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ocip-test.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT INT TERM

# run NAME CMD...: runs CMD with a time limit, showing its output; leaves it in $tmp/out
# and its exit status in $rc.
run() {
    name=$1
    shift
    echo "== $name"
    rm -f "$tmp/rc"
    { timeout "$LIMIT" "$@" 2>&1; echo $? > "$tmp/rc"; } | tee "$tmp/out"
    rc=$(cat "$tmp/rc" 2>/dev/null || echo 1)
}

num() { # first number after the given cmocka tag in $tmp/out, or 0
    sed -n "s/^\[  $1  \] \([0-9][0-9]*\) test.*/\1/p" "$tmp/out" | head -n 1 | grep . || echo 0
}

# ---- C unit tests ----
if [ -d "$BUILD/ctest" ]; then
    for t in "$BUILD"/ctest/*; do
        [ -f "$t" ] && [ -x "$t" ] || continue
        # shellcheck disable=SC2086 # WRAP is a command line
        run "ctest $(basename "$t")" $WRAP "$t"
        p=$(num PASSED)
        f=$(num FAILED)
        if ! grep -q '^\[  PASSED  \]' "$tmp/out"; then
            # no summary at all: crashed, hung or not a cmocka binary
            f=$((f > 0 ? f : 1))
            broken="$broken $(basename "$t")(exit $rc)"
        elif [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
            f=1
            broken="$broken $(basename "$t")(exit $rc)"
        fi
        passed=$((passed + p))
        failed=$((failed + f))
    done
fi

# ---- busted specs ----
if [ ! -x "$BUILD/ocip" ]; then
    echo "spec/run.sh: $BUILD/ocip is missing: cannot run the specs" >&2
    failed=$((failed + 1))
    broken="$broken specs(no host)"
else
    specs=$(find spec -name '*_spec.lua' -type f | sort)
    host=$BUILD/ocip
    if [ -n "$WRAP" ]; then
        # busted re-runs itself as `LUA BUSTED ARGS` through the shell, and passes its
        # own --lua=... on to that run split at spaces: wrap the host in one word.
        host=$tmp/host
        printf '#!/bin/sh\nexec %s "%s" "$@"\n' "$WRAP" "$BUILD/ocip" > "$host"
        chmod +x "$host"
    fi
    for s in $specs; do
        want=${OCIP_SPEC_FILTER:+no}
        for f in ${OCIP_SPEC_FILTER:-}; do
            case $s in *"$f"*) want= ;; esac
        done
        [ -z "$want" ] || continue
        # shellcheck disable=SC2086 # a list of options
        run "busted $s" "$BUSTED" --lua="$host" ${OCIP_BUSTED_ARGS:-} -o TAP "$s"
        p=$(grep -c '^ok ' "$tmp/out")
        k=$(grep -c '^ok [0-9]* - # SKIP' "$tmp/out")
        f=$(grep -c '^not ok ' "$tmp/out")
        p=$((p - k))
        if ! grep -q '^1\.\.[0-9]' "$tmp/out"; then
            # no TAP plan: busted or the host died before the end of the file
            f=$((f + 1))
            broken="$broken $s(exit $rc)"
        elif [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
            f=1
            broken="$broken $s(exit $rc)"
        fi
        passed=$((passed + p))
        failed=$((failed + f))
        skipped=$((skipped + k))
    done
fi

if [ -n "$broken" ]; then
    echo "suites that did not finish cleanly:$broken"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
