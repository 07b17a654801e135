#!/usr/bin/env bash
# Face checks per second over HTTP, made as the hosted page makes them
# (software passkeys, consent, enrolment, then paced, screen-lit checks of
# the carphone frames; examples/face_load.rs; docs/benchmarks.md "Face
# verification under load").
#   scripts/face_bench.sh [ACCOUNTS] [BROWSERS] [SECONDS] [FRAMES]
# Defaults: 32 32 20 8 (8 frames a check is the shipped default). Release
# build (VISAGE_BIN=target/debug/visage: the debug one, as the test command
# runs it briefly to keep the tool working), SQLite in a throw-away data
# dir, challenge center → turn_right. Fails when a check failed or none
# was made.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
ACCOUNTS=${1:-32}; BROWSERS=${2:-32}; SECONDS_=${3:-20}; FRAMES=${4:-8}
scripts/setup.sh --test >/dev/null
BIN=$(realpath -m "${VISAGE_BIN:-target/release/visage}")
if [ "$(basename "$(dirname "$BIN")")" = release ]; then
  cargo build --locked --release --quiet --bin visage --example face_load
else
  cargo build --locked --quiet --bin visage --example face_load
fi
WORK=$(mktemp -d)
cleanup() {
  [ -n "${PID:-}" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
ISSUER="http://localhost:$PORT"
PASSWORD='correct horse battery staple'
# One address makes every passkey, check and sign-in: no access log, no
# registration alert (32 passkeys in a minute would be held for approval),
# the cap on face checks started from one address raised. Each account may
# still start 20 checks in 10 minutes: keep SECONDS × BROWSERS / ACCOUNTS
# under about 35 s (one check takes 2–3 s of the page's waits).
export VISAGE__SERVER__ACCESS_LOG=false VISAGE__ALERTS__PASSKEY_REGISTRATIONS__MAX=1000000 \
  VISAGE__FACE__STARTS_PER_ADDRESS=1000000 \
  VISAGE__FACE__CHALLENGE_ACTIONS='["center","turn_right"]' VISAGE__FACE__FRAMES="$FRAMES"
for i in $(seq 0 $((ACCOUNTS - 1))); do
  "$BIN" --data-dir "$WORK" user add --email "load$i@example.com" --password "$PASSWORD" >/dev/null
done
"$BIN" --data-dir "$WORK" serve --listen "127.0.0.1:$PORT" --issuer "$ISSUER" >"$WORK/server.log" 2>&1 &
PID=$!
until curl -sf "$ISSUER/readyz" >/dev/null; do sleep 0.05; done
echo "$(nproc) cores, $ACCOUNTS accounts, $BROWSERS browsers, ${SECONDS_} s, $FRAMES frames a check"
"$(dirname "$BIN")/examples/face_load" "$ISSUER" "$PASSWORD" "$ACCOUNTS" "$BROWSERS" "$SECONDS_" target/testdata/carphone
ERRORS=$(grep 'ERROR' "$WORK/server.log" | grep -v 'visage::mail' || true)
if [ -n "$ERRORS" ]; then
  echo "server errors (first 3 of $(echo "$ERRORS" | wc -l)):"
  echo "$ERRORS" | head -3
fi
