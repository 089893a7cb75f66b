#!/usr/bin/env bash
# Every test: vitest (kernels, bridge), then pytest (Python shims, bridge faults) and the
# parity harness on the generated synthetic set, once beside librosa 0.11.0 (.venv, Python
# 3.11) and once beside librosa 1.0.1 (.venv-lr10, Python >= 3.12), after the linters (ruff, ESLint)
# and the type check. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh --lr10
echo "== lint: ruff, eslint, tsc" >&2
.venv/bin/ruff check --config python/pyproject.toml python parity scripts
npm run --silent lint
npm run --silent typecheck
./scripts/test_audio.sh
echo "== vitest" >&2
npx vitest run
for venv in .venv .venv-lr10; do
  librosa=$("$venv/bin/python" -c "from importlib.metadata import version; print(version('librosa'))")
  echo "== pytest ($venv: librosa $librosa)" >&2
  "$venv/bin/python" -m pytest python/tests -q
  echo "== parity, synthetic fixtures ($venv: librosa $librosa)" >&2
  "$venv/bin/python" -m parity
done
