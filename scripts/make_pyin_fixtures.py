#!/usr/bin/env python3
"""Fixtures for test/pyin.test.ts: what librosa's pyin takes from scipy and numpy, as JSON.

    .venv/bin/python scripts/make_pyin_fixtures.py      # writes fixtures/pyin/reference.json

- ``beta``: ``scipy.stats.beta.cdf`` on pyin's threshold grids (``np.linspace(0, 1, n + 1)``)
  for several shape pairs, the default (2, 18) among them;
- ``sums``: ``np.sum`` of float64 rows of many lengths (numpy's pairwise summation);
- ``transitions``: the factors of librosa's pyin transition matrix
  ``kron(transition_loop(2, 1 - switch_prob), transition_local(n, width, window="triangle"))``
  (the local matrix, dense, and the two loop probabilities) for small pitch grids, odd and even widths.
JSON carries Python's repr of each float, which JavaScript parses back to the same double.
"""
from __future__ import annotations

import json
import os

import librosa
import numpy as np
import scipy
import scipy.stats

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main() -> None:
    beta = []
    for a, b, n in (
        (2, 18, 100),
        (1, 1, 100),
        (0.5, 0.5, 100),
        (2.5, 7.3, 40),
        (10, 3, 64),
        (1, 30, 100),
        (0.3, 5, 17),
    ):
        x = np.linspace(0, 1, n + 1)
        beta.append(dict(a=a, b=b, n=n, x=x.tolist(), cdf=scipy.stats.beta.cdf(x, a, b).tolist()))
    rng = np.random.default_rng(7)
    sums = []
    for n in (1, 5, 7, 8, 9, 15, 16, 17, 100, 127, 128, 129, 200, 255, 256, 257, 601):
        for _ in range(3):
            row = rng.random(n) * 10 ** rng.uniform(-3, 3, n)
            sums.append(dict(values=row.tolist(), total=float(np.sum(row))))
    transitions = []
    for n_pitch, width, switch in ((30, 11, 0.01), (24, 8, 0.2), (17, 17, 0.01), (40, 1, 0.5), (61, 41, 0.01)):
        local = librosa.sequence.transition_local(n_pitch, width, window="triangle", wrap=False)
        loop = librosa.sequence.transition_loop(2, 1 - switch)
        transitions.append(dict(n_pitch=n_pitch, width=width, switch_prob=switch, local=local.ravel().tolist(),
                                stay=float(loop[0, 0]), across=float(loop[0, 1])))
    out = dict(versions=dict(numpy=np.__version__, scipy=scipy.__version__, librosa=librosa.__version__),
               beta=beta, sums=sums, transitions=transitions)
    path = os.path.join(ROOT, "fixtures", "pyin", "reference.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(out, f)
    print(f"wrote {path} ({os.path.getsize(path) // 1024} KB)")


if __name__ == "__main__":
    main()
