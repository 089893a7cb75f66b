"""Short clips (W4), two or more server bundles alternating in one process.

    .venv/bin/python scripts/bench_w4_ab.py --rounds 3 --clips 36 --only stft,yin [--librosa] <server.mjs> ...

Each round starts every bundle's server in turn (``AURALIS_DSP_SERVER``) and, clip by clip,
calls each function once after a warm-up call on the same clip, as ``bench.py``'s W4 does:
the calls of one clip interleave, so what one function leaves behind (buffers, collections)
meets the next. ``--librosa``: librosa's own call before each of ours (warm-up and timed), as
``bench.py`` alternates them (what librosa's call leaves in the caches then meets ours).
Prints the median and minimum per call and bundle, in ms. Build a bundle of
another commit with ``npx tsc -p tsconfig.build.json && node scripts/bundle.mjs`` in a worktree.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import workloads  # noqa: E402  (the same calls as bench.py's W4)
from bench_audio import load_music  # noqa: E402

from auralis_dsp._backend import node  # noqa: E402

SR = 22050


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("servers", nargs="+", help="server.mjs bundles to compare")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--clips", type=int, default=36)
    ap.add_argument("--only", default="stft,istft,yin,estimate_tuning,feature.chroma_stft")
    ap.add_argument("--librosa", action="store_true", help="librosa's call before each of ours, as bench.py")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    y, source = load_music(SR, 5 * args.clips)
    clips = [y[i * 5 * SR:(i + 1) * 5 * SR].copy() for i in range(min(args.clips, len(y) // (5 * SR)))]
    # bench.py's (librosa, ours) pairs per clip; only ours is timed here.
    pairs = [workloads(c, SR) for c in clips]
    ours = [{name: pair[1] for name, pair in p.items()} for p in pairs]
    theirs = [{name: pair[0] for name, pair in p.items()} for p in pairs]
    names = args.only.split(",")
    unknown = [n for n in names if n not in ours[0]]
    if unknown:
        ap.error(f"unknown function(s) {unknown}; choose from {sorted(ours[0])}")
    times: dict[tuple[str, str], list[float]] = {(s, n): [] for s in args.servers for n in names}
    for _ in range(args.rounds):
        for server in args.servers:
            os.environ["AURALIS_DSP_SERVER"] = server
            node.close()
            for name in names:
                ours[0][name]()
            for calls, reference in zip(ours, theirs):
                for name in names:
                    if args.librosa:
                        reference[name]()
                    calls[name]()
                    if args.librosa:
                        reference[name]()
                    t0 = time.perf_counter()
                    calls[name]()
                    times[(server, name)].append(time.perf_counter() - t0)
    between = "librosa's call before each of ours" if args.librosa else "ours only"
    print(f"# {source}: {len(clips)} clips of 5 s, {args.rounds} rounds, {between}; median / minimum per call (ms)")
    for name in names:
        runs = [times[(s, name)] for s in args.servers]
        cells = [f"{statistics.median(t) * 1e3:7.2f} / {min(t) * 1e3:6.2f}" for t in runs]
        print(f"{name:20s} " + " | ".join(cells))
    print("# columns: " + " | ".join(args.servers))


if __name__ == "__main__":
    main()
