"""``auralis_dsp.patch()``: route librosa's own entry points to the shims.

Unchanged code that calls ``librosa.stft``, ``librosa.effects.hpss``,
``librosa.yin``, ``librosa.feature.chroma_cqt`` ... runs on the kernels after
``patch()``; ``unpatch()`` puts librosa's functions back exactly as they were.

What is replaced is the attribute of librosa's public namespaces (``librosa``,
``librosa.core``, ``librosa.effects``, ``librosa.decompose``,
``librosa.feature``). A name bound before patching (``from librosa.effects
import hpss``) keeps librosa's function, and librosa's internal calls made
through its defining modules (``librosa.core.spectrum.stft`` used by
``librosa.feature.melspectrogram``) are left alone.

A call the shim cannot answer goes to librosa's original function, so the
answer is librosa's, never a different one:

- keywords the shim does not have, or that the installed librosa does not
  know (librosa then raises its own ``TypeError``);
- ``UnsupportedParameter``: a value librosa accepts that we do not implement;
- any other ``ParameterError``, ``TypeError`` or ``ValueError`` from the shim's
  validation: librosa decides (it computes, or raises its own error, with its
  own message);
- ``BridgeError``: the kernels' process failed; librosa computes instead.

Each reason is logged once per function at debug level (``BridgeError`` as a
warning) on the ``auralis_dsp.patch`` logger.
"""
from __future__ import annotations

import contextlib
import functools
import importlib
import inspect
import logging
import threading
from collections.abc import Iterator
from typing import Any, Callable

from .exceptions import BridgeError, ParameterError, UnsupportedParameter

__all__ = ["patch", "unpatch", "patched", "is_patched"]

logger = logging.getLogger("auralis_dsp.patch")

# (librosa namespace, attribute, dotted path of the shim inside auralis_dsp)
_TABLE: tuple[tuple[str, str, str], ...] = (
    ("librosa", "stft", "stft"),
    ("librosa", "istft", "istft"),
    ("librosa", "yin", "yin"),
    ("librosa", "pyin", "pyin"),
    ("librosa", "cqt", "cqt"),
    ("librosa", "estimate_tuning", "estimate_tuning"),
    ("librosa.core", "stft", "stft"),
    ("librosa.core", "istft", "istft"),
    ("librosa.core", "yin", "yin"),
    ("librosa.core", "pyin", "pyin"),
    ("librosa.core", "cqt", "cqt"),
    ("librosa.core", "estimate_tuning", "estimate_tuning"),
    ("librosa.effects", "hpss", "effects.hpss"),
    ("librosa.effects", "harmonic", "effects.harmonic"),
    ("librosa.effects", "percussive", "effects.percussive"),
    ("librosa.decompose", "hpss", "decompose.hpss"),
    ("librosa.feature", "chroma_cqt", "feature.chroma_cqt"),
    ("librosa.feature", "chroma_stft", "feature.chroma_stft"),
)

_MISSING = object()
_lock = threading.RLock()
# (namespace, attribute) -> (value in the module's __dict__ before patching or _MISSING, the wrapper put there)
_saved: dict[tuple[str, str], tuple[Any, Callable]] = {}
_logged: set = set()


def _shim(dotted: str) -> Any:
    import auralis_dsp

    target: Any = auralis_dsp
    for part in dotted.split("."):
        target = getattr(target, part, None)
        if target is None:
            return None
    return target


def _log_once(name: str, reason: str, exc: BaseException, level: int = logging.DEBUG) -> None:
    key = (name, reason)
    if key in _logged:
        return
    _logged.add(key)
    logger.log(level, "auralis_dsp.patch: %s -> librosa's own function (%s: %s)", name, reason, exc)


def _keyword_names(func: Callable) -> tuple[frozenset, bool]:
    """The keywords ``func`` accepts, and whether it takes ``**kwargs``."""
    params = inspect.signature(func).parameters.values()
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params)
    names = frozenset(p.name for p in params if p.kind is not inspect.Parameter.VAR_POSITIONAL)
    return names, takes_any


def _accepts(keywords: tuple[frozenset, bool], kwargs: dict[str, Any]) -> bool:
    names, takes_any = keywords
    return takes_any or names.issuperset(kwargs)


