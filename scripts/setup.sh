#!/usr/bin/env bash
# Idempotent set-up shared by the demo and the tests: npm ci, the build, and a
# .venv at the repository root with the Python package (editable) and its test
# dependencies (librosa==0.11.0 among them). Re-running skips what is current.
set -euo pipefail
cd "$(dirname "$0")/.."

need() { command -v "$1" >/dev/null 2>&1 || { echo "setup: '$1' is required but not on PATH" >&2; exit 1; }; }
need node
need npm
PYTHON=${PYTHON:-python3}
need "$PYTHON"

stamp() { cat "$@" 2>/dev/null | sha1sum | cut -d' ' -f1; }

# Node dependencies, when package-lock.json changed since the last npm ci.
lock_stamp=$(stamp package-lock.json)
if [ ! -f node_modules/.auralis-stamp ] || [ "$(cat node_modules/.auralis-stamp)" != "$lock_stamp" ]; then
  echo "setup: npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_stamp" > node_modules/.auralis-stamp
fi

# The build (TypeScript to dist/, the bundled server into the Python package); a few seconds.
npm run --silent build >/dev/null

# The Python environment, when python/pyproject.toml changed since the last install.
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv" >&2
  "$PYTHON" -m venv .venv
fi
py_stamp=$(stamp python/pyproject.toml)
if [ ! -f .venv/.auralis-stamp ] || [ "$(cat .venv/.auralis-stamp)" != "$py_stamp" ]; then
  echo "setup: installing the Python package and its test dependencies into .venv" >&2
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e "python[test]"
  echo "$py_stamp" > .venv/.auralis-stamp
fi

# Pyodide: numpy for it (verified against its lock file, see docs/pyodide.md), the wheel that
# micropip installs, and Debian's chromium for the browser test (installed only as root).
.venv/bin/python scripts/pyodide_packages.py
./scripts/build-wheel.sh >/dev/null
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "setup: apt-get install chromium (for the browser test)" >&2
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
