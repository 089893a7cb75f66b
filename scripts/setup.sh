#!/usr/bin/env bash
# Idempotent set-up shared by the demo and the tests: npm ci, the build, and a
# .venv at the repository root with the Python package (editable) and its test
# dependencies (librosa==0.11.0 among them); with --lr10 also .venv-lr10, the same
# with librosa==1.0.1 on Python >= 3.12. Re-running skips what is current.
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

# A Python environment at $1 from interpreter $2 with the package (editable), its test
# dependencies and librosa==$3; redone when python/pyproject.toml or the pin changed.
python_env() {
  local venv=$1 python=$2 librosa=$3
  if [ ! -x "$venv/bin/python" ]; then
    echo "setup: creating $venv ($("$python" --version 2>&1), librosa $librosa)" >&2
    "$python" -m venv "$venv"
  fi
  local py_stamp
  py_stamp=$( (cat python/pyproject.toml; echo "librosa==$librosa") | sha1sum | cut -d' ' -f1)
  if [ ! -f "$venv/.auralis-stamp" ] || [ "$(cat "$venv/.auralis-stamp")" != "$py_stamp" ]; then
    echo "setup: installing the Python package and its test dependencies into $venv" >&2
    "$venv/bin/python" -m pip install --quiet --upgrade pip
    "$venv/bin/python" -m pip install --quiet -e "python[test]" "librosa==$librosa"
    echo "$py_stamp" > "$venv/.auralis-stamp"
  fi
}

# A Python >= 3.12 for librosa 1.0, 3.12 preferred: $PYTHON_LR10, else python3.12 on PATH or the
# newest pyenv 3.12 (~/.pyenv/versions), else the same for 3.13, else a 3.12 that uv (from PyPI,
# into .venv) installs.
runs_312() { [ -n "$1" ] && "$1" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; }
python_for_lr10() {
  local candidate
  # (a pyenv shim on PATH can name python3.12 without running it: each candidate is tried)
  local pyenv_versions="${PYENV_ROOT:-$HOME/.pyenv}/versions"
  for candidate in "${PYTHON_LR10:-}" python3.12 \
      $(ls -d "$pyenv_versions"/3.12*/bin/python 2>/dev/null | sort -rV) python3.13 \
      $(ls -d "$pyenv_versions"/3.13*/bin/python 2>/dev/null | sort -rV); do
    runs_312 "$candidate" && { command -v "$candidate"; return; }
  done
  echo "setup: no Python >= 3.12 found; installing one with uv" >&2
  .venv/bin/python -m pip install --quiet uv
  if ! .venv/bin/python -m uv python install 3.12 >&2; then
    echo "setup: uv could not install Python 3.12 (it downloads from GitHub); set PYTHON_LR10 to a Python >= 3.12" >&2
    return 1
  fi
  .venv/bin/python -m uv python find 3.12
}

# The main environment (the demo's and the tests'): librosa 0.11.0 on $PYTHON (3.9-3.11 fit it).
python_env .venv "$PYTHON" 0.11.0
# With --lr10 (the tests): a second one with librosa 1.0.1 on Python >= 3.12.
if [ "${1:-}" = "--lr10" ]; then
  lr10_python=$(python_for_lr10)
  python_env .venv-lr10 "$lr10_python" 1.0.1
fi

# Pyodide: numpy for it (verified against its lock file, see docs/pyodide.md), the wheel that
# micropip installs, and Debian's chromium for the browser test (installed only as root).
.venv/bin/python scripts/pyodide_packages.py
./scripts/build_wheel.sh >/dev/null
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "setup: apt-get install chromium (for the browser test)" >&2
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
