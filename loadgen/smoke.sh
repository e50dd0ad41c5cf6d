#!/usr/bin/env bash
# Smoke run of every loadgen scenario, about 2 s each, against a fresh
# minibank server on a temporary SQLite database. Builds nothing:
#
#   MINIBANK_BIN=target/release/minibank LOADGEN_BIN=target/release/loadgen loadgen/smoke.sh
set -uo pipefail

: "${MINIBANK_BIN:?set MINIBANK_BIN to the minibank binary}"
: "${LOADGEN_BIN:?set LOADGEN_BIN to the loadgen binary}"

work=$(mktemp -d)
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null
        wait "$server_pid" 2>/dev/null
    fi
    rm -rf "$work"
}
trap cleanup EXIT

db="$work/smoke.db"
# With NATS on 127.0.0.1:4222 the server relays its events there (the relay scenarios).
nats_env=()
if (exec 3<>/dev/tcp/127.0.0.1/4222) 2>/dev/null; then
    nats_env=(NATS_URL=nats://127.0.0.1:4222 NATS_SUBJECT_PREFIX="smoke_$$" NATS_STREAM="SMOKE_$$")
fi
# An admin for `nested --as admin` and the tabs shape's dashboards.
DATABASE_URL="sqlite://$db?mode=rwc" RUST_LOG=warn \
    "$MINIBANK_BIN" create-admin --username smokeadmin --email smokeadmin@example.com \
    --password "smoke admin password" >"$work/create-admin.log" 2>&1 ||
    { echo "smoke: create-admin failed:" >&2; cat "$work/create-admin.log" >&2; exit 1; }
DATABASE_URL="sqlite://$db?mode=rwc" \
    JWT_SECRET="loadgen-smoke-secret-0123456789abcdef" \
    RUST_LOG=warn,minibank=info \
    env "${nats_env[@]}" "$MINIBANK_BIN" serve --listen 127.0.0.1:0 >"$work/server.log" 2>&1 &
server_pid=$!

addr=""
for _ in $(seq 1 100); do
    addr=$(grep -o 'GraphiQL at http://[0-9.:]*/graphql' "$work/server.log" | head -n 1 |
        sed -e 's|GraphiQL at http://||' -e 's|/graphql||')
    [ -n "$addr" ] && break
    if ! kill -0 "$server_pid" 2>/dev/null; then break; fi
    sleep 0.1
done
if [ -z "$addr" ]; then
    echo "smoke: the server did not start:" >&2
    cat "$work/server.log" >&2
    exit 1
fi
echo "smoke: server $server_pid at $addr"

failed=0
# check NAME ALLOWED_EXIT_CODES -- loadgen arguments...
check() {
    local name=$1 allowed=$2
    shift 3
    local started=$SECONDS rc=0
    "$LOADGEN_BIN" --url "http://$addr/graphql" --server-pid "$server_pid" --quiet \
        --json "$work/$name.json" "$@" >"$work/$name.out" 2>&1 || rc=$?
    if [[ " $allowed " == *" $rc "* ]]; then
        echo "smoke: $name ok (exit $rc, $((SECONDS - started)) s)"
    else
        echo "smoke: $name FAILED with exit code $rc:" >&2
        cat "$work/$name.out" >&2
        failed=1
    fi
}

short=(--duration 2s --clients 4 --accounts 10)
check deposits 0 -- deposits "${short[@]}" --baseline --database-url "sqlite://$db"
check mixed 0 -- mixed "${short[@]}"
check hot-account 0 -- hot-account "${short[@]}"
check queries 0 -- queries "${short[@]}"
check nested-admin 0 -- nested "${short[@]}" --as admin --owners 5 \
    --admin-login smokeadmin --admin-password "smoke admin password"
check nested-customer 0 -- nested "${short[@]}" --as customer
# 3: the server has no transfer mutation yet; 0 once it does.
check transfers "0 3" -- transfers "${short[@]}"
check subscribe 0 -- subscribe "${short[@]}" --subscribers 20 --rate 20
check subscribe-idle 0 -- subscribe --idle --subscribers 20
check subscribe-tabs 0 -- subscribe --shape tabs "${short[@]}" --subscribers 24 --per-connection 1 \
    --customers 6 --dashboards 2 --rate 20 --admin-login smokeadmin --admin-password "smoke admin password"
check catch-up 0 -- catch-up --clients 4 --accounts 10 --events 500
if [ ${#nats_env[@]} -gt 0 ]; then
    check relay-latency 0 -- relay-latency "${short[@]}" --rate 100 --prefix "smoke_$$" --stream "SMOKE_$$"
    check relay-backlog 0 -- relay-backlog --stream "SMOKE_$$" --events 100 --delete-stream
else
    echo "smoke: no NATS on 127.0.0.1:4222: relay-latency and relay-backlog skipped"
fi

if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "smoke: the server died:" >&2
    cat "$work/server.log" >&2
    failed=1
fi
exit "$failed"
