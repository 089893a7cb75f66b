"""src/manifest.json pins the Python side to the kernels (test/manifest.test.ts pins the TypeScript side).

The manifest names the protocol version, the wire dtypes with their item sizes, the
window names the kernels build, the ops the package sends and the debugging ops.
Here: _wire.py's tables, the window names the shims send by name, and the op names
every public shim actually sends, recorded by running each one through the real
backend once.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import numpy as np
import pytest

import auralis_dsp
from auralis_dsp import _backend, _request
from auralis_dsp._backend import _wire

MANIFEST = json.loads((Path(__file__).resolve().parents[2] / "src" / "manifest.json").read_text())

SR = 22050
Y = np.sin(2 * np.pi * 440 * np.arange(SR // 2) / SR).astype(np.float32)
D = np.ones((257, 20), np.complex64)

# One call of every public shim (module.function as a user reaches it).
SHIM_CALLS = {
    "stft": lambda: auralis_dsp.stft(Y, n_fft=512),
    "istft": lambda: auralis_dsp.istft(D),
    "hpss": lambda: auralis_dsp.hpss(Y, n_fft=512),
    "effects.hpss": lambda: auralis_dsp.effects.hpss(Y, n_fft=512),
    "effects.harmonic": lambda: auralis_dsp.effects.harmonic(Y, n_fft=512),
    "effects.percussive": lambda: auralis_dsp.effects.percussive(Y, n_fft=512),
    "decompose.hpss": lambda: auralis_dsp.decompose.hpss(np.abs(D)),
    "yin": lambda: auralis_dsp.yin(Y, fmin=100, fmax=1000, sr=SR),
    "pyin": lambda: auralis_dsp.pyin(Y, fmin=100, fmax=1000, sr=SR),
    "cqt": lambda: auralis_dsp.cqt(Y, sr=SR, n_bins=24, fmin=200.0),
    "estimate_tuning": lambda: auralis_dsp.estimate_tuning(y=Y, sr=SR),
    "chroma_cqt": lambda: auralis_dsp.chroma_cqt(y=Y, sr=SR, tuning=0.0),
    "feature.chroma_cqt": lambda: auralis_dsp.feature.chroma_cqt(y=Y, sr=SR, tuning=0.0),
    "feature.chroma_stft": lambda: auralis_dsp.feature.chroma_stft(y=Y, sr=SR),
    "clear_caches": lambda: auralis_dsp.clear_caches(),
}
# Public functions that are not shims: they send nothing to the kernels.
NOT_SHIMS = {"librosa_compat", "set_librosa_compat", "patch", "unpatch", "patched"}


def _public_functions() -> set:
    names = {name for name in auralis_dsp.__all__ if inspect.isfunction(getattr(auralis_dsp, name))}
    for module in ("decompose", "effects", "feature"):
        names |= {f"{module}.{name}" for name in getattr(auralis_dsp, module).__all__}
    return names - NOT_SHIMS


def test_protocol_version():
    assert MANIFEST["protocol_version"] == _wire.PROTOCOL_VERSION


def test_dtypes():
    assert MANIFEST["dtypes"] == {name: dtype.itemsize for name, dtype in _wire.WIRE_DTYPES.items()}
    assert all(dtype.byteorder in "<|=" for dtype in _wire.WIRE_DTYPES.values())  # little-endian or bytes


def test_op_tables():
    assert sorted(_wire.OPS) == MANIFEST["ops"]
    assert sorted(_wire.DEBUG_OPS) == MANIFEST["debug_ops"]
    assert not _wire.OPS & _wire.DEBUG_OPS


def test_every_public_shim_is_called_below():
    assert set(SHIM_CALLS) == _public_functions()


def test_ops_the_shims_send(monkeypatch):
    sent: list = []
    forward = _backend._call

    def recording(op, params, arrays):
        sent.append(op)
        return forward(op, params, arrays)

    monkeypatch.setattr(_backend, "_call", recording)
    for name, call in SHIM_CALLS.items():
        before = len(sent)
        call()
        assert len(sent) > before, f"{name} sent nothing"
    assert set(sent) == set(MANIFEST["ops"]) == set(_wire.OPS)


def test_window_names():
    assert set(MANIFEST["windows"]) == _request.KERNEL_WINDOWS


@pytest.mark.parametrize("name", MANIFEST["windows"])
def test_each_window_name_travels_by_name(name):
    params: dict = {}
    arrays: dict = {}
    spec = (name, 4.0) if name in ("kaiser", "ksr") else name
    _request.window_request(spec, 512, 512, params, arrays)
    assert params["window"] == ([name, 4.0] if isinstance(spec, tuple) else name)
    assert "window" not in arrays


def test_other_scipy_windows_travel_as_arrays():
    params: dict = {}
    arrays: dict = {}
    _request.window_request("parzen", 512, 512, params, arrays)
    assert params["window"] is None and arrays["window"].shape == (512,)
