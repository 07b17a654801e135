#!/usr/bin/env bash
# Passkey sign-ins per second, end to end, with software passkeys, then
# refreshes with rotation per second, one refresh-token family per account
# (examples/passkey_load.rs; docs/benchmarks.md "Passkey sign-ins").
#   scripts/passkey_bench.sh [sqlite|postgres] [ACCOUNTS] [BROWSERS] [SECONDS]
# Defaults: sqlite 64 32 20. Release build; a throw-away data dir (and, for
# postgres, a throw-away cluster from scripts/pg.sh: fsync off).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
DB=${1:-sqlite}; ACCOUNTS=${2:-64}; BROWSERS=${3:-32}; SECONDS_=${4:-20}
cargo build --locked --release --quiet --bin visage --example passkey_load
BIN="$ROOT/target/release/visage"
WORK=$(mktemp -d); PGDIR=$(mktemp -d)
cleanup() {
  [ -n "${PID:-}" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
  scripts/pg.sh stop "$PGDIR"
  rm -rf "$WORK" "$PGDIR"
}
trap cleanup EXIT
ARGS=(--data-dir "$WORK")
if [ "$DB" = postgres ]; then
  ARGS+=(--database-url "$(scripts/pg.sh start "$PGDIR")")
fi
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
ISSUER="http://localhost:$PORT"
PASSWORD='correct horse battery staple'
# The load is one address making many passkeys and sign-ins: no access log,
# no registration alert (64 passkeys in a minute would be held for approval).
# The token rate limit per address is raised as in scripts/bench.sh.
export VISAGE__SERVER__ACCESS_LOG=false VISAGE__ALERTS__PASSKEY_REGISTRATIONS__MAX=1000000 \
  VISAGE__RATE_LIMIT__TOKEN_PER_SECOND=1000000
REDIRECT=http://127.0.0.1:9/cb
SECRET=$("$BIN" "${ARGS[@]}" client add --name load --id load --first-party --redirect-uri $REDIRECT | awk '/^client_secret:/ {print $2}')
for i in $(seq 0 $((ACCOUNTS - 1))); do
  "$BIN" "${ARGS[@]}" user add --email "load$i@example.com" --password "$PASSWORD" >/dev/null
done
"$BIN" "${ARGS[@]}" serve --listen "127.0.0.1:$PORT" --issuer "$ISSUER" >"$WORK/server.log" 2>&1 &
PID=$!
until curl -sf "$ISSUER/readyz" >/dev/null; do sleep 0.05; done
echo "$DB, $(nproc) cores, $ACCOUNTS accounts, $BROWSERS browsers, ${SECONDS_} s"
target/release/examples/passkey_load "$ISSUER" "$PASSWORD" "$ACCOUNTS" "$BROWSERS" "$SECONDS_" load "$SECRET" $REDIRECT
# Errors in the server's log, but the mails it could not send (no SMTP here).
ERRORS=$(grep 'ERROR' "$WORK/server.log" | grep -v 'visage::mail' || true)
if [ -n "$ERRORS" ]; then
  echo "server errors (first 3 of $(echo "$ERRORS" | wc -l)):"
  echo "$ERRORS" | head -3
fi
