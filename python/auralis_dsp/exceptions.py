"""Exceptions, compatible with librosa's."""
from __future__ import annotations

try:  # When librosa is installed, ``except librosa.util.exceptions.ParameterError`` must catch ours.
    from librosa.util.exceptions import ParameterError as _LibrosaParameterError
except Exception:  # pragma: no cover - exercised where librosa is absent (Pyodide)
    _LibrosaParameterError = Exception  # type: ignore[assignment,misc]

__all__ = ["ParameterError", "UnsupportedParameter", "BridgeError"]


class ParameterError(_LibrosaParameterError):  # type: ignore[misc,valid-type]
    """Invalid parameters or input, as ``librosa.util.exceptions.ParameterError``."""


class UnsupportedParameter(ParameterError):
    """A value librosa accepts but auralis_dsp does not implement (yet).

    A ``ParameterError`` (so callers that catch librosa's errors still do),
    distinguished so that ``auralis_dsp.patch()`` can hand such calls back to librosa.
    """


class BridgeError(RuntimeError):
    """The kernel backend failed (the Node process died, or an internal fault)."""
