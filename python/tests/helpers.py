"""Assertions and process checks shared by the test modules."""
from __future__ import annotations

import os
import time

import numpy as np


def assert_parity(ours: np.ndarray, ref: np.ndarray, tol: float) -> None:
    """Both metrics of docs/parity.md within ``tol``, same shape and dtype."""
    assert ours.shape == ref.shape, (ours.shape, ref.shape)
    assert ours.dtype == ref.dtype, (ours.dtype, ref.dtype)
    diff = np.abs(ours.astype(np.complex128) - ref)
    max_ref = np.abs(ref).max() if ref.size else 0.0
    if max_ref == 0:
        assert diff.max(initial=0.0) == 0
        return
    assert np.linalg.norm(diff) / np.linalg.norm(np.abs(ref)) <= tol
    assert diff.max() / max_ref <= tol


def _thread_states(pid: int) -> list:
    states = []
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/stat") as f:
                states.append(f.read().rsplit(")", 1)[1].split()[0])
        except (FileNotFoundError, ProcessLookupError):
            # the thread (or the whole process) ended between listdir and read: reading a
            # dying task's stat can fail with ESRCH rather than ENOENT
            pass
    return states


def process_gone(pid: int) -> bool:
    """True once every thread of `pid` has exited (a zombie nobody reaped counts as exited).

    The main thread of a killed multi-threaded process is a zombie while its
    other threads are still on their way out: those must be gone too.
    """
    try:
        return all(state in ("Z", "X") for state in _thread_states(pid))
    except (FileNotFoundError, ProcessLookupError):
        return True


def wait_gone(pid: int, seconds: float) -> bool:
    """Waits up to `seconds` for `pid` to exit; whether it did."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process_gone(pid):
            return True
        time.sleep(0.05)
    return process_gone(pid)
