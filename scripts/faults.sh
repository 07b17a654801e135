#!/usr/bin/env bash
# Fault runs on the cluster of scripts/cluster.sh (docs/operations.md
# "Faults"): under a steady load of passkey sign-ins, code exchanges and
# refreshes (examples/fault_load.rs),
#   1. kill -9 instance 1, wait for HAProxy to mark it down, start it again;
#   2. cut the replica off the primary for a second (it falls behind; with
#      synchronous replication the primary's commits wait for it instead),
#      stop the PostgreSQL primary (immediate) and promote the replica.
# Then every family a client holds must still refresh (0 lost grants), no
# refresh family may have two live heads (a code redeemed twice or a split
# rotation), no try may fail after HAProxy marked the killed instance down,
# and the instances must answer again within 10 s of the promotion.
#   scripts/faults.sh [BINARY] [SECONDS]   (default target/release/visage, 30 s of load)
# The test command runs it with the debug binary.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BIN=$(realpath -m "${1:-target/release/visage}")
SECONDS_=${2:-30}
PROFILE=$(basename "$(dirname "$BIN")")
if [ "$PROFILE" = release ]; then
  cargo build --locked --release --quiet --bin visage --example fault_load
else
  cargo build --locked --quiet --bin visage --example fault_load
fi
LOAD="$(dirname "$BIN")/examples/fault_load"
DIR=$(mktemp -d)
EVENTS="$DIR/events"
export VISAGE_BIN="$BIN"
cleanup() {
  [ -n "${LOAD_PID:-}" ] && kill "$LOAD_PID" 2>/dev/null
  scripts/cluster.sh stop "$DIR"
  rm -rf "$DIR"
}
trap cleanup EXIT
# The load is one address making passkeys and signing in many times a
# second: no registration alert, the token rate limit per address raised
# (as in scripts/bench.sh), no access log.
export VISAGE__ALERTS__PASSKEY_REGISTRATIONS__MAX=1000000 VISAGE__RATE_LIMIT__TOKEN_PER_SECOND=1000000 \
  VISAGE__SERVER__ACCESS_LOG=false
scripts/cluster.sh start "$DIR" >/dev/null
. "$DIR/cluster.env"
visage() { scripts/cluster.sh visage "$DIR" -- "$@"; }
event() { echo "$(date +%s%3N) $1" >>"$EVENTS"; }
lb() { scripts/cluster.sh status "$DIR"; }
# Poll HAProxy's stats (every 20 ms, up to $1 s) until instance 1 has status $2.
until_v1() {
  for _ in $(seq $(($1 * 50))); do
    [ "$(curl -s "http://127.0.0.1:$STATS_PORT/stats;csv" | awk -F, '$1=="instances" && $2=="v1" {print $18}')" = "$2" ] && return 0
    sleep 0.02
  done
  echo "instance 1 never became $2 ($(lb))" >&2
  return 1
}

ACCOUNTS=8
PASSWORD='correct horse battery staple'
REDIRECT=http://127.0.0.1:9/cb
SECRET=$(visage client add --name load --id load --first-party --redirect-uri $REDIRECT 2>/dev/null | awk '/^client_secret:/ {print $2}')
for i in $(seq 0 $((ACCOUNTS - 1))); do
  visage user add --email "load$i@example.com" --password "$PASSWORD" >/dev/null
done
echo "==> fault runs: $ACCOUNTS accounts, $SECONDS_ s of load through HAProxy ($ISSUER), $(lb)"
"$LOAD" "$ISSUER" "$PASSWORD" $ACCOUNTS $ACCOUNTS "$SECONDS_" load "$SECRET" $REDIRECT "$EVENTS" &
LOAD_PID=$!
for _ in $(seq 1200); do grep -q load_started "$EVENTS" 2>/dev/null && break; sleep 0.05; done
grep -q load_started "$EVENTS" || { echo "the load did not start" >&2; exit 1; }

# 1. An instance crashes and comes back.
sleep $((SECONDS_ / 6))
event kill
scripts/cluster.sh kill 1 "$DIR"
until_v1 10 DOWN
event down
scripts/cluster.sh restart 1 "$DIR"
until_v1 30 UP
event up

# 2. The database fails over, its replica behind.
sleep $((SECONDS_ / 6))
event replica_cut
scripts/cluster.sh cut-replica "$DIR"
sleep 1
event primary_stopped
scripts/cluster.sh failover "$DIR" >/dev/null
event promoted
echo "    after the faults: $(lb)"

STATUS=0
wait "$LOAD_PID" || STATUS=$?
LOAD_PID=""

# No family has two live heads: no code redeemed twice, no rotation split.
NEW_PRIMARY="postgres://postgres@127.0.0.1:$PG2_PORT/visage"
SPLIT=$(psql -qtAX "$NEW_PRIMARY" -c "SELECT count(*) FROM (SELECT grant_id FROM tokens
  WHERE kind = 'refresh' AND rotated_at IS NULL AND revoked_at IS NULL
  GROUP BY grant_id HAVING count(*) > 1) AS s")
FAMILIES=$(psql -qtAX "$NEW_PRIMARY" -c "SELECT count(DISTINCT grant_id) FROM tokens WHERE kind = 'refresh'")
echo "refresh families in the database: $FAMILIES; with two live heads: $SPLIT"
[ "$SPLIT" = 0 ] || STATUS=1
ERRORS=$(cat "$DIR"/v*.log | grep -c "ERROR" || true)
echo "error lines in the instances' logs: $ERRORS (the failover's broken connections among them)"
if [ "$STATUS" != 0 ]; then
  echo "fault runs FAILED; the instances' last lines:"
  tail -n 5 "$DIR"/v*.log
  exit 1
fi
echo "fault runs passed"
