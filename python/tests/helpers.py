"""Assertions shared by the test modules."""
from __future__ import annotations

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
