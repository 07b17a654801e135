#!/usr/bin/env bash
# Install what is missing, build, and run Visage with the defaults:
# http://127.0.0.1:8080, SQLite and keys in ./data. Extra arguments go to `visage serve`.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
scripts/setup.sh
cargo build --locked --release --quiet
exec target/release/visage serve "$@"
