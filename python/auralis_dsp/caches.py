"""``auralis_dsp.clear_caches()``: give back the memory the kernels keep between calls."""
from __future__ import annotations

import sys

from ._backend import call

__all__ = ["clear_caches"]


def clear_caches() -> int:
    """Frees the kernels' caches and working memory, in every worker thread.

    The kernels keep FFT plans, CQT filter bases, sliding-DFT tables and their
    WebAssembly memories between calls (each cache is bounded, least recently
    used out first). This drops all of them, and the Node server's free
    request buffers; results do not change, the next call rebuilds what it
    needs. Under CPython, a server that is not running is not started.

    Returns the bytes the bounded caches and buffers held on the kernels'
    main thread (the WebAssembly memories and the workers' caches come on top).
    """
    if sys.platform != "emscripten":
        from ._backend import node

        if not node.is_running():
            return 0
    meta, _ = call("clear_caches", {}, {})
    return int(meta.get("cleared_bytes", 0))
