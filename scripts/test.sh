#!/usr/bin/env bash
# Install what is missing and run every test: format and lint, unit and
# integration tests on SQLite and on PostgreSQL (face engine on the real models), and the real RP libraries
# (openid-client, Authlib) against Visage on both databases, the fault
# runs on a cluster (scripts/faults.sh) and a short run of the face load
# tool (scripts/face_bench.sh).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
scripts/setup.sh --test
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}

PGDIR=$(mktemp -d)
trap 'scripts/pg.sh stop "$PGDIR"; rm -rf "$PGDIR"' EXIT

echo "==> format and lint"
cargo fmt --check
cargo clippy --locked --all-targets --quiet -- -D warnings

echo "==> build"
cargo build --locked --all-targets --quiet

echo "==> tests on SQLite"
cargo nextest run --locked --no-fail-fast

echo "==> tests on PostgreSQL"
PG_URL=$(scripts/pg.sh start "$PGDIR")
# The face-engine tests use no database; they ran above.
VISAGE_TEST_PG_URL="$PG_URL" cargo nextest run --locked --no-fail-fast -E 'not test(/^face::/)'

echo "==> relying-party interoperability"
scripts/interop.sh target/debug/visage
scripts/interop.sh target/debug/visage "$PG_URL"

echo "==> fault runs (PostgreSQL primary + replica, two instances behind HAProxy)"
scripts/faults.sh target/debug/visage

echo "==> face checks over HTTP with the load tool, briefly (it must keep working)"
VISAGE_BIN=target/debug/visage scripts/face_bench.sh 2 2 4 5
echo "==> all tests passed"
