#!/usr/bin/env bash
# Run the real relying parties (openid-client, Authlib) against a fresh Visage.
#   scripts/interop.sh BINARY [POSTGRES_ADMIN_URL]
# Without a URL Visage uses SQLite in a temporary folder.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$(realpath "${1:?path to the visage binary}")
PG_ADMIN=${2:-}
PEERS="$ROOT/target/peers"
WORK=$(mktemp -d)
cleanup() { [ -n "${PID:-}" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

ARGS=(--data-dir "$WORK")
if [ -n "$PG_ADMIN" ]; then
  DB="visage_interop_$RANDOM$RANDOM"
  psql -q "$PG_ADMIN" -c "CREATE DATABASE $DB"
  ARGS+=(--database-url "${PG_ADMIN%/*}/$DB")
  LABEL=postgres
else
  LABEL=sqlite
fi
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
ISSUER="http://127.0.0.1:$PORT"
CB=http://127.0.0.1:8765/cb
OUT=http://127.0.0.1:8765/logged-out
secret() { "$BIN" "${ARGS[@]}" client add --name "$1" --id "$1" --redirect-uri $CB --post-logout-redirect-uri $OUT "${@:2}" | awk '/^client_secret:/ {print $2}'; }
S_BASIC=$(secret rp-basic)
S_POST=$(secret rp-post --auth-method client-secret-post)
S_ES=$(secret rp-es256 --id-token-alg ES256)
S_ED=$(secret rp-eddsa --id-token-alg EdDSA)
"$BIN" "${ARGS[@]}" client add --name rp-public --id rp-public --public --redirect-uri $CB --post-logout-redirect-uri $OUT >/dev/null
"$BIN" "${ARGS[@]}" user add --email alice@example.com --password 'correct horse battery' >/dev/null

VISAGE__SERVER__ACCESS_LOG=false "$BIN" "${ARGS[@]}" serve --listen "127.0.0.1:$PORT" --issuer "$ISSUER" >"$WORK/server.log" 2>&1 &
PID=$!
for _ in $(seq 100); do curl -sf "$ISSUER/health" >/dev/null && break; sleep 0.1; done

export LOGIN_DRIVER=generic-form LOGIN_USERNAME=alice@example.com LOGIN_PASSWORD='correct horse battery'
FAILED=0
run() { echo "--- [$LABEL] $*"; if ! (cd "$PEERS" && env "$@"); then FAILED=1; fi; }
run node rp/flow.mjs "$ISSUER" rp-basic "$S_BASIC" $CB
run node rp/flow.mjs "$ISSUER" rp-public - $CB
run CLIENT_AUTH=post node rp/flow.mjs "$ISSUER" rp-post "$S_POST" $CB
run ID_TOKEN_ALG=ES256 node rp/flow.mjs "$ISSUER" rp-es256 "$S_ES" $CB
run ID_TOKEN_ALG=EdDSA node rp/flow.mjs "$ISSUER" rp-eddsa "$S_ED" $CB
run venv/bin/python rp/flow.py "$ISSUER" rp-basic "$S_BASIC" $CB
run venv/bin/python rp/flow.py "$ISSUER" rp-public - $CB
run CLIENT_AUTH=post venv/bin/python rp/flow.py "$ISSUER" rp-post "$S_POST" $CB
if [ $FAILED != 0 ]; then
  echo "interop FAILED on $LABEL; server log:"; tail -50 "$WORK/server.log"; exit 1
fi
echo "interop passed on $LABEL"
