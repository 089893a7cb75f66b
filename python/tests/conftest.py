"""Test setup: the repository root on sys.path for the parity package (signals, metrics)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

# The servers the tests start answer the debug ops (ping, echo, memory, ...).
os.environ.setdefault("AURALIS_DSP_DEBUG_OPS", "1")


ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # the parity package (signals, metrics)
