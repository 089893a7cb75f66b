"""Decoding an audio file as ``librosa.load(path, sr=sr)`` does, without librosa.

soundfile first; when libsndfile cannot read the file, audioread (ffmpeg,
GStreamer, ...) if it is installed, as librosa 0.11 does. Channels are averaged
(``mono=True``) and the result resampled with soxr's HQ preset
(``res_type="soxr_hq"``) and fixed to ``ceil(n * sr / native_sr)`` samples.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["DecodeError", "Decoded", "load_audio"]


class DecodeError(RuntimeError):
    """The file could not be decoded by any available decoder."""


@dataclass
class Decoded:
    y: np.ndarray  # float32, mono, at the requested rate
    sr: int
    native_sr: int
    channels: int
    decoder: str


def _soundfile_read(path: str):
    import soundfile as sf

    with sf.SoundFile(path) as f:
        data = f.read(dtype="float32", always_2d=True)
        return data.T, int(f.samplerate)


def _audioread_read(path: str):
    import audioread

    with audioread.audio_open(path) as f:
        native_sr, channels = int(f.samplerate), int(f.channels)
        # librosa's buf_to_float: 16-bit little-endian PCM scaled by 1 / 2**15
        blocks = [np.frombuffer(block, "<i2") for block in f]
    pcm = np.concatenate(blocks) if blocks else np.empty(0, "<i2")
    samples = pcm.astype(np.float32) * np.float32(1.0 / 32768)
    return samples.reshape((-1, channels)).T, native_sr


def _resample(y: np.ndarray, native_sr: int, sr: int) -> np.ndarray:
    """librosa.resample(y, orig_sr=native_sr, target_sr=sr, res_type="soxr_hq") with fix=True."""
    if native_sr == sr:
        return y
    import soxr

    n_samples = int(np.ceil(y.shape[-1] * float(sr) / native_sr))
    y_hat = np.asarray(soxr.resample(y, native_sr, sr, quality="soxr_hq"), dtype=y.dtype)
    if y_hat.shape[-1] > n_samples:
        return y_hat[:n_samples]
    return np.pad(y_hat, (0, n_samples - y_hat.shape[-1]))


def load_audio(path: str, sr: int) -> Decoded:
    """Decode ``path`` to mono float32 at ``sr`` Hz, as ``librosa.load(path, sr=sr)``."""
    try:
        data, native_sr = _soundfile_read(path)
        decoder = "soundfile"
    except Exception as sf_error:  # libsndfile could not open or read it
        try:
            import audioread  # noqa: F401  (optional: the fallback exists only when installed)
        except ImportError:
            raise DecodeError(f"soundfile: {sf_error}") from None
        try:
            data, native_sr = _audioread_read(path)
            decoder = "audioread"
        except Exception as ar_error:
            reason = f"{type(ar_error).__name__}: {ar_error}" if str(ar_error) else type(ar_error).__name__
            raise DecodeError(f"soundfile: {sf_error}; audioread: {reason}") from None
    if data.shape[-1] == 0:
        raise DecodeError("the file holds no audio samples")
    mono = np.mean(data, axis=0, dtype=np.float32) if data.shape[0] > 1 else data[0]
    if not np.all(np.isfinite(mono)):
        raise DecodeError("decoded audio holds non-finite samples")
    y = _resample(np.ascontiguousarray(mono), native_sr, sr)
    return Decoded(y=y, sr=sr, native_sr=native_sr, channels=int(data.shape[0]), decoder=decoder)
