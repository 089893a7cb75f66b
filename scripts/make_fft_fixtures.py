"""Write numpy.fft reference outputs for test/fft.test.ts into fixtures/fft/.

For each size n: x_n.npy (float64 input), rfft_n.npy (numpy.fft.rfft(x) as float64
(bins, 2) re/im pairs, the kernels' interleaved layout), and for the inverse a
random spectrum with non-zero imaginary parts in bin 0 and bin n/2 (spec_n.npy,
same layout) with numpy.fft.irfft(spec, n) in irfft_n.npy, which pins down
pocketfft's rule of ignoring those parts.

Run: .venv/bin/python scripts/make_fft_fixtures.py
"""

from pathlib import Path

import numpy as np

SIZES = (1, 2, 7, 16, 100, 1021, 1024, 3000)
OUT = Path(__file__).resolve().parent.parent / "fixtures" / "fft"


def interleave(z: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.stack([z.real, z.imag], axis=-1), dtype=np.float64)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(20240611)
    for n in SIZES:
        x = rng.standard_normal(n)
        bins = n // 2 + 1
        spec = rng.standard_normal(bins) + 1j * rng.standard_normal(bins)
        np.save(OUT / f"x_{n}.npy", x)
        np.save(OUT / f"rfft_{n}.npy", interleave(np.fft.rfft(x)))
        np.save(OUT / f"spec_{n}.npy", interleave(spec))
        np.save(OUT / f"irfft_{n}.npy", np.fft.irfft(spec, n))


if __name__ == "__main__":
    main()
