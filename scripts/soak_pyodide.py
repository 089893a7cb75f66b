"""The soak of scripts/soak.py inside Pyodide: the shims called in-process, in a loop.

    npm run pyodide -- scripts/soak_pyodide.py [--calls 2000] [--warmup 200] [--only hpss,yin] [--modes fixed,varied]

Sampled: the size of Pyodide's WebAssembly memory (the Python heap: numpy
arrays, the shims' objects; a WebAssembly memory never shrinks, so any
growth stays) and the RSS of the Node process running Pyodide (which also
holds the kernels' JavaScript heap and their own WebAssembly memories).
All shims run in one Pyodide, one after the other: each row's growth is
measured after its own warm-up.
"""
from __future__ import annotations

import argparse
import json
import warnings

import pyodide_js
from js import process
from soak import SR, calls, soak

import auralis_dsp


def wasm_mb() -> float:
    return pyodide_js._module.HEAP8.length / 2**20


def process_rss_mb() -> float:
    return process.memoryUsage().rss / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--sample-every", type=int, default=50)
    parser.add_argument("--only", default="")
    parser.add_argument("--modes", default="fixed,varied")
    parser.add_argument("--json", help="also write the results here")
    parser.add_argument("--markdown", help="also write the table for docs/benchmarks.md here")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    table = {mode: calls(auralis_dsp, mode) for mode in args.modes.split(",")}
    shims = [s for s in args.only.split(",") if s] or list(next(iter(table.values())))
    probes = {"wasm": wasm_mb, "process": process_rss_mb}
    clear = getattr(auralis_dsp, "clear_caches", lambda: None)  # absent before issue 17: the "before" figures
    print(f"Pyodide: {args.warmup} warm-up + {args.calls} calls per shim, 1 s clips at {SR} Hz")
    print(
        f"{'shim':16} {'mode':7} {'ms/call':>8} | {'wasm MB':>8} {'+MB':>6} {'KB/call':>8} | {'rss MB':>7} "
        f"{'+MB':>6} {'KB/call':>8} {'late':>6} {'cleared':>7} | ok"
    )
    results = []
    for shim in shims:
        for mode, fns in table.items():
            r = {
                "shim": shim,
                "mode": mode,
                **soak(fns[shim], args.calls, args.warmup, args.sample_every, probes, clear),
            }
            results.append(r)
            w, p = r["wasm"], r["process"]
            print(
                f"{shim:16} {mode:7} {r['ms_per_call']:8.1f} | {w['after_warmup_mb']:8.1f} {w['growth_mb']:6.1f} "
                f"{w['slope_kb_per_call']:8.2f} | "
                f"{p['after_warmup_mb']:7.1f} {p['growth_mb']:6.1f} {p['slope_kb_per_call']:8.2f} "
                f"{p['late_slope_kb_per_call']:6.2f} {p['after_clear_mb']:7.1f} | "
                f"{'yes' if w['ok'] and p['ok'] else 'NO'}",
                flush=True,
            )
    print(f"ok: {sum(r['wasm']['ok'] and r['process']['ok'] for r in results)} of {len(results)} rows")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(
                markdown_table(
                    results, f"Pyodide, {args.warmup} warm-up + {args.calls} calls per row, all rows in one Pyodide:"
                )
            )


def markdown_table(results: list, header: str) -> str:
    """The rows as a Markdown table for docs/benchmarks.md (Soak)."""
    lines = [
        header,
        "",
        "| shim | params | ms/call | wasm MB after warm-up | wasm growth MB | wasm KB/call | process RSS growth MB "
        "(%) | RSS KB/call (2nd half) | RSS MB after clear_caches | < 5 % or 20 MB |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in results:
        w, p = r["wasm"], r["process"]
        lines.append(
            f"| {r['shim']} | {r['mode']} | {r['ms_per_call']:.1f} | {w['after_warmup_mb']:.1f} | "
            f"{w['growth_mb']:+.1f} | {w['slope_kb_per_call']:.2f} | "
            f"{p['growth_mb']:+.1f} ({p['growth_pct']:+.1f} %) | {p['slope_kb_per_call']:.1f} "
            f"({p['late_slope_kb_per_call']:.1f}) | {p['after_clear_mb']:.1f} | "
            f"{'yes' if w['ok'] and p['ok'] else '**no**'} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
