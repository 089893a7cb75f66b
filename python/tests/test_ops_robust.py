"""Every kernel op answers malformed requests (as a client other than our shims could send)
with a ParameterError, and the server keeps serving."""
from __future__ import annotations

import numpy as np
import pytest

from auralis_dsp import ParameterError
from auralis_dsp._backend import node

# Not kernel ops: the debug ops, clear_caches and memory (no params, so no request is malformed for them).
DEBUG_OPS = {"sleep", "exit", "raise", "ping", "echo", "clear_caches", "memory"}
BAD_REQUESTS = [
    ({}, {}),
    ({"n_fft": -1, "hop_length": 0, "sr": 0, "fmin": -5.0}, {"y": np.zeros((1, 10))}),
    ({"n_fft": "x", "sr": "fast"}, {"y": np.zeros(5, np.int32)}),
    ({"n_fft": 2048, "sr": 22050}, {"y": np.zeros((0, 0)), "S": np.zeros(3)}),
]


def kernel_ops():
    meta, _ = node.call("ping", {}, {})
    return sorted(set(meta["ops"]) - DEBUG_OPS)


@pytest.mark.parametrize("request_index", range(len(BAD_REQUESTS)))
def test_every_op_rejects_malformed_requests(request_index):
    pid = node.server_pid()
    params, arrays = BAD_REQUESTS[request_index]
    ops = kernel_ops()
    assert {"stft", "istft", "hpss", "effects.hpss", "yin", "cqt", "chroma_cqt", "estimate_tuning"} <= set(ops)
    for op in ops:
        if op == "scale":
            continue
        with pytest.raises(ParameterError):
            node.call(op, params, arrays)
    assert node.server_pid() == pid and node.call("ping", {}, {})[0]["pid"] == pid
