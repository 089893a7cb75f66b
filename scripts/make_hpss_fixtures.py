"""Writes the HPSS fixtures in fixtures/hpss/: inputs and scipy / librosa outputs as .npy,
plus cases.json describing them. Run with the parity venv: .venv/bin/python scripts/make_hpss_fixtures.py

- median_<name>.npy: a float64 matrix; median_<name>_out.npy: shape (len(sizes), 2, R, C),
  [k, 0] = median_filter(size=(1, sizes[k])) (along time), [k, 1] = size=(sizes[k], 1) (along freq).
  Sizes keep size // 2 < 4 * axis length: beyond it scipy 1.17 reads outside the line (see medianFilter.ts).
- softmask_<dtype>_x.npy, _ref.npy: inputs; softmask_<dtype>_out.npy: one row per softmask case.
- hpss_<dtype>_S.npy: a small complex spectrogram; hpss_<dtype>_<k>.npy: shape (2, F, T), the
  harmonic and percussive outputs (masks or complex spectra) of hpss case k.
- hpss_<dtype>_mag.npy: np.abs(S); hpss_<dtype>_mag_out.npy: hpss of that real S,
  kernel_size=(31, 7), margin=(1.5, 3), power=2.
"""

import json
import os

import librosa
import numpy as np
import scipy
from scipy.ndimage import median_filter

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "hpss")
rng = np.random.default_rng(20240611)
cases = {"versions": {"numpy": np.__version__, "scipy": scipy.__version__, "librosa": librosa.__version__}}


def save(name, array):
    np.save(os.path.join(OUT, name + ".npy"), array)


# --- median filters -------------------------------------------------------------------------
def with_ties_and_zeros(rows, cols):
    m = rng.random((rows, cols))
    ties = rng.random((rows, cols)) < 0.3
    m[ties] = np.round(m[ties] * 4) / 4  # a few repeated values
    m[rng.random((rows, cols)) < 0.1] = 0.0
    m[rng.random((rows, cols)) < 0.05] = 1e-310  # subnormal
    return m


medians = []
matrices = {
    "rand": (with_ties_and_zeros(24, 37), [1, 2, 3, 4, 5, 16, 17, 31, 64, 150]),
    "row": (with_ties_and_zeros(1, 50), [1, 2, 3, 4, 17, 31, 64, 101, 150]),
    "col": (with_ties_and_zeros(50, 1), [1, 2, 3, 4, 17, 31, 64, 101, 150]),
    "small": (with_ties_and_zeros(5, 3), [1, 2, 3, 4, 6, 7, 17, 23]),
    "const": (np.full((6, 9), 0.5), [1, 2, 4, 31]),
    "spec": (np.abs(rng.standard_normal((33, 96)) * np.linspace(3, 0.01, 33)[:, None]) ** 2, [17, 31]),
}
for name, (m, sizes) in matrices.items():
    out = np.stack(
        [
            np.stack([median_filter(m, size=(1, s), mode="reflect"), median_filter(m, size=(s, 1), mode="reflect")])
            for s in sizes
        ]
    )
    save(f"median_{name}", m)
    save(f"median_{name}_out", out)
    medians.append({"name": name, "shape": list(m.shape), "sizes": sizes})
cases["median"] = medians

# --- softmask -------------------------------------------------------------------------------
n = 1200
x = rng.random(n) * 10.0 ** rng.integers(-8, 8, n)
ref = rng.random(n) * 10.0 ** rng.integers(-8, 8, n)
x[:200] = 0.0
ref[100:300] = 0.0  # both zero on 100:200
x[300:400] = ref[300:400]  # ties
x[400:500] = rng.random(100) * 1e-39  # below float32 tiny, above float64 tiny
ref[450:550] = rng.random(100) * 1e-39
x[550:600] = 1e-320  # below float64 tiny too
ref[550:600] = 3e-321
x[600:700] = rng.random(100) * 1e30
softmask_cases = [{"power": p, "split_zeros": s} for p in [1.0, 2.0, 0.5, 1.5, float("inf")] for s in [False, True]]
for dtype in ["float32", "float64"]:
    xd, rd = x.astype(dtype), ref.astype(dtype)
    save(f"softmask_{dtype}_x", xd)
    save(f"softmask_{dtype}_ref", rd)
    outs = [librosa.util.softmask(xd, rd, power=c["power"], split_zeros=c["split_zeros"]) for c in softmask_cases]
    save(f"softmask_{dtype}_out", np.stack([o.astype(dtype) for o in outs]))
cases["softmask"] = [{**c, "power": "inf" if np.isinf(c["power"]) else c["power"]} for c in softmask_cases]

# --- decompose.hpss -------------------------------------------------------------------------
sr = 8000
t = np.arange(int(0.2 * sr)) / sr
y = 0.5 * np.sin(2 * np.pi * 440 * t) + 0.3 * np.sin(2 * np.pi * 1250 * t)
y[::300] += 1.0  # clicks
y += 0.01 * rng.standard_normal(len(t))
y[600:800] = 0.0  # silent frames: exact-zero bins exercise split_zeros
hpss_cases = [
    {"kernel_size": 31, "margin": 1.0, "power": 2.0, "mask": False},
    {"kernel_size": 31, "margin": 1.0, "power": 2.0, "mask": True},
    {"kernel_size": [31, 7], "margin": 2.0, "power": 2.0, "mask": False},
    {"kernel_size": 2, "margin": 1.0, "power": 1.0, "mask": False},
    {"kernel_size": [31, 7], "margin": [1.5, 3.0], "power": "inf", "mask": False},
    {"kernel_size": [31, 7], "margin": [1.5, 3.0], "power": 1.0, "mask": True},
    {"kernel_size": 2, "margin": 2.0, "power": "inf", "mask": True},
    {"kernel_size": [4, 17], "margin": 1.0, "power": "inf", "mask": False},
    {"kernel_size": 31, "margin": [1.1, 1.0], "power": 2.0, "mask": True},
    {"kernel_size": [9, 64], "margin": 1.0, "power": 0.5, "mask": False},
    {"kernel_size": 31, "margin": 1.0, "power": 1.5, "mask": True},
]
for dtype, cdtype in [("float32", "complex64"), ("float64", "complex128")]:
    S = librosa.stft(y.astype(dtype), n_fft=32, hop_length=40, window="hann")
    S[:, 3] = 0.0
    S[5, 7] = 1e-40 + 0j  # tiny bin (subnormal in float32)
    assert S.dtype == cdtype
    save(f"hpss_{dtype}_S", S)
    for k, c in enumerate(hpss_cases):
        kernel = tuple(c["kernel_size"]) if isinstance(c["kernel_size"], list) else c["kernel_size"]
        margin = tuple(c["margin"]) if isinstance(c["margin"], list) else c["margin"]
        power = np.inf if c["power"] == "inf" else c["power"]
        H, P = librosa.decompose.hpss(S, kernel_size=kernel, margin=margin, power=power, mask=c["mask"])
        out = np.stack([H, P])
        if c["mask"]:
            out = out.astype(dtype)  # boolean for power=inf
        save(f"hpss_{dtype}_{k}", out)
    # A real (magnitude) S: no phase, H = S * mask.
    mag = np.abs(S)
    save(f"hpss_{dtype}_mag", mag)
    save(
        f"hpss_{dtype}_mag_out",
        np.stack(librosa.decompose.hpss(mag, kernel_size=(31, 7), margin=(1.5, 3.0), power=2.0)),
    )
cases["hpss"] = hpss_cases

with open(os.path.join(OUT, "cases.json"), "w") as f:
    json.dump(cases, f, indent=1)
    f.write("\n")
