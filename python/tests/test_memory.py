"""Issue 17, memory stays flat: what the server holds between calls is bounded and given back.

The soak itself (scripts/soak.py, minutes per row) is a benchmark; these check the pieces
on sizes, not times.
"""
from __future__ import annotations

import numpy as np

import auralis_dsp
from auralis_dsp._backend import node


def _clip(n: int = 22050) -> np.ndarray:
    t = np.arange(n) / 22050
    return (0.5 * np.sin(2 * np.pi * 233 * t) + 0.01 * np.sin(0.37 * np.arange(n) ** 2)).astype(np.float32)


def _memory() -> dict:
    meta, _ = node.call("memory", {"collect": True}, {})
    return meta


def test_server_starts_with_the_memory_settings_unless_the_user_chose_others(monkeypatch):
    assert "--max-semi-space-size=1" in node._SERVER_NODE_FLAGS
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_", raising=False)
    assert node._server_env()["MALLOC_MMAP_THRESHOLD_"] == "131072"
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "65536")
    assert node._server_env()["MALLOC_MMAP_THRESHOLD_"] == "65536"


def test_memory_op_reports_the_server_thread_and_clear_caches_empties_it():
    y = _clip()
    for n_fft in (512, 1000, 2048, 777):  # distinct sizes: FFT plans and tables cached
        auralis_dsp.stft(y, n_fft=n_fft)
        auralis_dsp.feature.chroma_cqt(y=y, sr=22050, hop_length=n_fft // 2 // 64 * 64 or 64)
    meta = _memory()
    for key in ("rss", "heap_total", "heap_used", "external", "array_buffers", "cache_bytes", "arena_bytes"):
        assert isinstance(meta[key], int) and meta[key] >= 0, key
    assert meta["rss"] > meta["heap_used"] > 0
    assert isinstance(meta["kernel_memory_bytes"], dict)
    auralis_dsp.clear_caches()
    cleared = _memory()
    assert cleared["cache_bytes"] == 0
    assert cleared["kernel_memory_bytes"] == {}
    assert cleared["arena_bytes"] == 0
