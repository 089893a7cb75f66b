"""Per-track figures (PNG) and the ``index.html`` that shows them with the table.

Drawn with matplotlib alone, after ``librosa.display``'s conventions: time in
seconds, frequency on a log axis (Hz at the left, note names at the right),
chroma rows named by pitch class, magnitudes in dB relative to the peak.
"""
from __future__ import annotations

import html
import io
import os
from collections.abc import Iterable, Mapping

import numpy as np

from .key import PITCH_CLASSES

__all__ = ["render_track_png", "write_index_html"]

DISPLAY_N_FFT = 2048
DISPLAY_HOP = 2048  # a coarse grid is enough for a picture and keeps the spectrogram small
MAX_COLUMNS = 1600
LOG_ROWS = 360
FREQ_MIN = 32.703195662574764  # C1
TOP_DB = 80.0


def _note_name(hz: float) -> str:
    midi = int(round(69 + 12 * np.log2(hz / 440.0)))
    return f"{PITCH_CLASSES[midi % 12]}{midi // 12 - 1}"


def _pool_columns(values: np.ndarray, reduce=np.mean) -> np.ndarray:
    """At most MAX_COLUMNS columns, each reducing a run of neighbours."""
    n = values.shape[-1]
    if n <= MAX_COLUMNS:
        return values
    step = int(np.ceil(n / MAX_COLUMNS))
    pad = (-n) % step
    if pad:
        values = np.concatenate([values, np.repeat(values[..., -1:], pad, axis=-1)], axis=-1)
    return reduce(values.reshape(values.shape[:-1] + (-1, step)), axis=-1)


def _log_edges(sr: int) -> np.ndarray:
    """Edges of LOG_ROWS log-spaced frequency rows from C1 to Nyquist."""
    return np.geomspace(FREQ_MIN, sr / 2, LOG_ROWS + 1)


def _log_frequency_db(y: np.ndarray, sr: int) -> np.ndarray:
    """|STFT|^2 interpolated at the centres of the log-spaced rows, in dB relative to the peak (floor -TOP_DB)."""
    import auralis_dsp

    power = np.abs(auralis_dsp.stft(y, n_fft=DISPLAY_N_FFT, hop_length=DISPLAY_HOP)) ** 2
    power = _pool_columns(power)
    bin_hz = sr / DISPLAY_N_FFT
    edges = _log_edges(sr)
    targets = np.sqrt(edges[:-1] * edges[1:]) / bin_hz
    low = np.clip(np.floor(targets).astype(int), 0, power.shape[0] - 2)
    frac = (targets - low)[:, None]
    rows = power[low] * (1 - frac) + power[low + 1] * frac
    ref = rows.max() if rows.size and rows.max() > 0 else 1.0
    db = 10 * np.log10(np.maximum(rows, 1e-10) / ref)
    return np.maximum(db, -TOP_DB)


def _log_frequency_axis(ax, sr: int) -> None:
    ax.set_yscale("log")
    ax.set_ylim(FREQ_MIN, sr / 2)
    ax.set_ylabel("Hz")
    notes = [FREQ_MIN * 2**k for k in range(10) if FREQ_MIN * 2**k <= sr / 2]
    right = ax.secondary_yaxis("right")
    right.set_yticks(notes)
    right.set_yticklabels([_note_name(f) for f in notes])
    right.minorticks_off()


def render_track_png(
    title: str, sr: int, duration_s: float, frames: Mapping[str, np.ndarray], y_harmonic: np.ndarray,
    y_percussive: np.ndarray,
) -> bytes:
    """Chromagram; harmonic spectrogram with the f0 curve; percussive spectrogram. PNG bytes."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(12, 10), dpi=90, layout="constrained")
    axes = fig.subplots(3, 1, sharex=True)
    extent_t = (0.0, duration_s)

    chroma = _pool_columns(np.asarray(frames["chroma"], dtype=np.float64))
    image = axes[0].imshow(chroma, origin="lower", aspect="auto", cmap="magma", vmin=0, vmax=1,
                           extent=(*extent_t, -0.5, chroma.shape[0] - 0.5), interpolation="nearest")
    axes[0].set_yticks(range(12))
    axes[0].set_yticklabels(PITCH_CLASSES)
    axes[0].set_ylabel("Pitch class")
    axes[0].set_title(f"{title}: chroma_cqt")
    fig.colorbar(image, ax=axes[0], pad=0.01)

    for ax, signal, name in ((axes[1], y_harmonic, "harmonic"), (axes[2], y_percussive, "percussive")):
        db = _log_frequency_db(signal, sr)
        times = np.linspace(0, duration_s, db.shape[1] + 1)
        mesh = ax.pcolormesh(
            times, _log_edges(sr), db, shading="flat", cmap="magma", vmin=-TOP_DB, vmax=0, rasterized=True
        )
        _log_frequency_axis(ax, sr)
        ax.set_title(f"{name} spectrogram (dB)")
        fig.colorbar(mesh, ax=ax, pad=0.06, format="%+.0f dB")
    f0 = np.asarray(frames["f0"], dtype=np.float64)
    if "voiced_flag" in frames:
        f0 = np.where(frames["voiced_flag"], f0, np.nan)
    axes[1].plot(frames["times"], f0, color="cyan", linewidth=0.8, label="f0")
    axes[1].legend(loc="upper right")
    axes[1].set_title("harmonic spectrogram (dB) and f0")
    axes[2].set_xlabel("Time (s)")
    axes[2].set_xlim(*extent_t)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


_COLUMNS = (
    ("status", "status"), ("duration_s", "duration (s)"), ("key", "key"), ("key_strength", "key r"),
    ("tuning", "tuning"), ("f0_method", "f0"), ("f0_median_hz", "f0 median (Hz)"),
    ("f0_spread_semitones", "f0 IQR (st)"), ("voiced_share", "voiced"),
    ("harmonic_percussive_ratio", "H/P energy"), ("error", "error"),
)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return "" if np.isnan(value) else f"{value:.3g}"
    return html.escape(str(value))


def write_index_html(path: str, rows: Iterable[dict], png_names: Mapping[str, str | None]) -> None:
    """A page with one table row per track and, below each, its figure (when there is one)."""
    out = [
        "<!doctype html><meta charset='utf-8'><title>auralis-dsp features</title>",
        "<style>body{font-family:sans-serif}table{border-collapse:collapse}td,th{border:1px solid #ccc;"
        "padding:2px 6px;font-size:13px}tr.error td{background:#fee}img{max-width:100%}</style>",
        "<h1>auralis-dsp features</h1><table><tr><th>track</th>",
        "".join(f"<th>{html.escape(label)}</th>" for _, label in _COLUMNS), "</tr>",
    ]
    figures = []
    for row in rows:
        name = png_names.get(row["path"])
        anchor = html.escape(os.path.basename(row["path"]))
        link = f"<a href='#{html.escape(name)}'>{anchor}</a>" if name else anchor
        css = " class='error'" if row.get("status") != "ok" else ""
        out.append(f"<tr{css}><td title='{html.escape(row['path'])}'>{link}</td>")
        out.append("".join(f"<td>{_cell(row.get(column))}</td>" for column, _ in _COLUMNS) + "</tr>")
        if name:
            figures.append(f"<h2 id='{html.escape(name)}'>{html.escape(row['path'])}</h2>"
                           f"<img src='{html.escape(name)}' loading='lazy' alt='{anchor}'>")
    out.append("</table>")
    out.extend(figures)
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(out))
