"""Which librosa the shims behave like: 0.11.x or 1.0.x semantics.

librosa 1.0 changed a few behaviours of the functions we replace (README,
"librosa 0.11 and 1.0"). The shims follow the librosa the user has installed,
read from the package metadata (librosa itself is not imported). Without librosa,
and under Pyodide (where librosa cannot run), the newest semantics apply.
An explicit choice wins over both: ``AURALIS_DSP_LIBROSA_COMPAT=0.11`` in the
environment, or ``auralis_dsp.set_librosa_compat("0.11")`` at run time.
"""
from __future__ import annotations

import os
import sys

from .exceptions import ParameterError

__all__ = ["SUPPORTED", "ENV_VAR", "librosa_compat", "set_librosa_compat", "installed_librosa_version", "is_v1"]

SUPPORTED = ("0.11", "1.0")
NEWEST = SUPPORTED[-1]
ENV_VAR = "AURALIS_DSP_LIBROSA_COMPAT"

_override: str | None = None
_detected: str | None = None


def _normalize(version: str, source: str) -> str:
    text = str(version).strip()
    parts = text.split(".")
    try:
        major, minor = int(parts[0]), int(parts[1]) if len(parts) > 1 else 0
    except ValueError:
        raise ParameterError(f"{source}={version!r}: expected one of {', '.join(SUPPORTED)}") from None
    if (major, minor) == (0, 11) or (major == 0 and minor == 10):
        return "0.11"
    if major == 1 and minor == 0:
        return "1.0"
    raise ParameterError(f"{source}={version!r}: expected one of {', '.join(SUPPORTED)}")


def installed_librosa_version() -> str | None:
    """The installed librosa's version string (package metadata), or None when it is absent."""
    if sys.platform == "emscripten":  # pragma: no cover - Pyodide only
        return None
    try:
        from importlib.metadata import PackageNotFoundError, version
    except ImportError:  # pragma: no cover - Python < 3.8
        return None
    try:
        return version("librosa")
    except PackageNotFoundError:
        return None


def _from_installed() -> str:
    global _detected
    if _detected is None:
        found = installed_librosa_version()
        if found is None:
            _detected = NEWEST
        else:
            parts = found.split(".")
            try:
                major, _minor = int(parts[0]), int(parts[1])
            except (ValueError, IndexError):
                major = 1
            _detected = "0.11" if major == 0 else NEWEST  # 0.10 behaves as 0.11 for everything we cover
    return _detected


def librosa_compat() -> str:
    """The librosa semantics the shims follow now: ``"0.11"`` or ``"1.0"``.

    In order: the value given to :func:`set_librosa_compat`, then the
    ``AURALIS_DSP_LIBROSA_COMPAT`` environment variable, then the installed
    librosa's version (none installed, or Pyodide: ``"1.0"``).
    """
    if _override is not None:
        return _override
    env = os.environ.get(ENV_VAR)
    if env:
        return _normalize(env, ENV_VAR)
    return _from_installed()


def set_librosa_compat(version: str | None) -> None:
    """Pin the semantics to ``"0.11"`` or ``"1.0"``; ``None`` goes back to following the installed librosa."""
    global _override
    _override = None if version is None else _normalize(version, "version")


def is_v1() -> bool:
    """True when librosa 1.0 semantics are active."""
    return librosa_compat() == "1.0"
