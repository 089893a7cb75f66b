#!/usr/bin/env bash
# Every test: vitest (kernels, bridge), pytest (Python shims, bridge faults),
# and the parity harness on the generated synthetic set. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/test-audio.sh
echo "== vitest" >&2
npx vitest run
echo "== pytest" >&2
.venv/bin/python -m pytest python/tests -q
echo "== parity (synthetic fixtures)" >&2
.venv/bin/python -m parity
