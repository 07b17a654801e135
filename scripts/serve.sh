#!/usr/bin/env bash
# Install what is missing, build, and run Visage with the defaults:
# http://localhost:8080, SQLite and keys in ./data, and a development mail
# sink on 127.0.0.1:2525 that prints sign-up and recovery emails here.
# Extra arguments go to `visage serve`.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
scripts/setup.sh
cargo build --locked --release --quiet
if [ -z "${VISAGE__MAIL__HOST:-}" ] && ! (exec 3<>/dev/tcp/127.0.0.1/2525) 2>/dev/null; then
  echo "==> development mail sink on 127.0.0.1:2525 (emails are printed below)"
  target/venv/bin/python -u -m aiosmtpd -n -l 127.0.0.1:2525 -c aiosmtpd.handlers.Debugging &
  SINK=$!
  trap 'kill $SINK 2>/dev/null || true' EXIT INT TERM
fi
echo "==> Visage on http://localhost:8080 (create an account at http://localhost:8080/signup)"
target/release/visage serve "$@"
