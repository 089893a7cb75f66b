"""Recovery from a dead server, and no Node process outliving its Python.

Each orphan case runs a child Python that starts the server (idle, or with a
call in flight) and then ends in one of four ways: returning normally,
``os._exit``, SIGTERM, SIGKILL. The server's pid must be gone soon after.
The time from a kill to the next correct answer is printed (``-s`` shows
it), not asserted: timings are the benchmarks' business.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import auralis_dsp
from auralis_dsp._backend import node
from auralis_dsp.exceptions import BridgeError
from helpers import process_gone, wait_gone

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

# The child: starts the server, reports its pid, optionally starts a call that
# will still be running, then ends as argv[1] says ("wait" leaves it to a signal).
CHILD = r"""
import os, sys, threading, time
import numpy as np
from auralis_dsp._backend import node
import auralis_dsp
how, busy = sys.argv[1], sys.argv[2]
pid = node.server_pid()
if busy == "sleep":    # an op waiting on a timer: the server's event loop is free
    threading.Thread(target=lambda: node.call("sleep", {"seconds": 60}, {}), daemon=True).start()
elif busy == "compute":  # a long CPU-bound op in the workers (about 2 minutes of audio)
    y = np.sin(np.arange(22050 * 120) * 0.05).astype(np.float32)
    threading.Thread(target=lambda: auralis_dsp.effects.hpss(y, kernel_size=61), daemon=True).start()
if busy != "idle":
    time.sleep(0.5)  # the request is in the server by now
print(pid, flush=True)
if how == "normal":
    sys.exit(0)
if how == "os._exit":
    os._exit(0)
time.sleep(120)
"""

EXIT_SECONDS = 10.0


def _child_server(how: str, busy: str) -> tuple:
    env = dict(os.environ, AURALIS_DSP_DEBUG_OPS="1")
    child = subprocess.Popen([sys.executable, "-c", CHILD, how, busy], stdout=subprocess.PIPE, text=True, env=env)
    line = child.stdout.readline()
    assert line.strip(), f"the child Python printed no server pid (exit code {child.poll()})"
    return child, int(line)


@pytest.mark.parametrize("busy", ["idle", "sleep", "compute"])
@pytest.mark.parametrize("how", ["normal", "os._exit", "SIGTERM", "SIGKILL"])
def test_no_orphan_server_after_the_interpreter_exits(how, busy, capsys):
    child, server = _child_server(how, busy)
    try:
        assert not process_gone(server)
        ended = time.monotonic()
        if how in ("SIGTERM", "SIGKILL"):
            child.send_signal(getattr(signal, how))
        child.wait(timeout=30)
        assert wait_gone(server, EXIT_SECONDS), f"server {server} outlived its Python ({how}, {busy})"
        with capsys.disabled():
            print(
                f"\n[recovery] {how:8} {busy:7}: server gone {1000 * (time.monotonic() - ended):.0f} ms after the "
                "parent ended"
            )
    finally:
        child.kill()
        child.wait()
        if not process_gone(server):
            os.kill(server, signal.SIGKILL)


@pytest.fixture()
def debug_ops(monkeypatch):
    monkeypatch.setenv("AURALIS_DSP_DEBUG_OPS", "1")
    node.close()
    yield
    node.close()


def _clip() -> np.ndarray:
    t = np.arange(22050) / 22050
    return (0.5 * np.sin(2 * np.pi * 220 * t) + 0.1 * np.sin(2 * np.pi * 1234 * t)).astype(np.float32)


def test_next_answer_after_a_kill_is_correct_and_timed(debug_ops, capsys):
    y = _clip()
    calls = {
        "stft": lambda: auralis_dsp.stft(y),
        "effects.hpss": lambda: np.stack(auralis_dsp.effects.hpss(y)),
        "yin": lambda: auralis_dsp.yin(y, fmin=50, fmax=2000, sr=22050),
        "chroma_cqt": lambda: auralis_dsp.chroma_cqt(y=y, sr=22050),
    }
    expected = {name: f() for name, f in calls.items()}
    lines = []
    for name, f in calls.items():
        f()
        pid = node.server_pid()
        os.kill(pid, signal.SIGKILL)
        assert wait_gone(pid, 5.0)
        started = time.perf_counter()
        again = f()
        seconds = time.perf_counter() - started
        assert node.server_pid() != pid
        assert np.array_equal(again, expected[name])
        lines.append(
            f"[recovery] {name:12}: next correct answer {1000 * seconds:.0f} ms after a SIGKILL of the idle server"
        )
    with capsys.disabled():
        print("\n" + "\n".join(lines))


def test_call_in_flight_gets_a_bridge_error_and_the_next_call_a_fresh_server(debug_ops, capsys):
    y = _clip()
    expected = auralis_dsp.yin(y, fmin=50, fmax=2000, sr=22050)
    pid = node.server_pid()
    failure = []

    def in_flight() -> None:
        try:
            node.call("sleep", {"seconds": 30}, {})
        except BridgeError as error:
            failure.append((time.perf_counter(), str(error)))

    thread = threading.Thread(target=in_flight)
    thread.start()
    time.sleep(0.3)
    killed = time.perf_counter()
    os.kill(pid, signal.SIGKILL)
    thread.join(timeout=10)
    assert failure, "the call in flight did not raise BridgeError"
    raised, message = failure[0]
    assert "exited (code -9, SIGKILL)" in message and "during sleep" in message
    answer = auralis_dsp.yin(y, fmin=50, fmax=2000, sr=22050)
    answered = time.perf_counter()
    assert np.array_equal(answer, expected)
    assert node.server_pid() != pid
    with capsys.disabled():
        print(f"\n[recovery] kill mid-call: BridgeError after {1000 * (raised - killed):.0f} ms, "
              f"next correct answer {1000 * (answered - killed):.0f} ms after the kill")


def test_clear_caches_keeps_results_and_does_not_start_a_server():
    node.close()
    assert auralis_dsp.clear_caches() == 0
    assert not node.is_running()
    y = _clip()
    before = [
        auralis_dsp.chroma_cqt(y=y, sr=22050),
        auralis_dsp.stft(y, n_fft=1000),
        np.stack(auralis_dsp.effects.hpss(y)),
    ]
    pid = node.server_pid()
    assert auralis_dsp.clear_caches() > 0
    after = [
        auralis_dsp.chroma_cqt(y=y, sr=22050),
        auralis_dsp.stft(y, n_fft=1000),
        np.stack(auralis_dsp.effects.hpss(y)),
    ]
    assert node.server_pid() == pid
    for b, a in zip(before, after):
        assert np.array_equal(a, b)
