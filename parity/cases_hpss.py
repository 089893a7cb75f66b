"""Parity cases for effects.hpss / harmonic / percussive and decompose.hpss."""
from __future__ import annotations

import warnings
from collections.abc import Iterator

import librosa
import numpy as np
import scipy.ndimage

import auralis_dsp

from .core import Case, Inputs, fft_variant, register
from .signals import shaped, synthetic

_SCIPY_MEDIAN_FILTER = scipy.ndimage.median_filter


def _quiet(fn, *args, **kw):
    def call():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn(*args, **kw)

    return call


def _pair(v):
    return (v[0], v[1]) if isinstance(v, (tuple, list)) else (v, v)


def _scipy_reads_outside(size: int, n: int) -> bool:
    """scipy.ndimage.median_filter (1.17) indexes outside a line of n > 1 samples when size // 2 >= 4 n."""
    return n > 1 and size // 2 >= 4 * n


def _median_filter_mended(S, size, mode="reflect", output=None):
    """scipy's median_filter with mode="reflect", padding explicitly (numpy's "symmetric" is scipy's "reflect")."""
    pads = [(s // 2, s - 1 - s // 2) for s in size]
    padded = np.pad(S, pads, mode="symmetric")
    out = _SCIPY_MEDIAN_FILTER(padded, size=size, mode="constant")
    out = out[tuple(slice(a, a + n) for (a, _), n in zip(pads, S.shape))]
    if output is None:
        return out
    output[...] = out
    return output


def _mended(fn, *args, **kw):
    """librosa ``fn`` with decompose.hpss's median filter mended (see _median_filter_mended).

    librosa 0.11 binds ``median_filter`` at import in ``librosa.decompose``;
    librosa 1.0 imports it from ``scipy.ndimage`` inside ``hpss``: both names are replaced for the call.
    """
    def call():
        import librosa.decompose as decompose
        import scipy.ndimage

        targets = [m for m in (scipy.ndimage, decompose) if hasattr(m, "median_filter")]
        saved = [(m, m.median_filter) for m in targets]
        for m in targets:
            m.median_filter = _median_filter_mended
        try:
            return _quiet(fn, *args, **kw)()
        finally:
            for m, original in saved:
                m.median_filter = original

    return call


def _unreliable(n: int, kw: dict) -> str | None:
    n_fft = kw.get("n_fft", 2048)
    hop = kw.get("hop_length") or n_fft // 4
    frames = 1 + n // hop if kw.get("center", True) else 1 + (n - n_fft) // hop
    win_harm, win_perc = _pair(kw.get("kernel_size", 31))
    if _scipy_reads_outside(win_harm, frames) or _scipy_reads_outside(win_perc, 1 + n_fft // 2):
        return f"scipy median_filter reads outside a {frames}-frame spectrogram with kernel {win_harm}"
    return None


EFFECTS_PARAMS = [
    {},
    {"kernel_size": (31, 7), "margin": (1.5, 3.0)},
    {"kernel_size": 17, "power": 1.0, "margin": 2.0},
    {"kernel_size": 64, "power": np.inf},
    {"kernel_size": 2, "n_fft": 1024, "hop_length": 256},
    {"kernel_size": 1},
    {"n_fft": 4096, "mask": True},
]


@register("effects.hpss")
def effects_cases(inputs: Inputs) -> Iterator[Case]:
    params = EFFECTS_PARAMS[:3] if inputs.quick else EFFECTS_PARAMS
    for clip in inputs.clips():
        for dtype in (np.float64, np.float32):
            y = clip.y.astype(dtype)
            for kw in params if clip.label.startswith("synthetic/") and "n=" not in clip.label else params[:2]:
                tag = ",".join(f"{k}={v}" for k, v in kw.items()) or "defaults"
                yield Case(
                    "effects.hpss",
                    f"{clip.label} [{tag}]",
                    np.dtype(dtype).name,
                    "signal",
                    _quiet(librosa.effects.hpss, y, **kw),
                    _quiet(auralis_dsp.effects.hpss, y, **kw),
                    reference64=_quiet(librosa.effects.hpss, clip.y, **kw),
                    output_names=("harmonic", "percussive"),
                    unreliable_reference=_unreliable(y.shape[-1], kw),
                    corrected_reference=_mended(librosa.effects.hpss, y, **kw)
                    if _unreliable(y.shape[-1], kw)
                    else None,
                    # mask=True inverts the masks themselves, which at bins of round-off size are noise;
                    # hard masks (power=inf) jump where the two medians tie up to round-off
                    reference_alt=(
                        fft_variant(_quiet(librosa.effects.hpss, y, **kw))
                        if kw.get("mask") or np.isinf(kw.get("power", 2.0))
                        else None
                    ),
                )
    # windows other than Hann: librosa 1.0 passes `window` to its stft/istft, 0.11 ignores it
    for name in ("music_like", "chirp", "white_noise"):
        for window in ("boxcar", "hamming", ("kaiser", 8.0)):
            for dtype in (np.float64, np.float32):
                y = synthetic(name, 22050, 30000, dtype)
                yield Case(
                    "effects.hpss",
                    f"synthetic/{name} [window={window}]",
                    np.dtype(dtype).name,
                    "signal",
                    _quiet(librosa.effects.hpss, y, window=window),
                    _quiet(auralis_dsp.effects.hpss, y, window=window),
                    reference64=_quiet(librosa.effects.hpss, y.astype(np.float64), window=window),
                    output_names=("harmonic", "percussive"),
                )
    for n in (300, 1000, 1536):
        y = synthetic("white_noise", 22050, n)
        yield Case("effects.hpss", f"synthetic/white_noise n={n}", "float64", "signal",
                   _quiet(librosa.effects.hpss, y), _quiet(auralis_dsp.effects.hpss, y),
                   output_names=("harmonic", "percussive"), unreliable_reference=_unreliable(n, {}),
                   corrected_reference=_mended(librosa.effects.hpss, y) if _unreliable(n, {}) else None)
    for lead in ((2,), (3, 2)):
        for dtype in (np.float64, np.float32):
            y = shaped("music_like", 22050, 40000, lead, dtype)
            yield Case("effects.hpss", f"synthetic/music_like {lead}", np.dtype(dtype).name, "signal",
                       _quiet(librosa.effects.hpss, y), _quiet(auralis_dsp.effects.hpss, y),
                       reference64=_quiet(librosa.effects.hpss, y.astype(np.float64)),
                       output_names=("harmonic", "percussive"))
    y = synthetic("music_like", 22050, 30000)
    for name in ("harmonic", "percussive"):
        yield Case(f"effects.{name}", "synthetic/music_like [margin=2.0]", "float64", "signal",
                   _quiet(getattr(librosa.effects, name), y, margin=2.0),
                   _quiet(getattr(auralis_dsp.effects, name), y, margin=2.0))


DECOMPOSE_PARAMS = [
    ({}, "signal"),
    ({"kernel_size": (31, 7), "margin": (1.5, 3.0)}, "signal"),
    ({"power": np.inf}, "signal"),
    ({"mask": True}, "mask"),
    ({"mask": True, "margin": 2.0, "power": 1.0}, "mask"),
]


@register("decompose.hpss")
def decompose_cases(inputs: Inputs) -> Iterator[Case]:
    for clip in list(inputs.clips())[:4 if inputs.quick else None]:
        if clip.y.shape[-1] < 4096:
            continue
        for dtype in (np.float64, np.float32):
            D = librosa.stft(clip.y.astype(dtype))
            for source, S in (("complex", D), ("magnitude", np.abs(D))):
                for kw, kind in DECOMPOSE_PARAMS if source == "complex" else DECOMPOSE_PARAMS[:2]:
                    tag = ",".join(f"{k}={v}" for k, v in kw.items()) or "defaults"
                    yield Case("decompose.hpss", f"{clip.label} {source} [{tag}]", np.dtype(dtype).name, kind,
                               _quiet(librosa.decompose.hpss, S, **kw), _quiet(auralis_dsp.decompose.hpss, S, **kw),
                               output_names=("harmonic", "percussive"))
