"""The benchmarks' audio: real music from warzone2100-music (installed on first use where
apt-get and root are available), else a synthetic mix. Shared by scripts/bench*.py."""
from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

MUSIC_DIR = "/usr/share/games/warzone2100/music"


def _music_files() -> list[str]:
    return sorted(f for ext in ("opus", "ogg") for f in glob.glob(f"{MUSIC_DIR}/**/*.{ext}", recursive=True))


def find_music() -> list[str]:
    files = _music_files()
    if not files and os.geteuid() == 0 and shutil.which("apt-get"):
        print("# installing warzone2100-music (real music for W1/W2)", file=sys.stderr)
        subprocess.run(["apt-get", "install", "-y", "-q", "warzone2100-music"], check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        files = _music_files()
    return files


def load_music(sr: int, seconds: float) -> tuple[np.ndarray, str]:
    """``seconds`` of real music (tracks joined if one is too short), else a synthetic mix."""
    import librosa

    from parity.signals import music_like

    files = find_music()
    if not files:
        return music_like(sr, int(seconds * sr)).astype(np.float32), "synthetic music_like (no real music found)"
    parts, names, total = [], [], 0
    for f in sorted(files, key=lambda p: -os.path.getsize(p)):
        y, _ = librosa.load(f, sr=sr, mono=True, duration=seconds - total / sr)
        parts.append(y)
        names.append(Path(f).name)
        total += len(y)
        if total >= int(seconds * sr):
            break
    return np.concatenate(parts)[: int(seconds * sr)], "+".join(names)
