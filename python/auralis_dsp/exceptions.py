"""Exceptions, compatible with librosa's."""
from __future__ import annotations

try:  # When librosa is installed, ``except librosa.util.exceptions.ParameterError`` must catch ours.
    from librosa.util.exceptions import ParameterError as _LibrosaParameterError
except Exception:  # pragma: no cover - exercised where librosa is absent (Pyodide)
    _LibrosaParameterError = Exception  # type: ignore[assignment,misc]

__all__ = ["ParameterError", "BridgeError"]


class ParameterError(_LibrosaParameterError):  # type: ignore[misc,valid-type]
    """Invalid parameters or input, as ``librosa.util.exceptions.ParameterError``."""


class BridgeError(RuntimeError):
    """The kernel backend failed (the Node process died, or an internal fault)."""
