"""Where one call's time goes: a per-call cost breakdown of every shim, and the tiny-call round trip.

    .venv/bin/python scripts/bench_bridge.py [--seconds 1,5,30,180] [--only stft,yin] [--repeat 5]
                                             [--roundtrip-calls 2000] [--librosa]
    .venv/bin/python scripts/bench_bridge.py --compare-server OLD/server.mjs [--only stft,istft] [--repeat 5]

For each shim and clip length it times ``--repeat`` warm calls (after 2 untimed
ones) and splits each call, by timestamps taken around the bridge's own steps
(the functions are wrapped here; the library is not changed), into:

- prep: the shim's Python work before ``_backend.call`` (validation, params, wire arrays);
- encode: the request header (JSON) and frame parts;
- write: the request's bytes into the pipe (``os.writev``; blocks while the server reads);
- server: from the last request byte written to the reply's first byte, minus the op
  (Node reading and parsing the frame, queueing, the reply's encoding and its first write);
- op: ``meta.op_ms``, the op as the server times it (worker dispatch and kernels);
- read: the reply's header and arrays out of the pipe into numpy arrays (views of the
  shared-memory segment for large arrays: the server's copy into it then counts in
  "server", or in "op" where the op's workers write it, as stft's do);
- post: the shim's work after ``_backend.call`` (reshaping, dtype casts, numpy views).

Medians per column (so the columns need not add up to the total's median).
``--librosa`` adds librosa's median for the same call (alternating with ours).
The round trip is ``ping`` (no params, no arrays) through the whole client:
``roundtrip_ms()`` returns (p50, p99) in ms, for scripts/bench.py.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import warnings
from pathlib import Path
from typing import Callable

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("AURALIS_DSP_DEBUG_OPS", "1")  # ping, the round trip and the health check
sys.path.insert(0, str(ROOT / "python"))

import auralis_dsp  # noqa: E402
import auralis_dsp._backend as backend  # noqa: E402
from auralis_dsp._backend import node  # noqa: E402

SR = 22050
COLUMNS = ("prep", "encode", "write", "server", "op", "read", "post")


class _Probe:
    """Wraps the bridge's steps and records timestamps of the current call."""

    def __init__(self) -> None:
        self.marks: dict[str, float] = {}
        self.op_ms = 0.0
        self._installed = False

    def install(self) -> None:
        if self._installed:
            return
        self._installed = True
        probe = self
        original_call = backend._call
        original_encode = node._Client._encode_request
        original_frame = node._Client._frame
        original_write = node._Server.write_all
        original_read_reply = node._Client._read_reply
        original_read_into = node._Server.read_into

        def call(op, params, arrays):
            probe.marks["call_in"] = time.perf_counter()
            meta, result = original_call(op, params, arrays)
            probe.marks["call_out"] = time.perf_counter()
            probe.op_ms = float(meta.get("op_ms", 0.0))
            return meta, result

        def encode(*args, **kwargs):
            probe.marks["encode_in"] = time.perf_counter()
            return original_encode(*args, **kwargs)

        def frame(*args, **kwargs):
            out = original_frame(*args, **kwargs)
            probe.marks["encode_out"] = time.perf_counter()
            return out

        def write_all(self, buffers):
            probe.marks["write_in"] = time.perf_counter()
            original_write(self, buffers)
            probe.marks["write_out"] = time.perf_counter()

        def read_reply(self, *args, **kwargs):
            probe.marks["first_byte"] = 0.0
            out = original_read_reply(self, *args, **kwargs)
            probe.marks["read_out"] = time.perf_counter()
            return out

        def read_into(self, buffer):
            original_read_into(self, buffer)
            if not probe.marks.get("first_byte"):
                probe.marks["first_byte"] = time.perf_counter()

        backend._call = call
        node._Client._encode_request = staticmethod(encode)
        node._Client._frame = staticmethod(frame)
        node._Server.write_all = write_all
        node._Client._read_reply = read_reply
        node._Server.read_into = read_into

    def split(self, start: float, end: float) -> dict[str, float]:
        m = self.marks
        op = self.op_ms / 1e3
        return {
            "prep": m["call_in"] - start,
            "encode": m["encode_out"] - m["encode_in"],
            "write": m["write_out"] - m["write_in"],
            "server": m["first_byte"] - m["write_out"] - op,
            "op": op,
            "read": m["read_out"] - m["first_byte"],
            "post": end - m["call_out"],
            "total": end - start,
        }


