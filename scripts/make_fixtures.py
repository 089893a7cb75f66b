"""Generate the kernel fixtures: synthetic signals and librosa 0.11.0's outputs as .npy.

Writes fixtures/<group>/*.npy and fixtures/<group>/manifest.json. Each manifest
entry names an op, the explicit op params (as the Python shims send them) and
the input/output files, already in the bridge's wire layout (signals
(channels, n); spectrograms (frames, bins, channels) with complex values as
interleaved float pairs), so vitest can check the kernels without Python.

    .venv/bin/python scripts/make_fixtures.py
"""
from __future__ import annotations

import hashlib
import json
import sys
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import librosa  # noqa: E402

from parity.signals import shaped, synthetic  # noqa: E402

SR = 22050


def _wire_signal(y: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(y.reshape(-1, y.shape[-1]))


def _wire_spectrum(D: np.ndarray) -> np.ndarray:
    axes = (D.ndim - 1, D.ndim - 2) + tuple(range(D.ndim - 2))
    wire = np.ascontiguousarray(D.transpose(axes)).reshape(D.shape[-1], D.shape[-2], -1)
    return wire.view(wire.real.dtype).reshape(wire.shape + (2,))


class Writer:
    def __init__(self, group: str) -> None:
        self.dir = ROOT / "fixtures" / group
        self.dir.mkdir(parents=True, exist_ok=True)
        for old in self.dir.glob("*.npy"):
            old.unlink()
        self.entries: list = []
        self.count = 0
        self.saved: dict = {}

    def save(self, array: np.ndarray) -> str:
        key = (array.dtype.str, array.shape, hashlib.sha1(np.ascontiguousarray(array).tobytes()).hexdigest())
        if key in self.saved:
            return self.saved[key]
        name = f"a{self.count:03d}.npy"
        self.count += 1
        np.save(self.dir / name, array)
        self.saved[key] = name
        return name

    def add(self, **entry) -> None:
        self.entries.append(entry)

    def close(self) -> None:
        (self.dir / "manifest.json").write_text(json.dumps(self.entries, indent=1))
        size = sum(p.stat().st_size for p in self.dir.glob("*.npy"))
        print(f"{self.dir.relative_to(ROOT)}: {len(self.entries)} cases, {self.count} files, {size / 1e6:.2f} MB")


def _window_params(window, win_length, params, w: Writer) -> dict:
    extra = {}
    if isinstance(window, np.ndarray):
        params["window"] = None
        extra["window"] = w.save(window.astype(np.float64))
    elif isinstance(window, tuple):
        params["window"] = list(window)
    else:
        params["window"] = window
    return extra


def stft_case(w: Writer, label: str, y: np.ndarray, **kw) -> None:
    n_fft = kw.get("n_fft", 2048)
    win_length = kw.get("win_length") or n_fft
    hop = kw.get("hop_length") or win_length // 4
    window = kw.get("window", "hann")
    center = kw.get("center", True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        D = librosa.stft(y, **kw)
    params = {
        "n_fft": n_fft,
        "hop_length": hop,
        "win_length": win_length,
        "center": center,
        "pad_mode": kw.get("pad_mode", "constant") if center else "constant",
        "dtype": str(D.dtype),
    }
    arrays = _window_params(window, win_length, params, w)
    arrays["y"] = w.save(_wire_signal(y))
    w.add(label=label, op="stft", params=params, arrays=arrays, output="stft", expected=w.save(_wire_spectrum(D)),
          shape=[D.shape[-1], D.shape[-2], int(np.prod(D.shape[:-2]))])


def istft_case(w: Writer, label: str, D: np.ndarray, **kw) -> None:
    n_fft = kw.get("n_fft") or 2 * (D.shape[-2] - 1)
    win_length = kw.get("win_length") or n_fft
    hop = kw.get("hop_length") or win_length // 4
    window = kw.get("window", "hann")
    y = librosa.istft(D, **kw)
    params = {
        "n_fft": n_fft,
        "hop_length": hop,
        "win_length": win_length,
        "center": kw.get("center", True),
        "length": kw.get("length") or None,
        "dtype": str(y.dtype),
    }
    arrays = _window_params(window, win_length, params, w)
    arrays["stft_matrix"] = w.save(_wire_spectrum(D))
    extra = {}
    if y.dtype == np.float32:
        # librosa's float32 path rounds its FFT and overlap-add to float32; its float64 answer on
        # the same spectrogram tells whether the float32 reference itself is stable (see test).
        extra["reference64"] = w.save(_wire_signal(librosa.istft(D.astype(np.complex128), **kw)))
    w.add(label=label, op="istft", params=params, arrays=arrays, output="y", expected=w.save(_wire_signal(y)),
          shape=[int(np.prod(y.shape[:-1])), y.shape[-1]], **extra)


def spectrum_fixtures() -> None:
    w = Writer("spectrum")
    n = 1024
    names = ["silence", "dc", "impulse", "impulse_train", "white_noise", "pink_noise", "sine_low", "sine_mid",
             "sine_near_nyquist", "chirp", "harmonic", "am_tone", "fm_tone", "clipped_square"]
    for name in names:
        for dtype in (np.float64, np.float32):
            stft_case(w, f"{name}/{np.dtype(dtype).name}", synthetic(name, SR, n, dtype), n_fft=512)
    noise = synthetic("white_noise", SR, 1200)
    chirp = synthetic("chirp", SR, 1200)
    variants = [
        dict(),
        dict(n_fft=512, pad_mode="reflect"),
        dict(n_fft=512, pad_mode="edge"),
        dict(n_fft=512, pad_mode="symmetric"),
        dict(n_fft=512, center=False),
        dict(n_fft=512, hop_length=100),
        dict(n_fft=512, hop_length=300, pad_mode="reflect"),
        dict(n_fft=512, win_length=300, window="hamming"),
        dict(n_fft=512, window="blackman"),
        dict(n_fft=512, window="triang"),
        dict(n_fft=512, window="boxcar"),
        dict(n_fft=512, window=("kaiser", 8.0)),
        dict(n_fft=511, window="hann", pad_mode="reflect"),
        dict(n_fft=1000, hop_length=250),
        dict(n_fft=1500, hop_length=700, pad_mode="reflect"),
        dict(n_fft=256, window=np.hanning(200) ** 0.5, win_length=200),
    ]
    for i, kw in enumerate(variants):
        stft_case(w, f"chirp/variant{i}", chirp, **kw)
        stft_case(w, f"white_noise/variant{i}/float32", noise.astype(np.float32), **kw)
    # librosa splits centred padding in head/tail segments; hops over half a frame with
    # reflect padding reflect inside a short tail segment.
    for length in (1024, 1100, 1536, 1537, 2000):
        for mode in ("reflect", "symmetric", "edge", "constant"):
            stft_case(
                w, f"tail/{length}/{mode}", synthetic("harmonic", SR, length), n_fft=512, hop_length=512, pad_mode=mode
            )
            stft_case(
                w,
                f"tail700/{length}/{mode}",
                synthetic("harmonic", SR, length),
                n_fft=512,
                hop_length=700,
                pad_mode=mode,
            )
    for length in (1, 2, 3, 100, 255, 256, 257, 511):
        for mode in ("reflect", "symmetric", "constant"):
            stft_case(
                w, f"short/{length}/{mode}", synthetic("fm_tone", SR, length), n_fft=512, hop_length=128, pad_mode=mode
            )
    stft_case(w, "one_frame/uncentered", synthetic("pink_noise", SR, 512), n_fft=512, center=False)
    stft_case(w, "odd_length", synthetic("am_tone", SR, 2049), n_fft=512)
    stft_case(w, "stereo", shaped("harmonic", SR, 1500, (2,)), n_fft=256)
    stft_case(w, "batched", shaped("chirp", SR, 900, (3, 2)), n_fft=256, hop_length=100)
    stft_case(w, "batched/float32", shaped("chirp", SR, 900, (3, 2), np.float32), n_fft=256, hop_length=100)

    rng = np.random.default_rng(11)
    for dtype in (np.float64, np.float32):
        y = synthetic("music_like", SR, 1500, dtype)
        D = librosa.stft(y, n_fft=512)
        tag = np.dtype(dtype).name
        istft_case(w, f"roundtrip/{tag}", D)
        istft_case(w, f"roundtrip/length/{tag}", D, length=1500)
        istft_case(w, f"roundtrip/longer/{tag}", D, length=1800)
        istft_case(w, f"roundtrip/shorter/{tag}", D, length=1000)
        istft_case(w, f"roundtrip/tiny/{tag}", D, length=50)
        modified = (D * rng.uniform(0, 1, D.shape)).astype(D.dtype)
        istft_case(w, f"masked/{tag}", modified, hop_length=128)
        D2 = librosa.stft(y, n_fft=512, hop_length=100, win_length=300, window="hamming", center=False)
        istft_case(w, f"uncentered/{tag}", D2, hop_length=100, win_length=300, window="hamming", center=False)
        istft_case(
            w,
            f"uncentered/length/{tag}",
            D2,
            hop_length=100,
            win_length=300,
            window="hamming",
            center=False,
            length=1300,
        )
        D3 = librosa.stft(y, n_fft=511)
        istft_case(w, f"odd_nfft/{tag}", D3, n_fft=511)
        D4 = librosa.stft(y, n_fft=256, hop_length=200, window="boxcar")
        istft_case(w, f"boxcar_hop200/{tag}", D4, hop_length=200, window="boxcar")
    Ds = librosa.stft(shaped("harmonic", SR, 900, (3, 2)), n_fft=256)
    istft_case(w, "batched", Ds, length=900)
    istft_case(w, "one_frame", librosa.stft(synthetic("chirp", SR, 512), n_fft=512, center=False)[:, :1], center=False)
    w.close()


def window_fixtures() -> None:
    import scipy.signal

    w = Writer("windows")
    specs = ["hann", "hamming", "blackman", "blackmanharris", "nuttall", "flattop", "boxcar", "ones", "triang",
             "bartlett", "cosine", ("kaiser", 4.0), ("kaiser", 14.0), "hann_symmetric", "hamm"]
    for spec in specs:
        for n in (1, 2, 3, 4, 5, 16, 17, 512, 1000, 2047):
            win = scipy.signal.get_window(spec, n, fftbins=True)
            w.add(
                label=f"{spec}/{n}",
                op="window",
                params={"window": list(spec) if isinstance(spec, tuple) else spec, "n": n},
                arrays={},
                output="window",
                expected=w.save(np.asarray(win, dtype=np.float64)),
                shape=[n],
            )
    w.close()


def _tone_mix(sr: int, n: int, cents: float) -> np.ndarray:
    """A-major triad detuned by ``cents`` plus a little noise (moves the tuning estimate)."""
    t = np.arange(n) / sr
    y = sum(
        a * np.sin(2 * np.pi * f * 2 ** (cents / 1200) * t + a)
        for f, a in ((440.0, 0.5), (554.37, 0.3), (659.26, 0.25))
    )
    return y + 0.01 * np.random.default_rng(7).standard_normal(n)


def cqt_fixtures() -> None:
    """estimate_tuning, cqt and chroma_cqt on short clips (fixtures/cqt, < 2 MB)."""
    w = Writer("cqt")
    n = SR
    clips = {"tones+20c": _tone_mix(SR, n, 20.0), "tones-45c": _tone_mix(SR, n, -45.0),
             "noise": synthetic("white_noise", SR, n), "silence": np.zeros(n)}
    for label, y64 in clips.items():
        for dtype in (np.float64, np.float32):
            y = y64.astype(dtype)
            tag = f"{label}/{np.dtype(dtype).name}"
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tuning = librosa.estimate_tuning(y=y, sr=SR, bins_per_octave=36)
                C = librosa.cqt(y, sr=SR, n_bins=252, bins_per_octave=36, tuning=None)
                chroma = librosa.feature.chroma_cqt(y=y, sr=SR)
            ya = w.save(_wire_signal(y))
            w.add(label=tag, op="estimate_tuning", arrays={"y": ya}, output="tuning", expected=None, shape=[],
                  value=float(tuning),
                  params={"sr": SR, "resolution": 0.01, "bins_per_octave": 36, "fmin": 150.0, "fmax": 4000.0,
                          "threshold": 0.1, "ref": None, "n_fft": 2048, "hop_length": 512, "win_length": 2048,
                          "window": "hann", "center": True, "pad_mode": "constant"})
            if label.startswith("tones"):
                w.add(label=tag, op="cqt", arrays={"y": ya}, output="C", expected=w.save(_wire_spectrum(C)),
                      shape=[C.shape[-1], C.shape[-2], 1],
                      params={"sr": SR, "hop_length": 512, "fmin": None, "n_bins": 252, "bins_per_octave": 36,
                              "tuning": None, "filter_scale": 1.0, "norm": 1.0, "sparsity": 0.01, "window": "hann",
                              "scale": True, "pad_mode": "constant", "res_type": "soxr_hq", "dtype": str(C.dtype)})
            w.add(label=tag, op="chroma_cqt", arrays={"y": ya}, output="chroma",
                  expected=w.save(np.ascontiguousarray(chroma.T[:, :, None])), shape=[chroma.shape[-1], 12, 1],
                  params={"sr": SR, "hop_length": 512, "fmin": None, "norm": {"$float": "inf"},
                          "threshold": 0.0, "tuning": None, "n_chroma": 12, "n_octaves": 7, "bins_per_octave": 36,
                          "dtype": str(chroma.dtype)})
    w.close()


def yin_fixtures() -> None:
    """librosa.yin on short clips (fixtures/yin): both autocorrelation paths, both dtypes, stereo, a pad mode."""
    w = Writer("yin")
    cases = [
        ("chirp float64 (blocks: 2048/512)", synthetic("chirp", SR, 11025), dict(fmin=50, fmax=2000)),
        ("harmonic float32 (blocks)", synthetic("harmonic", SR, 11025, np.float32), dict(fmin=60, fmax=1500)),
        ("noise float64 (one FFT per frame: 3000/128)", synthetic("white_noise", SR, 6000),
         dict(fmin=100, fmax=1000, frame_length=3000, hop_length=128, trough_threshold=0.3)),
        ("fm tone float32 (one FFT per frame: 2048/512 at 44100)", synthetic("fm_tone", 44100, 11025, np.float32),
         dict(fmin=50, fmax=2000, sr=44100)),
        ("stereo sine (2, n) float64, 1024/256 reflect", shaped("harmonic", SR, 8000, (2,)),
         dict(fmin=100, fmax=1000, frame_length=1024, hop_length=256, pad_mode="reflect")),
        ("music_like float64, sr 16000, fmin near its limit", synthetic("music_like", 16000, 8000),
         dict(fmin=16000 / 1022 + 0.01, fmax=8000, sr=16000, frame_length=1024, hop_length=512, trough_threshold=0.05)),
        ("silence float32", synthetic("silence", SR, 4000, np.float32), dict(fmin=60, fmax=1000)),
    ]
    for label, y, kw in cases:
        kw = dict(dict(sr=SR, frame_length=2048, trough_threshold=0.1, center=True, pad_mode="constant"), **kw)
        kw.setdefault("hop_length", kw["frame_length"] // 4)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            f0 = librosa.yin(y, **kw)
            f0_64 = librosa.yin(y.astype(np.float64), **kw) if y.dtype == np.float32 else None
        params = {k: (float(v) if k in ("sr", "fmin", "fmax", "trough_threshold") else v) for k, v in kw.items()}
        entry = dict(label=label, op="yin", params=params, arrays={"y": w.save(_wire_signal(y))}, output="f0",
                     expected=w.save(np.ascontiguousarray(f0.reshape(-1, f0.shape[-1]))),
                     shape=list(f0.reshape(-1, f0.shape[-1]).shape))
        if f0_64 is not None:
            entry["reference64"] = w.save(np.ascontiguousarray(f0_64.reshape(-1, f0_64.shape[-1])))
        w.add(**entry)
    w.close()


if __name__ == "__main__":
    spectrum_fixtures()
    window_fixtures()
    cqt_fixtures()
    yin_fixtures()
