#!/usr/bin/env python3
"""Fixtures and design helpers for src/resample (soxr "HQ" power-of-two decimation).

Usage (from the repository root, with the project venv):

    .venv/bin/python scripts/make_resample_fixtures.py            # write fixtures/resample/*.npy
    .venv/bin/python scripts/make_resample_fixtures.py halfband   # print our half-band designs (TS)
    .venv/bin/python scripts/make_resample_fixtures.py big DIR    # large inputs + soxr/librosa refs in DIR

Every reference is `soxr.resample(x, factor, 1, quality="HQ")` on float64 input
(python-soxr 1.1.0, which is what `librosa.resample(..., res_type="soxr_hq")` calls),
plus one `librosa.resample(..., scale=True)` case to pin the librosa wrapper
semantics (fix_length to ceil(n / factor), divide by sqrt(1 / factor)).

The fixtures are kept small (well under 1 MB in total): each case stores the input
and the reference output as float64 .npy files, and `manifest.json` lists them.
"""

from __future__ import annotations

import json
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "fixtures", "resample")


# ---------------------------------------------------------------------------
# Half-band design (our own): equiripple (minimax) odd-tap half-band filters.
#
# A half-band filter h has h[0] = 1/2, h[±2j] = 0 and h[±(2j+1)] = c_j, so
# H(w) = 1/2 + sum_j 2 c_j cos((2j+1) w) and H(pi - w) = 1 - H(w).  Making H ~ 1
# on [0, wp] therefore also makes H ~ 0 on [pi - wp, pi].  We solve the
# Chebyshev problem  min_c max_{w in [0, wp]} |sum_j 2 c_j cos((2j+1) w) - 1/2|
# with the Remez exchange algorithm (the odd cosines form a Haar system on
# [0, wp] for wp < pi/2).  soxr's float32 engine uses 8 coefficients (31 taps)
# when its attenuation budget is <= 136.5 dB and 9 (35 taps) above; both have
# their pass-band edge at wp = pi/4 (a quarter of the input Nyquist).
# ---------------------------------------------------------------------------


def design_halfband(n: int, wp: float = np.pi / 4, iters: int = 40, grid_n: int = 400001):
    grid = np.linspace(0.0, wp, grid_n)
    basis = 2.0 * np.cos(np.outer(grid, 2 * np.arange(n) + 1))
    ext = np.linspace(0.0, wp, n + 1)
    c = np.zeros(n)
    err = np.zeros(grid_n)
    for _ in range(iters):
        a = np.zeros((n + 1, n + 1))
        a[:, :n] = 2.0 * np.cos(np.outer(ext, 2 * np.arange(n) + 1))
        a[:, n] = (-1.0) ** np.arange(n + 1)
        sol = np.linalg.solve(a, np.full(n + 1, 0.5))
        c = sol[:n]
        err = basis @ c - 0.5
        d = np.diff(err)
        idx = [0] + list(np.nonzero(d[:-1] * d[1:] <= 0)[0] + 1) + [grid_n - 1]
        pts: list[int] = []
        for i in idx:
            if pts and np.sign(err[i]) == np.sign(err[pts[-1]]):
                if abs(err[i]) > abs(err[pts[-1]]):
                    pts[-1] = i
            else:
                pts.append(i)
        while len(pts) > n + 1:
            if abs(err[pts[0]]) < abs(err[pts[-1]]):
                pts.pop(0)
            else:
                pts.pop()
        new_ext = grid[pts]
        if len(new_ext) == n + 1 and np.allclose(new_ext, ext, atol=1e-12, rtol=0):
            break
        ext = new_ext
    return c, float(np.abs(err).max())


def print_halfband() -> None:
    for n in (8, 9):
        c, ripple = design_halfband(n)
        print(f"// n = {n} ({4 * n - 1} taps), ripple {ripple:.6e} ({-20 * np.log10(ripple):.2f} dB)")
        print("[" + ", ".join(repr(float(v)) for v in c) + "],")


# ---------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------


def soxr_ref(x: np.ndarray, factor: int) -> np.ndarray:
    import soxr

    return soxr.resample(np.ascontiguousarray(x, dtype=np.float64), factor, 1, quality="HQ")


