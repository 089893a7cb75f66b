"""Soak test: does memory stay flat when a long-running analyzer calls the shims in a loop?

    .venv/bin/python scripts/soak.py [--calls 2000] [--warmup 200] [--only hpss,yin] [--modes fixed,varied]

Each shim runs in a fresh Python process (so a fresh Node server) on 1 s clips:
- ``fixed``: the same parameters every call (the fingerprinting loop);
- ``varied``: parameters drawn per call from wide pools (n_fft of any size,
  hops, fmin, bins per octave, windows...), so per-parameter caches see
  hundreds of distinct keys; an unbounded cache grows with every call.
After ``--warmup`` untimed calls, the RSS of Python and of the Node server is
sampled every ``--sample-every`` calls. Reported per shim and mode: RSS after
warm-up, growth over the measured calls, and the least-squares slope in KB
per call, and the server's RSS once ``auralis_dsp.clear_caches()`` has run
("cleared"). The target (issue 17): growth < 5 % or < 20 MB after warm-up.
scripts/soak_pyodide.py is the same loop inside Pyodide.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any, Callable

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("AURALIS_DSP_DEBUG_OPS", "1")  # the memory op
SR = 22050
TARGET_FRACTION = 0.05
TARGET_MB = 20.0


def rss_mb(pid: Any = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def clip(seed: int, seconds: float = 1.0) -> np.ndarray:
    """A pitched tone with noise and clicks: every shim finds something in it."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    f0 = 110 * 2 ** rng.uniform(0, 3)
    y = 0.5 * np.sin(2 * np.pi * f0 * t) + 0.2 * np.sin(2 * np.pi * 2.01 * f0 * t) + 0.05 * rng.standard_normal(t.size)
    y[:: SR // 8] += 0.8
    return y.astype(np.float32)


WINDOWS = ["hann", "hamming", "blackman", "triang", ("kaiser", 8.0)]


def pick(i: int) -> np.random.Generator:
    """The parameter draws of call i (the same in every process)."""
    return np.random.default_rng(1_000_003 * i + 17)


def stft_params(mode: str, i: int) -> dict:
    if mode != "varied":
        return {"n_fft": 2048, "hop_length": 512}
    r = pick(i)
    n_fft = int(r.integers(128, 4097))  # any size: powers of two, mixed radix and Bluestein alike
    return {
        "n_fft": n_fft,
        "hop_length": int(r.integers(16, n_fft // 2 + 1)),
        "window": WINDOWS[int(r.integers(len(WINDOWS)))],
    }


def top_fmin(r: np.random.Generator, octaves: int) -> float:
    """An fmin in [30, 90] Hz whose top octave stays below Nyquist (with room for the filters' bandwidth)."""
    return float(r.uniform(30.0, min(90.0, 0.8 * SR / 2 / 2**octaves)))


def calls(lib: Any, mode: str) -> dict[str, Callable[[int, np.ndarray], Any]]:
    """shim name -> f(i, y) making call i on clip y; `varied` draws the parameters from call i."""
    varied = mode == "varied"

    def stft_kw(i: int) -> dict:
        return stft_params(mode, i)

    def cqt_kw(i: int) -> dict:
        if not varied:
            return {}
        r = pick(i)
        bpo = int(r.choice([12, 24, 36]))
        octaves = int(r.integers(3, 8))
        return {"fmin": top_fmin(r, octaves), "bins_per_octave": bpo, "n_bins": bpo * octaves,
                "hop_length": int(2 ** (octaves - 1) * r.integers(2, 9))}

    def hpss(i: int, y: np.ndarray) -> Any:
        if not varied:
            return lib.effects.hpss(y)
        r = pick(i)
        kw = stft_kw(i)
        kw.pop("window")
        return lib.effects.hpss(
            y, kernel_size=(int(r.integers(3, 40)), int(r.integers(3, 40))), margin=float(r.uniform(1, 3)), **kw
        )

    def yin(i: int, y: np.ndarray) -> Any:
        if not varied:
            return lib.yin(y, fmin=50, fmax=2000, sr=SR)
        r = pick(i)
        fmin = float(r.uniform(40, 120))
        frame = int(r.integers(max(512, int(np.ceil(SR / fmin)) + 2), 4097))  # a period of fmin must fit in a frame
        return lib.yin(y, fmin=fmin, fmax=float(r.uniform(800, 4000)), sr=SR, frame_length=frame,
                       hop_length=int(r.integers(64, frame // 2 + 1)))

    def chroma_cqt(i: int, y: np.ndarray) -> Any:
        if not varied:
            return lib.feature.chroma_cqt(y=y, sr=SR)
        r = pick(i)
        octaves = int(r.integers(3, 8))
        return lib.feature.chroma_cqt(
            y=y,
            sr=SR,
            fmin=top_fmin(r, octaves),
            n_octaves=octaves,
            bins_per_octave=int(r.choice([12, 24, 36])),
            hop_length=int(2 ** (octaves - 1) * r.integers(2, 9)),
        )

    def chroma_stft(i: int, y: np.ndarray) -> Any:
        kw = stft_kw(i)
        if varied:
            kw["n_chroma"] = int(pick(i).choice([12, 24, 36]))
        return lib.feature.chroma_stft(y=y, sr=SR, **kw)

    def estimate_tuning(i: int, y: np.ndarray) -> Any:
        kw = {"n_fft": stft_kw(i)["n_fft"]} if varied else {}
        if varied:
            kw["bins_per_octave"] = int(pick(i).choice([12, 24, 36]))
        return lib.estimate_tuning(y=y, sr=SR, **kw)

    table = {
        "stft": lambda i, y: lib.stft(y, **stft_kw(i)),
        # A fresh spectrum per call: the parameters vary with i (stft alone is soaked on its own).
        "istft": lambda i, y: lib.istft(lib.stft(y, **stft_kw(i)), **stft_kw(i)),
        "hpss": hpss,
        "yin": yin,
        "cqt": lambda i, y: lib.cqt(y, sr=SR, **cqt_kw(i)),
        "chroma_cqt": chroma_cqt,
        "chroma_stft": chroma_stft,
        "estimate_tuning": estimate_tuning,
    }
    if hasattr(lib, "pyin"):
        def pyin(i: int, y: np.ndarray) -> Any:
            if not varied:
                return lib.pyin(y, fmin=65, fmax=2093, sr=SR)
            r = pick(i)
            return lib.pyin(y, fmin=float(r.uniform(40, 120)), fmax=float(r.uniform(800, 3000)), sr=SR,
                            frame_length=int(r.choice([1024, 2048, 4096])))

        table["pyin"] = pyin
    return table


def node_pid() -> int:
    from auralis_dsp._backend import node

    return node.server_pid()


def soak(fn: Callable[[int, np.ndarray], Any], n_calls: int, warmup: int, every: int,
         probes: dict[str, Callable[[], float]], clear: Callable[[], Any]) -> dict:
    """Calls fn(i, clip) warmup + n_calls times, sampling every probe (MB); summaries per probe.

    After the last call, `clear` (auralis_dsp.clear_caches) runs and the probes are read once more.
    """
    clips = [clip(seed) for seed in range(8)]
    before = {name: probe() for name, probe in probes.items()}
    for i in range(warmup):
        fn(i, clips[i % len(clips)])
    ks: list[int] = []
    values: dict[str, list[float]] = {name: [] for name in probes}
    started = time.perf_counter()
    for k in range(n_calls + 1):
        if k % every == 0 or k == n_calls:
            ks.append(k)
            for name, probe in probes.items():
                values[name].append(probe())
        if k < n_calls:
            i = warmup + k
            fn(i, clips[i % len(clips)])
    seconds = time.perf_counter() - started
    clear()
    time.sleep(1.0)  # the workers clear and collect on their own threads
    cleared = {name: probe() for name, probe in probes.items()}

    def summary(name: str) -> dict:
        v = np.array(values[name])
        x = np.array(ks, dtype=float)
        slope = float(np.polyfit(x, v, 1)[0]) if len(ks) > 1 else float("nan")
        # The second half alone tells a plateau (caches filled, allocator settled) from a leak.
        half = len(ks) // 2
        late = float(np.polyfit(x[half:], v[half:], 1)[0]) if len(ks) - half > 1 else float("nan")
        growth = float(v[-1] - v[0])
        return {
            "before_warmup_mb": round(before[name], 1),
            "after_warmup_mb": round(float(v[0]), 1),
            "end_mb": round(float(v[-1]), 1),
            "growth_mb": round(growth, 1),
            "growth_pct": round(100 * growth / v[0], 2),
            "peak_mb": round(float(v.max()), 1),
            "slope_kb_per_call": round(1024 * slope, 3),
            "late_slope_kb_per_call": round(1024 * late, 3),
            "after_clear_mb": round(cleared[name], 1),
            "ok": bool(growth < TARGET_MB or growth < TARGET_FRACTION * v[0]),
        }

    return {"calls": n_calls, "warmup": warmup, "ms_per_call": round(1000 * seconds / n_calls, 2),
            **{name: summary(name) for name in probes}}


def run_child(shim: str, mode: str, n_calls: int, warmup: int, every: int, baseline: bool = False) -> dict:
    warnings.simplefilter("ignore")
    import auralis_dsp as lib

    if baseline:  # the server as started before issue 17's runtime settings: the "before" figures
        from auralis_dsp._backend import node

        node._SERVER_NODE_FLAGS = ()
        node._SERVER_MALLOC_ENV = {}

    pid = node_pid()
    probes = {"node": lambda: rss_mb(pid), "python": rss_mb}
    clear = getattr(lib, "clear_caches", lambda: None)  # absent before issue 17: the "before" figures
    result = {"shim": shim, "mode": mode, **soak(calls(lib, mode)[shim], n_calls, warmup, every, probes, clear)}
    from auralis_dsp import _backend

    # What the server's own thread still holds after clear_caches (caches, kernel memories, arena):
    # 0 when all is given back.
    meta, _ = _backend.call("memory", {"collect": True}, {})
    result["retained_after_clear_bytes"] = int(
        meta["cache_bytes"] + sum(meta["kernel_memory_bytes"].values()) + meta["arena_bytes"]
    )
    return result


def markdown_table(results: list[dict], header: str) -> str:
    """The rows as a Markdown table for docs/benchmarks.md (Soak): growth after warm-up, slopes, verdict."""
    lines = [
        header,
        "",
        "| shim | params | ms/call | Node MB after warm-up | Node growth MB (%) | Node KB/call (2nd half) | Node MB "
        "after clear_caches | Python growth MB | Python KB/call | < 5 % or 20 MB |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in results:
        n, p = r["node"], r["python"]
        lines.append(
            f"| {r['shim']} | {r['mode']} | {r['ms_per_call']:.1f} | {n['after_warmup_mb']:.1f} | "
            f"{n['growth_mb']:+.1f} ({n['growth_pct']:+.1f} %) | "
            f"{n['slope_kb_per_call']:.1f} ({n['late_slope_kb_per_call']:.1f}) | {n['after_clear_mb']:.1f} | "
            f"{p['growth_mb']:+.1f} | {p['slope_kb_per_call']:.2f} | "
            f"{'yes' if n['ok'] and p['ok'] else '**no**'} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--sample-every", type=int, default=50)
    parser.add_argument("--only", default="", help="comma-separated shims (default: all)")
    parser.add_argument("--modes", default="fixed,varied")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--markdown", type=Path, help="also write the table for docs/benchmarks.md here")
    parser.add_argument(
        "--baseline",
        action="store_true",
        help="start the server without issue 17's runtime settings (the 'before' figures)",
    )
    parser.add_argument("--child", nargs=2, metavar=("SHIM", "MODE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(
            json.dumps(
                run_child(args.child[0], args.child[1], args.calls, args.warmup, args.sample_every, args.baseline)
            )
        )
        return

    import auralis_dsp

    shims = [s for s in args.only.split(",") if s] or list(calls(auralis_dsp, "fixed"))
    load_before = Path('/proc/loadavg').read_text().split()[:3]
    print(
        f"loadavg {load_before}; {args.warmup} warm-up + {args.calls} calls, 1 s clips at {SR} "
        f"Hz{' (baseline server settings)' if args.baseline else ''}"
    )
    print(
        f"{'shim':16} {'mode':7} {'ms/call':>8} | {'node MB':>8} {'+MB':>7} {'%':>6} {'KB/call':>8} {'late':>6} "
        f"{'cleared':>7} | {'py MB':>7} {'+MB':>6} {'KB/call':>8} | ok"
    )
    results = []
    for shim in shims:
        for mode in args.modes.split(","):
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--child",
                    shim,
                    mode,
                    "--calls",
                    str(args.calls),
                    "--warmup",
                    str(args.warmup),
                    "--sample-every",
                    str(args.sample_every),
                    *(["--baseline"] if args.baseline else []),
                ],
                capture_output=True,
                text=True,
            )
            if out.returncode != 0:
                print(f"{shim:16} {mode:7} FAILED: {out.stderr.strip().splitlines()[-1:]}")
                continue
            r = json.loads(out.stdout.strip().splitlines()[-1])
            results.append(r)
            n, p = r["node"], r["python"]
            print(
                f"{shim:16} {mode:7} {r['ms_per_call']:8.1f} | {n['after_warmup_mb']:8.1f} {n['growth_mb']:7.1f} "
                f"{n['growth_pct']:6.1f} "
                f"{n['slope_kb_per_call']:8.2f} {n['late_slope_kb_per_call']:6.2f} {n['after_clear_mb']:7.1f} | "
                f"{p['after_warmup_mb']:7.1f} {p['growth_mb']:6.1f} {p['slope_kb_per_call']:8.2f} | "
                f"{'yes' if n['ok'] and p['ok'] else 'NO'}",
                flush=True,
            )
    load_after = Path('/proc/loadavg').read_text().split()[:3]
    print(
        f"loadavg {load_after}; ok: {sum(r['node']['ok'] and r['python']['ok'] for r in results)} of {len(results)} "
        "rows"
    )
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    if args.markdown:
        args.markdown.write_text(
            markdown_table(
                results,
                f"CPython, {args.warmup} warm-up + {args.calls} calls per row, fresh server per row, load average "
                f"{' '.join(load_before)} -> "
                f"{' '.join(load_after)}{' (baseline server settings)' if args.baseline else ''}:",
            )
        )


if __name__ == "__main__":
    main()
