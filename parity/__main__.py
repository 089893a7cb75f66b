"""Run the parity harness.

    .venv/bin/python -m parity [--audio DIR] [--only stft,istft] [--quick] [--sr 22050]

Prints, per function and input: both metrics of docs/parity.md, the worst
location, librosa's time, ours and the ratio; exits 1 on any breach.
"""
from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import numpy as np

from .core import Clip, Inputs, Row, registered, run_case
from .signals import SYNTHETIC, synthetic

AUDIO_EXTENSIONS = {".wav", ".ogg", ".opus", ".flac", ".mp3", ".oga", ".aiff", ".aif"}


def synthetic_clips(sr: int, quick: bool) -> list[Clip]:
    clips = []
    names = ["white_noise", "chirp", "harmonic", "impulse", "silence"] if quick else list(SYNTHETIC)
    for name in names:
        clips.append(Clip(f"synthetic/{name}", synthetic(name, sr, int(1.5 * sr)), sr))
    for n in ((1000, 2048, 22051) if not quick else (1000,)):
        clips.append(Clip(f"synthetic/chirp n={n}", synthetic("chirp", sr, n), sr))
    return clips


def audio_clips(folder: str, sr: int, seconds: float) -> list[Clip]:
    import librosa

    clips = []
    for path in sorted(Path(folder).rglob("*")):
        if path.suffix.lower() in AUDIO_EXTENSIONS and path.is_file():
            y, _ = librosa.load(path, sr=sr, mono=True, duration=seconds)
            clips.append(Clip(f"audio/{path.name}", y.astype(np.float64), sr))
    return clips


def print_rows(rows: list[Row]) -> None:
    for r in rows:
        status = "ok" if r.ok else "BREACH"
        print(f"{r.function:<12} {r.dtype:<8} {r.output:<10} rel_l2={r.rel_l2:9.2e} scaled_max={r.scaled_max:9.2e} "
              f"worst={r.worst:<16} librosa={r.t_librosa * 1e3:8.1f}ms ours={r.t_ours * 1e3:8.1f}ms "
              f"x{r.ratio:6.2f} {status:<6} {r.label}" + (f"  [{r.note}]" if r.note else ""), flush=True)


def print_summary(rows: list[Row]) -> None:
    """A Markdown table per function and dtype: worst metrics, median speed ratio, breaches, findings."""
    print(
        "\n| function | dtype | comparisons | worst rel L2 | worst scaled max | worst max abs | median ratio | "
        "breaches | findings |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    groups: dict = {}
    for r in rows:
        groups.setdefault((r.function, r.dtype), []).append(r)
    for (function, dtype), rs in groups.items():
        plain = [r for r in rs if not r.note.startswith("FINDING")]
        worst = {attr: max((getattr(r, attr) for r in plain), default=float("nan"))
                 for attr in ("rel_l2", "scaled_max", "max_abs")}
        ratios = sorted(r.ratio for r in rs if r.t_ours == r.t_ours)
        median = ratios[len(ratios) // 2] if ratios else float("nan")
        print(f"| {function} | {dtype} | {len(rs)} | {worst['rel_l2']:.1e} | {worst['scaled_max']:.1e} | "
              f"{worst['max_abs']:.1e} | {median:.2f}x | {sum(not r.ok for r in rs)} | "
              f"{sum(r.ok and r.note.startswith('FINDING') for r in rs)} |")
    print("(worst values over comparisons without a finding note; findings are listed in their rows)\n")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m parity", description=__doc__.split("\n\n")[0])
    ap.add_argument("--audio", help="a folder of audio files to add to the synthetic set")
    ap.add_argument("--seconds", type=float, default=30.0, help="seconds loaded from each audio file")
    ap.add_argument("--only", help="comma-separated function names")
    ap.add_argument("--quick", action="store_true", help="fewer inputs and parameter sets")
    ap.add_argument("--sr", type=int, default=22050)
    args = ap.parse_args(argv)

    import librosa
    import scipy

    import auralis_dsp

    print(f"# parity: librosa {librosa.__version__}, numpy {np.__version__}, scipy {scipy.__version__}, "
          f"auralis_dsp {auralis_dsp.__version__}, python {platform.python_version()}")
    inputs = Inputs(synthetic_clips(args.sr, args.quick),
                    audio_clips(args.audio, args.sr, args.seconds) if args.audio else [], args.quick)
    functions = registered()
    wanted = args.only.split(",") if args.only else list(functions)
    unknown = [w for w in wanted if w not in functions]
    if unknown:
        print(f"unknown function(s) {unknown}; registered: {sorted(functions)}", file=sys.stderr)
        return 2
    rows: list[Row] = []
    t0 = time.perf_counter()
    for name in wanted:
        for case in functions[name](inputs):
            case_rows = run_case(case)
            print_rows(case_rows)
            rows.extend(case_rows)
    print_summary(rows)
    breaches = [r for r in rows if not r.ok]
    findings = [r for r in rows if r.ok and r.note.startswith("FINDING")]
    print(f"# {len(rows)} comparisons, {len(breaches)} breaches, {len(findings)} findings, "
          f"{time.perf_counter() - t0:.1f} s")
    for r in breaches:
        print(f"# BREACH {r.function} {r.dtype} {r.output} {r.label}: rel_l2={r.rel_l2:.2e} "
              f"scaled_max={r.scaled_max:.2e} max_abs={r.max_abs:.2e} {r.note}")
    return 1 if breaches else 0


if __name__ == "__main__":
    sys.exit(main())