def signals(rng: np.random.Generator) -> list[tuple[str, np.ndarray]]:
    sr = 22050.0
    n = 4001
    t = np.arange(n) / sr
    out: list[tuple[str, np.ndarray]] = []
    out.append(("noise_4001", rng.standard_normal(n)))
    out.append(("noise_4000", rng.standard_normal(4000)))
    # Sines relative to the new Nyquist (sr/4 = 5512.5 Hz after halving): deep pass-band,
    # near the pass-band edge (0.9137), inside the transition band (0.9137 .. 1.0),
    # at the new Nyquist and in the stop-band.
    for frac in (0.05, 0.5, 0.9, 0.95, 0.99, 1.0, 1.2):
        f = frac * sr / 4
        out.append((f"sine_{frac:g}", np.sin(2 * np.pi * f * t + 0.3)))
    # Linear chirp 20 Hz .. sr/2 (sweeps pass-, transition- and stop-band).
    out.append(("chirp", np.sin(2 * np.pi * (20 * t + 0.5 * (sr / 2 - 20) / t[-1] * t * t))))
    imp = np.zeros(1500)
    imp[700] = 1.0
    out.append(("impulse_even", imp))
    imp = np.zeros(1500)
    imp[701] = 1.0
    out.append(("impulse_odd", imp))
    imp = np.zeros(64)
    imp[0] = 1.0
    out.append(("impulse_start", imp))
    for m in (1, 2, 3, 7, 100, 1001):
        out.append((f"noise_len{m}", rng.standard_normal(m)))
    return out


def write_fixtures() -> None:
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        if f.endswith(".npy") or f == "manifest.json":
            os.remove(os.path.join(OUT, f))
    rng = np.random.default_rng(20250611)
    cases = []

    def save(name: str, arr: np.ndarray) -> None:
        np.save(os.path.join(OUT, name + ".npy"), np.ascontiguousarray(arr, dtype=np.float64))

    for name, x in signals(rng):
        save(f"{name}_in", x)
        for factor in (
            (2,) if not name.startswith(("noise_4001", "chirp", "noise_len", "impulse_even")) else (2, 4, 8, 16)
        ):
            y = soxr_ref(x, factor)
            save(f"{name}_d{factor}", y)
            cases.append({"name": name, "factor": factor, "input": f"{name}_in", "output": f"{name}_d{factor}"})

    # librosa wrapper semantics: fix=True pads to ceil(n*ratio), scale=True divides by sqrt(ratio).
    import librosa

    lib_cases = []
    for name, _x, factor in (("noise_4001", None, 2), ("noise_len1001", None, 4), ("noise_len7", None, 8)):
        xin = np.load(os.path.join(OUT, f"{name}_in.npy"))
        y = librosa.resample(xin, orig_sr=factor, target_sr=1, res_type="soxr_hq", scale=True)
        save(f"{name}_librosa_d{factor}", y)
        lib_cases.append({"name": name, "factor": factor, "input": f"{name}_in", "output": f"{name}_librosa_d{factor}"})

    import soxr

    meta = {
        "generator": "scripts/make_resample_fixtures.py",
        "soxr": soxr.__version__,
        "libsoxr": soxr.__libsoxr_version__,
        "librosa": librosa.__version__,
        "numpy": np.__version__,
        "cases": cases,
        "librosa_cases": lib_cases,
    }
    with open(os.path.join(OUT, "manifest.json"), "w") as fh:
        json.dump(meta, fh, indent=1)
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print(f"wrote {len(cases)} soxr cases + {len(lib_cases)} librosa cases, {total / 1024:.0f} KiB")


def write_big(dirname: str) -> None:
    """Large signals for the agreement / speed measurements (not committed)."""
    import time

    import soxr

    os.makedirs(dirname, exist_ok=True)
    rng = np.random.default_rng(7)
    sr = 22050
    n = 180 * sr
    t = np.arange(n) / sr
    big = {
        "noise_44100": rng.standard_normal(44100),
        "noise_3min": rng.standard_normal(n),
        "music_like_3min": sum(
            np.sin(2 * np.pi * f * t + p) / (1 + k)
            for k, (f, p) in enumerate(zip(rng.uniform(30, 10000, 40), rng.uniform(0, 6, 40)))
        )
        + 0.01 * rng.standard_normal(n),
        "noise_4M": rng.standard_normal(4 * 1024 * 1024),
    }
    timings = {}
    for name, x in big.items():
        np.save(os.path.join(dirname, f"{name}_in.npy"), x)
        for factor in (2, 4, 8):
            if factor != 2 and name == "noise_4M":
                continue
            t0 = time.perf_counter()
            y = soxr_ref(x, factor)
            timings[f"{name}_d{factor}"] = time.perf_counter() - t0
            np.save(os.path.join(dirname, f"{name}_d{factor}.npy"), y)
    x32 = big["noise_3min"].astype(np.float32)
    t0 = time.perf_counter()
    soxr.resample(x32, 2, 1, quality="HQ")
    timings["noise_3min_d2_float32"] = time.perf_counter() - t0
    with open(os.path.join(dirname, "timings.json"), "w") as fh:
        json.dump(timings, fh, indent=1)
    print(json.dumps(timings, indent=1))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "halfband":
        print_halfband()
    elif len(sys.argv) > 2 and sys.argv[1] == "big":
        write_big(sys.argv[2])
    else:
        write_fixtures()
