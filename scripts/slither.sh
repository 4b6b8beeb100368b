#!/usr/bin/env bash
# Static analysis of contracts/ with Slither, on demand (not in CI yet).
#
#   bash scripts/slither.sh [extra slither args]      e.g. --json slither.json, --exclude-informational
#
# Slither needs web3 < 8, so it lives in its own virtual environment, .venv-slither (gitignored).
# There is no native solc on our machines; scripts/slither/solc makes solc-js answer
# `solc --standard-json` instead. Needs node and node_modules (npm ci).
set -euo pipefail
cd "$(dirname "$0")/.."

SLITHER_VERSION=0.11.6
VENV=.venv-slither

if [ ! -x "$VENV/bin/slither" ] || ! "$VENV/bin/pip" show slither-analyzer 2>/dev/null | grep -qx "Version: $SLITHER_VERSION"; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --upgrade pip
  "$VENV/bin/pip" install --quiet "slither-analyzer==$SLITHER_VERSION"
fi
if [ ! -d node_modules/solc ] || [ ! -d node_modules/@openzeppelin/contracts ]; then
  echo "node_modules is missing: run 'npm ci' first" >&2
  exit 2
fi

exec "$VENV/bin/slither" contracts/ \
  --solc-standard-json \
  --solc scripts/slither/solc \
  --solc-remaps "@openzeppelin/=node_modules/@openzeppelin/" \
  --filter-paths "node_modules" \
  "$@"
