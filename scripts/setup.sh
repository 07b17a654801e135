#!/usr/bin/env bash
# Install what Visage needs on a Debian machine (idempotent).
#   scripts/setup.sh          build tools and libraries, ONNX Runtime and the face models
#   scripts/setup.sh --test   plus PostgreSQL, HAProxy, test media and the peer RPs (npm + PyPI) for the tests
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WANT_TEST=0
[ "${1:-}" = "--test" ] && WANT_TEST=1

need=()
pkgs=(build-essential pkg-config libssl-dev libpq-dev)
[ $WANT_TEST = 1 ] && pkgs+=(postgresql chromium chromium-driver systemd prometheus haproxy)
for p in "${pkgs[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "==> installing Debian packages: ${need[*]}"
  SUDO=""; [ "$(id -u)" != 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
command -v cargo >/dev/null || { echo "Rust (cargo) is required: https://rustup.rs" >&2; exit 1; }
"$ROOT/scripts/models.sh"

# The development mail sink (PyPI aiosmtpd): sign-up and recovery codes are
# printed by scripts/serve.sh and read back by the tests.
VENV="$ROOT/target/venv"
if ! "$VENV/bin/python" -c "import aiosmtpd" 2>/dev/null; then
  echo "==> installing the SMTP sink (aiosmtpd, PyPI)"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q aiosmtpd==1.4.6
fi

if [ $WANT_TEST = 1 ]; then
  "$ROOT/scripts/testdata.sh"
  # The tests validate the admin API's OpenAPI document with it.
  if ! "$VENV/bin/python" -c "import openapi_spec_validator" 2>/dev/null; then
    echo "==> installing openapi-spec-validator (PyPI)"
    "$VENV/bin/pip" install -q openapi-spec-validator==0.7.1
  fi
  command -v cargo-nextest >/dev/null || cargo install cargo-nextest --locked
  PEERS_SRC="$ROOT/../shared/peers"
  PEERS="$ROOT/target/peers"
  if [ ! -d "$PEERS_SRC" ] && [ ! -d "$PEERS" ]; then
    echo "the peer relying parties are expected in ../shared/peers (next to this checkout)" >&2
    exit 1
  fi
  if [ -d "$PEERS_SRC" ] && [ ! -f "$PEERS/.copied" ]; then
    mkdir -p "$ROOT/target"
    rm -rf "$PEERS" && cp -r "$PEERS_SRC" "$PEERS" && touch "$PEERS/.copied"
  fi
  if [ ! -d "$PEERS/rp/node_modules/openid-client" ]; then
    echo "==> installing openid-client (npm)"
    (cd "$PEERS/rp" && npm ci --silent --no-audit --no-fund)
  fi
  if [ ! -x "$PEERS/venv/bin/python" ] || ! "$PEERS/venv/bin/python" -c "import authlib, joserfc" 2>/dev/null; then
    echo "==> installing Authlib (PyPI)"
    python3 -m venv "$PEERS/venv"
    "$PEERS/venv/bin/pip" install -q -r "$PEERS/rp/requirements.txt"
  fi
fi
