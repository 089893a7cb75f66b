"""Runs inside Pyodide (test/pyodide.test.ts): the Python shims on the fixtures, judged
against librosa's outputs stored there, with the tolerances of the CPython suites
(python/tests) and of docs/parity.md.

``check_all(root)`` returns one ``{"suite", "label", "ok", "detail"}`` per fixture case.
"""
from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np

import auralis_dsp

_FLOATS = {"inf": math.inf, "-inf": -math.inf, "nan": math.nan}


def _decode(value):
    if isinstance(value, dict):
        if set(value) == {"$float"}:
            return _FLOATS[value["$float"]]
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def _complex(wire: np.ndarray) -> np.ndarray:
    """A fixture's (frames, bins, channels, 2) array as librosa's (channels, bins, frames) complex one."""
    return (wire[..., 0] + 1j * wire[..., 1]).transpose(2, 1, 0)


def _parity(ours: np.ndarray, ref: np.ndarray, tol: float) -> str:
    """python/tests/helpers.assert_parity: relative L2 and max error scaled by max |ref|; '' when within."""
    if ours.shape != ref.shape:
        return f"shape {ours.shape} != {ref.shape}"
    diff = np.abs(ours.astype(np.complex128) - ref)
    peak = np.abs(ref).max() if ref.size else 0.0
    if peak == 0:
        return "" if diff.max(initial=0.0) == 0 else f"max error {diff.max()} on a zero reference"
    rel_l2 = np.linalg.norm(diff) / np.linalg.norm(np.abs(ref))
    scaled_max = diff.max() / peak
    return "" if max(rel_l2, scaled_max) <= tol else f"relL2 {rel_l2:.3g}, scaledMax {scaled_max:.3g} > {tol}"


def _dtype_check(ours: np.ndarray, expected) -> str:
    return "" if ours.dtype == np.dtype(expected) else f"dtype {ours.dtype} != {np.dtype(expected)}"


def _spectrum(case: dict, load) -> str:
    p = dict(case["params"])
    dtype = p.pop("dtype")
    # The wire form of a window: a list for a (name, parameter) tuple, null when given as an array.
    p["window"] = load(case["arrays"]["window"]) if p["window"] is None else (
        tuple(p["window"]) if isinstance(p["window"], list) else p["window"])
    if case["op"] == "stft":
        ours = auralis_dsp.stft(load(case["arrays"]["y"])[0], dtype=np.dtype(dtype), **p)
        ref = _complex(load(case["expected"]))[0]
        tol = 1e-6 if dtype == "complex128" else 1e-4
    else:
        S = _complex(load(case["arrays"]["stft_matrix"]))[0].astype(np.complex128 if dtype == "float64" else np.complex64)
        ours = auralis_dsp.istft(S, dtype=np.dtype(dtype), **p)
        ref = load(case["expected"])[0]
        tol = 1e-6 if dtype == "float64" else 1e-4
        if "reference64" in case:
            # test/spectrum.test.ts: where librosa's float32 istft strays from its own float64
            # answer by more than the tolerance (tiny window envelope), ours must match the float64 one.
            ref64 = load(case["reference64"])[0]
            if _parity(ref.astype(np.float64), ref64, 1e-4):
                return _dtype_check(ours, dtype) or _parity(ours, ref64, 1e-6)
    return _dtype_check(ours, dtype) or _parity(ours, ref, tol)


def _yin(case: dict, load) -> str:
    y = load(case["arrays"]["y"])[0]
    ours = auralis_dsp.yin(y, **case["params"])
    ref = load(case["expected"])[0]
    if ours.shape != ref.shape or ours.dtype != np.float64:
        return f"shape/dtype {ours.shape} {ours.dtype} vs {ref.shape} float64"
    rel = np.abs(ours - ref) / ref
    if y.dtype == np.float64:  # python/tests/test_yin.assert_f0
        return "" if rel.max() <= 1e-6 else f"max relative error {rel.max():.3g} > 1e-6"
    share = np.mean(rel <= 1e-4)
    return "" if share >= 0.999 else f"{share:.4f} of frames within 1e-4 (< 0.999)"