def _wrap(name: str, original: Callable, shim: Callable) -> Callable:
    """librosa's ``original`` answered by ``shim``, with librosa's name, docstring and signature."""
    original_keywords = _keyword_names(original)
    shim_keywords = _keyword_names(shim)

    @functools.wraps(original)
    def routed(*args: Any, **kwargs: Any) -> Any:
        if not _accepts(original_keywords, kwargs):
            return original(*args, **kwargs)  # librosa raises its own TypeError
        if not _accepts(shim_keywords, kwargs):
            _log_once(name, "keyword not implemented", TypeError(sorted(set(kwargs) - shim_keywords[0])))
            return original(*args, **kwargs)
        try:
            return shim(*args, **kwargs)
        except UnsupportedParameter as exc:
            _log_once(name, "not implemented", exc)
        except (ParameterError, TypeError, ValueError) as exc:
            _log_once(name, f"librosa decides on {type(exc).__name__}", exc)
        except BridgeError as exc:
            _log_once(name, "kernel backend failed", exc, logging.WARNING)
        return original(*args, **kwargs)

    routed.__auralis_dsp_original__ = original  # type: ignore[attr-defined]
    return routed


def _entries() -> list[tuple[Any, str, Callable, Any]]:
    """(librosa module, attribute, shim, the attribute in the module's __dict__ or _MISSING) per usable entry.

    The __dict__ is read before librosa's lazy loader resolves the name (and caches it there).
    """
    try:
        importlib.import_module("librosa")
    except ImportError as exc:
        raise ImportError("auralis_dsp.patch() needs librosa installed") from exc
    found = []
    for module_name, attr, dotted in _TABLE:
        shim = _shim(dotted)  # None for a name this auralis_dsp does not have
        if shim is None:
            continue
        module = importlib.import_module(module_name)
        before = module.__dict__.get(attr, _MISSING)
        if not hasattr(module, attr):
            continue
        found.append((module, attr, shim, before))
    return found


def is_patched() -> bool:
    """True while librosa's entry points are routed to the shims."""
    with _lock:
        return bool(_saved)


def patch() -> None:
    """Route librosa's entry points to auralis_dsp's shims (idempotent).

    Covers ``librosa.stft``, ``istft``, ``effects.hpss``/``harmonic``/``percussive``,
    ``decompose.hpss``, ``yin``, ``pyin``, ``cqt``,
    ``estimate_tuning``, ``feature.chroma_cqt``, ``feature.chroma_stft`` and
    their aliases in ``librosa.core``. Calls with options the shims do not
    implement are answered by librosa's original function.

    Limits: references taken before ``patch()`` (``from librosa import stft``)
    keep librosa's function; librosa's own internal calls are not rerouted.
    """
    with _lock:
        wrappers: dict[int, Callable] = {}  # one wrapper per original, so librosa.stft is librosa.core.stft still
        for module, attr, shim, before in _entries():
            key = (module.__name__, attr)
            if key in _saved:
                continue
            original = getattr(module, attr)
            original = getattr(original, "__auralis_dsp_original__", original)
            wrapper = wrappers.get(id(original))
            if wrapper is None:
                wrapper = wrappers[id(original)] = _wrap(f"{module.__name__}.{attr}", original, shim)
            setattr(module, attr, wrapper)
            _saved[key] = (before, wrapper)


def unpatch() -> None:
    """Put librosa's original functions back exactly as they were (idempotent).

    A name that librosa resolved lazily before patching is removed again, so
    its lazy loader answers as before. An attribute replaced by someone else
    since ``patch()`` is left as they set it.
    """
    import sys

    with _lock:
        for (module_name, attr), (before, wrapper) in list(_saved.items()):
            module = sys.modules.get(module_name)
            if module is not None and module.__dict__.get(attr) is wrapper:
                if before is _MISSING:
                    delattr(module, attr)
                else:
                    setattr(module, attr, before)
            del _saved[(module_name, attr)]


@contextlib.contextmanager
def patched() -> Iterator[None]:
    """``with auralis_dsp.patched():`` routes librosa to the shims inside the block only.

    When librosa was already patched on entry, it stays patched on exit.
    """
    with _lock:
        was_patched = is_patched()
        patch()
    try:
        yield
    finally:
        if not was_patched:
            unpatch()
