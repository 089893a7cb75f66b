#!/usr/bin/env bash
# The demo: each available function through the Python API beside librosa on a
# generated clip (or --audio FILE), printing the parity error and the speed-up.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
exec .venv/bin/python scripts/demo.py "$@"
