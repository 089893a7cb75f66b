#!/usr/bin/env bash
# Builds the pure-Python wheel of auralis_dsp with the bundled kernels inside
# (python/auralis_dsp/_js/, made by `npm run build`) into .cache/wheels/.
# The same wheel serves CPython (the Node server) and Pyodide, where
# `await micropip.install(URL_OF_THE_WHEEL)` installs it (docs/pyodide.md).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-$( [ -x .venv/bin/python ] && echo .venv/bin/python || echo python3 )}
for bundle in python/auralis_dsp/_js/auralis_dsp.js python/auralis_dsp/_js/server.mjs; do
  [ -f "$bundle" ] || { echo "build_wheel: $bundle is missing; run npm run build" >&2; exit 1; }
done
mkdir -p .cache/wheels
rm -f .cache/wheels/auralis_dsp-*.whl
log=$(mktemp)
trap 'rm -f "$log"; rm -rf python/build' EXIT
"$PYTHON" -m pip wheel --no-deps --wheel-dir .cache/wheels ./python >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
ls .cache/wheels/auralis_dsp-*-py3-none-any.whl
