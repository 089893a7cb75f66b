"""What both backends put on the wire and take from it, written once (docs/protocol.md).

The Node backend frames these pieces into the stdio protocol; the Pyodide backend
hands them to ``pyodideCall`` in-process. Both carry the same things: op names,
parameters as JSON (non-finite numbers as ``{"$float": ...}``), named arrays
with a wire dtype and a shape, and faults typed ``ParameterError``,
``ProtocolError`` or ``InternalError``. ``src/manifest.json`` pins the tables
here to the kernels' (python/tests/test_manifest.py).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any, NoReturn

import numpy as np

from ..exceptions import BridgeError, ParameterError

__all__ = [
    "DEBUG_OPS",
    "OPS",
    "PROTOCOL_VERSION",
    "WIRE_DTYPES",
    "WIRE_NAMES",
    "decode_json",
    "encode_arrays",
    "encode_json",
    "raise_fault",
    "reply_dtype",
    "to_wire_json",
]

PROTOCOL_VERSION = 1

# Every op the package sends (its shims and clear_caches), and the kernels' debugging ops,
# which only tests and scripts send (the server has them with AURALIS_DSP_DEBUG_OPS=1).
# test_manifest.py runs every shim through a recording backend against OPS.
OPS = frozenset(
    {
        "chroma_cqt",
        "chroma_stft",
        "clear_caches",
        "cqt",
        "effects.hpss",
        "estimate_tuning",
        "hpss",
        "istft",
        "pyin",
        "stft",
        "yin",
    }
)
DEBUG_OPS = frozenset({"echo", "exit", "memory", "ping", "raise", "scale", "sleep"})

# Wire dtype name -> numpy dtype (always little-endian on the wire).
WIRE_DTYPES: dict[str, np.dtype] = {
    "float32": np.dtype("<f4"),
    "float64": np.dtype("<f8"),
    "complex64": np.dtype("<c8"),
    "complex128": np.dtype("<c16"),
    "int32": np.dtype("<i4"),
    "int64": np.dtype("<i8"),
    "uint8": np.dtype("u1"),
    "bool": np.dtype("?"),
}
WIRE_NAMES: dict[np.dtype, str] = {dtype: name for name, dtype in WIRE_DTYPES.items()}

_NON_FINITE = {"inf": math.inf, "-inf": -math.inf, "nan": math.nan}


# ---------------------------------------------------------------- JSON with non-finite floats


def to_wire_json(value: Any) -> Any:
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
        return {str(k): to_wire_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_wire_json(v) for v in value]
    if isinstance(value, np.ndarray):
        return to_wire_json(value.tolist())
    raise TypeError(f"cannot send a {type(value).__name__} as an op parameter")


def _from_wire_object(obj: dict[str, Any]) -> Any:
    if len(obj) == 1 and "$float" in obj and obj["$float"] in _NON_FINITE:
        return _NON_FINITE[obj["$float"]]
    return obj


def encode_json(value: Any) -> str:
    """Compact wire JSON of ``value`` (see ``to_wire_json``)."""
    return json.dumps(to_wire_json(value), separators=(",", ":"), allow_nan=False)


def decode_json(text: str | bytes | bytearray) -> Any:
    """Parses wire JSON, turning ``{"$float": ...}`` back into numbers."""
    return json.loads(text, object_hook=_from_wire_object)


# ---------------------------------------------------------------- named arrays


def encode_arrays(arrays: Mapping[str, Any]) -> tuple[list[dict[str, Any]], list[np.ndarray]]:
    """Descriptors (name, dtype, shape, nbytes) and the arrays as they travel, in request order.

    An array travels aligned, C-contiguous and little-endian in its wire dtype:
    no copy in the usual case, where it already is.
    """
    descriptors = []
    buffers = []
    for name, array in arrays.items():
        array = np.asarray(array)
        wire = WIRE_NAMES.get(array.dtype.newbyteorder("<"))
        if wire is None:
            raise TypeError(
                f"array {name!r} has dtype {array.dtype}, which the kernel bridge does not carry "
                f"(supported: {', '.join(WIRE_DTYPES)})"
            )
        array = np.require(array, dtype=WIRE_DTYPES[wire], requirements=("C", "A"))
        descriptors.append({"name": str(name), "dtype": wire, "shape": list(array.shape), "nbytes": array.nbytes})
        buffers.append(array)
    return descriptors, buffers


def reply_dtype(wire: Any, op: str) -> np.dtype:
    """The numpy dtype of a reply array's wire dtype; BridgeError for one the protocol lacks."""
    dtype = WIRE_DTYPES.get(wire) if isinstance(wire, str) else None
    if dtype is None:
        raise BridgeError(f"reply array with unknown dtype {wire!r} during {op}")
    return dtype


# ---------------------------------------------------------------- faults


def raise_fault(op: str, error_type: Any, message: Any) -> NoReturn:
    """Raises a wire fault as Python sees it: ``ParameterError`` as itself, anything else as ``BridgeError``."""
    if error_type == "ParameterError":
        raise ParameterError(str(message))
    raise BridgeError(f"{op}: {error_type}: {message}")