_PROBE = _Probe()


def test_signal(seconds: float, sr: int = SR) -> np.ndarray:
    """Music-like float32 audio (parity's generator): harmonic notes, noise and onsets."""
    from parity.signals import music_like

    return music_like(sr, int(seconds * sr)).astype(np.float32)


def shims(y: np.ndarray, sr: int = SR) -> dict[str, tuple[Callable, Callable]]:
    """name -> (ours, librosa) thunks, one call each, librosa's defaults."""
    import librosa

    D = librosa.stft(y)
    return {
        "stft": (lambda: auralis_dsp.stft(y), lambda: librosa.stft(y)),
        "istft": (lambda: auralis_dsp.istft(D, length=len(y)), lambda: librosa.istft(D, length=len(y))),
        "effects.hpss": (lambda: auralis_dsp.effects.hpss(y), lambda: librosa.effects.hpss(y)),
        "decompose.hpss": (lambda: auralis_dsp.decompose.hpss(D), lambda: librosa.decompose.hpss(D)),
        "yin": (
            lambda: auralis_dsp.yin(y, fmin=50, fmax=2000, sr=sr),
            lambda: librosa.yin(y, fmin=50, fmax=2000, sr=sr),
        ),
        "pyin": (
            lambda: auralis_dsp.pyin(y, fmin=65, fmax=2093, sr=sr),
            lambda: librosa.pyin(y, fmin=65, fmax=2093, sr=sr),
        ),
        "chroma_cqt": (lambda: auralis_dsp.chroma_cqt(y=y, sr=sr), lambda: librosa.feature.chroma_cqt(y=y, sr=sr)),
        "cqt": (lambda: auralis_dsp.cqt(y, sr=sr), lambda: librosa.cqt(y, sr=sr)),
        "estimate_tuning": (
            lambda: auralis_dsp.estimate_tuning(y=y, sr=sr),
            lambda: librosa.estimate_tuning(y=y, sr=sr),
        ),
        "chroma_stft": (
            lambda: auralis_dsp.feature.chroma_stft(y=y, sr=sr),
            lambda: librosa.feature.chroma_stft(y=y, sr=sr),
        ),
    }


def breakdown(ours: Callable, repeat: int, ref: Callable | None = None, warmup: int = 2) -> dict[str, float]:
    """Median of each step over ``repeat`` calls (seconds); ``librosa`` too when ``ref`` is given."""
    _PROBE.install()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(warmup):
            ours()
            if ref is not None:
                ref()
        rows: list[dict[str, float]] = []
        ref_times: list[float] = []
        for _ in range(repeat):
            _PROBE.marks.clear()
            start = time.perf_counter()
            ours()
            rows.append(_PROBE.split(start, time.perf_counter()))
            if ref is not None:
                t0 = time.perf_counter()
                ref()
                ref_times.append(time.perf_counter() - t0)
    out = {key: statistics.median(r[key] for r in rows) for key in rows[0]}
    if ref_times:
        out["librosa"] = statistics.median(ref_times)
    return out


