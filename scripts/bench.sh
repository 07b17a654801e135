#!/usr/bin/env bash
# Load-test Visage with the peers' bench.sh (the same load as the reference
# oidc-provider numbers in ../shared/peers/RESULTS.md) and report start-up
# time and idle RSS.
#   scripts/bench.sh [unpinned|pinned ...]     (default: unpinned pinned)
# Environment: DURATION (default 30), BENCH_DIR (default target/bench),
# ONLY (endpoints, as the peers' bench.sh), VISAGE_BIN (a build to measure).
# Access tokens are ES256 JWTs here, the peer's algorithm for JWT access tokens.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
scripts/setup.sh --test
command -v wrk >/dev/null || { SUDO=""; [ "$(id -u)" != 0 ] && SUDO=sudo; $SUDO apt-get install -y -qq wrk >/dev/null; }
# VISAGE_BIN: another build to measure (an A/B in one session), as is.
if [ -n "${VISAGE_BIN:-}" ]; then BIN=$VISAGE_BIN; else
  cargo build --locked --release --quiet
  BIN="$ROOT/target/release/visage"
fi
MODES=("$@"); [ ${#MODES[@]} = 0 ] && MODES=(unpinned pinned)
WORK=$(mktemp -d)
trap '[ -n "${PID:-}" ] && kill $PID 2>/dev/null; rm -rf "$WORK"' EXIT
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
ISSUER="http://127.0.0.1:$PORT"
CB=http://127.0.0.1:8765/cb
export VISAGE__SERVER__ACCESS_LOG=false VISAGE__RATE_LIMIT__TOKEN_PER_SECOND=1000000 VISAGE__TOKENS__ACCESS_TOKEN_ALG=ES256
SECRET=$("$BIN" --data-dir "$WORK" client add --name bench --id bench --service-scope api:read --audience urn:peer:api --redirect-uri $CB --post-logout-redirect-uri http://127.0.0.1:8765/logged-out | awk '/^client_secret:/ {print $2}')
"$BIN" --data-dir "$WORK" user add --email alice@example.com --password 'correct horse battery' >/dev/null

start_ns=$(date +%s%N)
"$BIN" --data-dir "$WORK" serve --listen "127.0.0.1:$PORT" --issuer "$ISSUER" >"$WORK/server.log" 2>&1 &
PID=$!
until curl -sf "$ISSUER/.well-known/openid-configuration" >/dev/null; do sleep 0.005; done
ready_ms=$(( ($(date +%s%N) - start_ns) / 1000000 ))
sleep 2
rss_kb=$(awk '/VmRSS/ {print $2}' /proc/$PID/status)
echo "start to first served request: ${ready_ms} ms; idle RSS: $((rss_kb / 1024)) MB ($rss_kb kB)"

(cd target/peers && LOGIN_DRIVER=generic-form LOGIN_USERNAME=alice@example.com LOGIN_PASSWORD='correct horse battery' \
  node rp/flow.mjs "$ISSUER" bench "$SECRET" $CB --emit-access-token "$WORK/at.txt" | tail -1)
for mode in "${MODES[@]}"; do
  case $mode in
    pinned) extra=(SERVER_CPUS=1 LOADGEN_CPUS=0) ;;
    *) extra=() ;;
  esac
  env "${extra[@]}" SERVER_PID=$PID LABEL="visage-$mode" DURATION="${DURATION:-30}" BENCH_DIR="${BENCH_DIR:-$ROOT/target/bench}" \
    target/peers/bench.sh "$ISSUER" bench "$SECRET" "$(cat "$WORK/at.txt")"
done
rss_kb=$(awk '/VmRSS/ {print $2}' /proc/$PID/status)
echo "RSS after load: $((rss_kb / 1024)) MB"
