#!/bin/sh
# `make demo`: start a local simulator with 200 users, export them with the
# users_export pack, show the first rows, stop the simulator. Loopback only.
set -eu
build=${1:-build}
ocip="$build/ocip"
dir=$(mktemp -d "${TMPDIR:-/tmp}/ocip-demo.XXXXXX")
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT INT TERM

# The simulator's admin password is a demo value chosen here, passed by environment.
OCIP_SIM_PASSWORD=demo-password "$ocip" sim --tcp 0 --users 200 --seed 1 --for 120 >"$dir/ready" 2>"$dir/sim.log" &
pid=$!
i=0
until grep -q "ready" "$dir/ready" 2>/dev/null; do
    i=$((i + 1)); [ "$i" -lt 100 ] || { echo "demo: the simulator did not start" >&2; cat "$dir/sim.log" >&2; exit 1; }
    sleep 0.05
done
cat "$dir/ready"
port=$(sed -n 's/.*tcp=127\.0\.0\.1:\([0-9]*\).*/\1/p' "$dir/ready")

echo "\$ ocip run scripts/users_export.lua --out users.csv"
OCIP_HOST=127.0.0.1 OCIP_PORT=$port OCIP_USERNAME=admin OCIP_PASSWORD=demo-password OCIP_TLS=false \
    "$ocip" run scripts/users_export.lua --out "$dir/users.csv"
head -n 6 "$dir/users.csv"
echo "... $(($(wc -l <"$dir/users.csv") - 1)) users exported (to a temporary file, removed now)"
