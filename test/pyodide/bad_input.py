"""Runs inside Pyodide (test/pyodide.test.ts): the ParameterError cases of the CPython
suites (python/tests), and faults of the kernel side, as Python exceptions.

``check_all()`` returns one ``{"label", "ok", "detail"}`` per case.
"""
from __future__ import annotations

import time
import warnings

import numpy as np

import auralis_dsp
from auralis_dsp import BridgeError, ParameterError, _backend

SR = 22050
_t = np.arange(1500) / SR
_SINE = np.sin(2 * np.pi * 440 * _t)

PARAMETER_ERRORS = [
    # python/tests/test_yin.py (librosa's own messages)
    ("yin fmin None", lambda: auralis_dsp.yin(_SINE, fmin=None, fmax=1000), 'both "fmin" and "fmax" must be provided'),
    ("yin fmin 0", lambda: auralis_dsp.yin(_SINE, fmin=0, fmax=1000), "must be strictly positive"),
    ("yin fmin == fmax", lambda: auralis_dsp.yin(_SINE, fmin=1000, fmax=1000), "must be less than fmax"),
    ("yin above Nyquist", lambda: auralis_dsp.yin(_SINE, fmin=60, fmax=12000), "cannot exceed Nyquist frequency"),
    ("yin frame too small", lambda: auralis_dsp.yin(_SINE, fmin=20, fmax=1000, frame_length=1024), "is too small for frame_length=1024"),
    ("yin hop 0", lambda: auralis_dsp.yin(_SINE, fmin=60, fmax=1000, hop_length=0), "Invalid hop_length"),
    ("yin too short", lambda: auralis_dsp.yin(_SINE, fmin=60, fmax=1000, center=False), "Input is too short"),
    ("yin integer audio", lambda: auralis_dsp.yin(np.arange(5000), fmin=60, fmax=1000), "must be floating-point"),
    ("yin nan audio", lambda: auralis_dsp.yin(np.array([0.0, np.nan] * 2500), fmin=60, fmax=1000), "not finite everywhere"),
    # python/tests/test_chroma.py
    ("chroma_cqt without input", lambda: auralis_dsp.chroma_cqt(sr=SR), "At least one of C or y"),
    ("chroma_cqt bins", lambda: auralis_dsp.chroma_cqt(y=np.zeros(SR), bins_per_octave=30), "integer multiple of n_chroma"),
    ("chroma_cqt int16", lambda: auralis_dsp.chroma_cqt(y=np.ones(SR, dtype=np.int16)), "floating-point"),
    ("chroma_cqt nan", lambda: auralis_dsp.chroma_cqt(y=np.full(SR, np.nan)), "not finite"),
    ("cqt above Nyquist", lambda: auralis_dsp.cqt(np.zeros(SR), n_bins=120, bins_per_octave=12, fmin=100.0), "Nyquist"),
    ("cqt too short", lambda: auralis_dsp.cqt(np.zeros(3), hop_length=2048, n_bins=12, fmin=100.0), "too short"),
    # python/tests/test_hpss.py; the negative magnitudes are refused by the kernel (softmask)
    ("decompose.hpss 1-D", lambda: auralis_dsp.decompose.hpss(np.ones(100, np.complex64)), ""),
    ("decompose.hpss margin 0", lambda: auralis_dsp.decompose.hpss(np.ones((10, 10)), margin=0.0), ""),
    ("decompose.hpss negative S", lambda: auralis_dsp.decompose.hpss(-np.ones((10, 10))), ""),
    ("effects.hpss margin 0.5", lambda: auralis_dsp.effects.hpss(np.zeros(3000), margin=0.5), ""),
    # python/tests/test_spectrum.py
    ("stft hop 0", lambda: auralis_dsp.stft(np.zeros(4096), hop_length=0), ""),
    ("stft reflect empty", lambda: auralis_dsp.stft(np.zeros(0), pad_mode="reflect"), ""),
    ("istft no frames", lambda: auralis_dsp.istft(np.zeros((1025, 0), np.complex64)), ""),
    ("istft 1-D", lambda: auralis_dsp.istft(np.zeros(10, np.complex64)), ""),
    # a kernel's ParameterError, passed through by name
    ("op raise ParameterError", lambda: _backend.call("raise", {"type": "ParameterError", "message": "kernel says no"}, {}), "kernel says no"),
]

BRIDGE_ERRORS = [
    ("op raise Error", lambda: _backend.call("raise", {"message": "kernel fault 42"}, {}), "kernel fault 42"),
    ("unknown op", lambda: _backend.call("no.such.op", {}, {}), "unknown op no.such.op"),
    # Real asynchronous work cannot be waited for from a synchronous call: an error at once, not a hang.
    ("op awaiting a timer", lambda: _backend.call("sleep", {"seconds": 60}, {}), "waited for asynchronous work"),
]


def _expect(label, call, exception, match):
    started = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            call()
    except exception as error:
        ok = match in str(error) and time.perf_counter() - started < 5
        return {"label": label, "ok": ok, "detail": f"{type(error).__name__}: {error}"}
    except BaseException as error:
        return {"label": label, "ok": False, "detail": f"raised {type(error).__name__}: {error}"}
    return {"label": label, "ok": False, "detail": f"no {exception.__name__}"}


def check_all() -> list:
    results = [_expect(label, call, ParameterError, match) for label, call, match in PARAMETER_ERRORS]
    results += [_expect(label, call, BridgeError, match) for label, call, match in BRIDGE_ERRORS]
    still = auralis_dsp.effects.hpss(np.zeros(3000, np.float32))[0]  # the kernels keep serving
    results.append({"label": "still serving", "ok": still.shape == (3000,) and still.dtype == np.float32, "detail": ""})
    return results