def _cqt(case: dict, load) -> str:
    p = _decode(case["params"])
    y = load(case["arrays"]["y"])[0]
    if case["op"] == "estimate_tuning":
        got = auralis_dsp.estimate_tuning(y=y, **p)
        return "" if got == case["value"] else f"tuning {got} != {case['value']}"
    dtype = p.pop("dtype")
    if case["op"] == "cqt":
        ours = auralis_dsp.cqt(y, **p)
        ref = _complex(load(case["expected"]))[0]
        return _dtype_check(ours, dtype) or _parity(np.abs(ours), np.abs(ref), 1e-4)
    ours = auralis_dsp.chroma_cqt(y=y, **p)
    ref = load(case["expected"]).transpose(2, 1, 0)[0]
    if ours.shape != ref.shape:
        return f"shape {ours.shape} != {ref.shape}"
    err = np.abs(ours - ref).max()
    return _dtype_check(ours, dtype) or ("" if err <= 1e-4 else f"max error {err:.3g} > 1e-4")


def _hpss_cases(root: Path):
    cases = json.loads((root / "hpss" / "cases.json").read_text())["hpss"]
    for precision, tol in (("float32", 1e-4), ("float64", 1e-6)):
        S = np.load(root / "hpss" / f"hpss_{precision}_S.npy")
        for k, c in enumerate(cases):
            kw = dict(kernel_size=c["kernel_size"], margin=c["margin"], mask=c["mask"],
                      power=math.inf if c["power"] == "inf" else c["power"])
            label = f"decompose.hpss {precision} {json.dumps(c)}"
            yield label, S, kw, np.load(root / "hpss" / f"hpss_{precision}_{k}.npy"), tol, c["mask"]


def _hpss(S, kw, expected, tol, mask) -> str:
    for ours, ref in zip(auralis_dsp.decompose.hpss(S, **kw), expected):
        if mask:  # test/hpss.test.ts: masks within tol element by element
            if ours.shape != ref.shape or np.abs(ours - ref).max() > tol:
                return f"mask error {np.abs(ours - ref).max():.3g} > {tol}"
        else:
            problem = _parity(ours, ref, tol)
            if problem:
                return problem
    return ""


def check_all(root: str) -> list:
    base = Path(root)
    results = []
    # Pyodide follows librosa 1.0 unless told otherwise (no librosa to ask); the fixtures hold
    # librosa 0.11.0's answers, so the sweep pins 0.11 semantics and restores the default after.
    default = auralis_dsp.librosa_compat()
    results.append({"suite": "compat", "label": "librosa_compat() under Pyodide", "ok": default == "1.0",
                    "detail": "" if default == "1.0" else f"librosa_compat() is {default!r}, expected '1.0'"})
    auralis_dsp.set_librosa_compat("0.11")
    try:
        _sweep(base, results)
    finally:
        auralis_dsp.set_librosa_compat(None)
    return results


def _sweep(base: Path, results: list) -> None:

    def run(suite: str, label: str, check) -> None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                detail = check()
        except Exception as error:  # a failure to report, not to stop the sweep
            detail = f"{type(error).__name__}: {error}"
        results.append({"suite": suite, "label": label, "ok": detail == "", "detail": detail})

    for suite, check in (("spectrum", _spectrum), ("yin", _yin), ("cqt", _cqt)):
        folder = base / suite

        def load(name, folder=folder):
            return np.load(folder / name)

        for case in json.loads((folder / "manifest.json").read_text()):
            run(suite, f"{case['op']} {case['label']}", lambda case=case, check=check, load=load: check(case, load))
    for label, S, kw, expected, tol, mask in _hpss_cases(base):
        run("hpss", label, lambda S=S, kw=kw, expected=expected, tol=tol, mask=mask: _hpss(S, kw, expected, tol, mask))