def roundtrip_ms(calls: int = 2000, warmup: int = 200) -> tuple[float, float]:
    """(p50, p99) in ms of a ``ping`` through the whole client (no params, no arrays)."""
    for _ in range(warmup):
        backend.call("ping", {}, {})
    times = []
    for _ in range(calls):
        t0 = time.perf_counter()
        backend.call("ping", {}, {})
        times.append(time.perf_counter() - t0)
    times.sort()
    return 1e3 * times[len(times) // 2], 1e3 * times[min(len(times) - 1, int(len(times) * 0.99))]


def tiny_stft_ms(calls: int = 500, warmup: int = 50) -> tuple[float, float]:
    """(p50, p99) in ms of ``auralis_dsp.stft`` of 2048 float32 samples (a real op, smallest input)."""
    y = test_signal(2048 / SR)
    for _ in range(warmup):
        auralis_dsp.stft(y)
    times = []
    for _ in range(calls):
        t0 = time.perf_counter()
        auralis_dsp.stft(y)
        times.append(time.perf_counter() - t0)
    times.sort()
    return 1e3 * times[len(times) // 2], 1e3 * times[min(len(times) - 1, int(len(times) * 0.99))]


def real_music(seconds: float, sr: int = SR) -> tuple[np.ndarray, str]:
    """``seconds`` of real music as scripts/bench.py loads it (W1), else the synthetic mix."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from bench_audio import load_music  # the lead's loader: same audio as `npm run bench`

    return load_music(sr, seconds)


def _client_for(server: str | None, segments: bool) -> node._Client:
    """A second client with its own server (``server``: another bundle, e.g. main's), started now."""
    previous = os.environ.get("AURALIS_DSP_SERVER")
    if server:
        os.environ["AURALIS_DSP_SERVER"] = server
    try:
        client = node._Client()
        client._segments.enabled = client._segments.enabled and segments
        client.call("ping", {}, {})
    finally:
        if previous is None:
            os.environ.pop("AURALIS_DSP_SERVER", None)
        else:
            os.environ["AURALIS_DSP_SERVER"] = previous
    return client


def server_cpu_s(client: node._Client) -> float:
    """CPU seconds used so far by every thread of ``client``'s server (schedstat: nanoseconds)."""
    server = client._server
    if server is None:
        return 0.0
    total = 0
    task_dir = f"/proc/{server.proc.pid}/task"
    for tid in os.listdir(task_dir):
        try:
            with open(f"{task_dir}/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass  # a thread that just ended
    return total / 1e9


def compare_servers(old_server: str, names: list[str], repeat: int, clips: int, before_pipe: bool = False) -> None:
    """W1 (180 s of real music, one call) and W4 (``clips`` clips of 5 s, each function once per clip):
    librosa, the ``old_server`` bundle (reply segments too, unless --before-pipe) and this tree, alternating
    in one process; medians over ``repeat`` rounds (W1) or totals per round (W4)."""

    old = _client_for(old_server, segments=not before_pipe)
    new = _client_for(None, segments=True)
    time.sleep(1.0)  # workers booted
    y, source = real_music(180.0)
    print(f"# audio: {source}; W4: {clips} clips of 5 s from it\n")
    print("CPU: both processes' CPU time per round (Python's process time plus every server thread's),")
    print("for librosa Python's alone; less sensitive to other jobs than the wall times.\n")
    print(
        "| workload | call | librosa (ms) | before (ms) | after (ms) | before ratio | after ratio | CPU librosa / "
        "before / after (ms) |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    w4 = [y[i * 5 * SR : (i + 1) * 5 * SR] for i in range(min(clips, len(y) // (5 * SR)))]

    def run(side: str, per_input: list, name: str, cpu: dict[str, list[float]]) -> float:
        """One round of ``name`` on every input by ``side``; its wall time, its CPU time into ``cpu``."""
        client = old if side == "before" else new
        c0 = time.process_time() + (server_cpu_s(client) if side != "librosa" else 0.0)
        t0 = time.perf_counter()
        for thunks in per_input:
            if side == "librosa":
                thunks[name][1]()
            else:
                node._client = client
                thunks[name][0]()
        wall = time.perf_counter() - t0
        cpu[side].append(time.process_time() + (server_cpu_s(client) if side != "librosa" else 0.0) - c0)
        return wall

    for workload, inputs in (("W1", [y]), ("W4", w4)):
        per_input = [shims(x) for x in inputs]
        for name in names:
            if name not in per_input[0]:
                continue
            sides: dict[str, list[float]] = {"librosa": [], "before": [], "after": []}
            cpu: dict[str, list[float]] = {k: [] for k in sides}
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                original = node._client
                try:
                    for side in sides:  # warm-up
                        run(side, per_input, name, cpu)
                    for side in cpu:
                        cpu[side].clear()
                    for _ in range(repeat):
                        for side in sides:
                            sides[side].append(run(side, per_input, name, cpu))
                finally:
                    node._client = original
            med = {k: statistics.median(v) for k, v in sides.items()}
            print(
                f"| {workload} | {name} | {_ms(med['librosa'])} | {_ms(med['before'])} | {_ms(med['after'])} | "
                f"{med['librosa'] / med['before']:.2f}x | {med['librosa'] / med['after']:.2f}x | "
                + " / ".join(_ms(statistics.median(cpu[k])) for k in ("librosa", "before", "after"))
                + " |",
                flush=True,
            )
    old.close()
    new.close()


def _ms(x: float) -> str:
    return f"{1e3 * x:.3f}" if x < 0.01 else f"{1e3 * x:.2f}" if x < 1 else f"{1e3 * x:.1f}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", default="1,5,30,180")
    ap.add_argument("--only", default="")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--roundtrip-calls", type=int, default=2000)
    ap.add_argument("--librosa", action="store_true", help="also time librosa's call (alternating)")
    ap.add_argument("--librosa-max", type=float, default=30.0, help="longest clip (s) for which librosa is timed")
    ap.add_argument("--skip-breakdown", action="store_true")
    ap.add_argument(
        "--compare-server",
        metavar="SERVER_MJS",
        help="W1/W4 table: librosa, that server bundle and this tree",
    )
    ap.add_argument("--clips", type=int, default=36, help="W4 clips for --compare-server")
    ap.add_argument("--before-pipe", action="store_true",
                    help="--compare-server: the other bundle replies through the pipe only (one from before segments)")
    args = ap.parse_args()
    only = [s for s in args.only.split(",") if s]
    with open("/proc/loadavg") as f:
        load = " ".join(f.read().split()[:3])
    threads = os.environ.get("AURALIS_DSP_THREADS", "all cores")
    print(f"# bench_bridge: threads {threads}, load {load}, {time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime())} UTC\n")
    if args.compare_server:
        compare_servers(args.compare_server, only or ["stft", "istft"], args.repeat, args.clips, args.before_pipe)
        with open("/proc/loadavg") as f:
            print(f"\n# load at the end: {' '.join(f.read().split()[:3])}")
        return 0
    p50, p99 = roundtrip_ms(args.roundtrip_calls)
    print(f"ping round trip: p50 {p50:.3f} ms, p99 {p99:.3f} ms ({args.roundtrip_calls} calls)")
    s50, s99 = tiny_stft_ms()
    print(f"stft of 2048 samples: p50 {s50:.3f} ms, p99 {s99:.3f} ms (500 calls)\n")
    if args.skip_breakdown:
        return 0
    head = ["call", "clip (s)", *COLUMNS, "total"] + (["librosa", "ratio"] if args.librosa else [])
    print("| " + " | ".join(head) + " |")
    print("| " + " | ".join(["---"] * 2 + ["---:"] * (len(head) - 2)) + " |")
    for seconds in [float(s) for s in args.seconds.split(",")]:
        y = test_signal(seconds)
        for name, (ours, ref) in shims(y).items():
            if only and name not in only:
                continue
            with_ref = args.librosa and seconds <= args.librosa_max
            row = breakdown(ours, args.repeat, ref if with_ref else None)
            cells = [name, f"{seconds:g}", *(_ms(row[c]) for c in COLUMNS), _ms(row["total"])]
            if with_ref:
                cells += [_ms(row["librosa"]), f"{row['librosa'] / row['total']:.2f}x"]
            elif args.librosa:
                cells += ["-", "-"]
            print("| " + " | ".join(cells) + " |", flush=True)
    with open("/proc/loadavg") as f:
        print(f"\n# load at the end: {' '.join(f.read().split()[:3])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
