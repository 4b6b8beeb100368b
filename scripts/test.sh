#!/usr/bin/env bash
# Run the whole test suite. Starts an anvil node on 127.0.0.1 for the rpc-backend tests and
# stops it by its PID when the run ends, whatever the outcome.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}

anvil_pid=""
cleanup() { if [ -n "$anvil_pid" ]; then kill "$anvil_pid" 2>/dev/null || true; wait "$anvil_pid" 2>/dev/null || true; fi; }
trap cleanup EXIT

port=$(bash scripts/free_port.sh)
# 1,000,000 ETH per development account: the ledger suite alone funds about a hundred test accounts
# with 100 ETH each from the first one, and anvil's default 10,000 would run dry on a second run.
node_modules/.bin/anvil --host 127.0.0.1 --port "$port" --silent --chain-id 31337 --balance 1000000 >/tmp/sebrus-anvil-$$.log 2>&1 &
anvil_pid=$!
export SEBRUS_TEST_RPC_URL="http://127.0.0.1:$port"

"$VENV/bin/python" -m pytest "$@"
