"""The Pyodide backend: the kernels run in this process, in Pyodide's JavaScript realm.

Importing this module (``import auralis_dsp`` under ``sys.platform ==
"emscripten"``) evaluates the bundled kernels (``_js/auralis_dsp.js``, built
by ``npm run build``) once. Each call then hands the op its numpy arrays
through the FFI: JavaScript reads them in place as typed-array views of the
WebAssembly heap. Results are made in JavaScript memory and copied once into
new numpy arrays, the one copy Pyodide forces. Calls are synchronous; faults
come back as ``ParameterError`` or ``BridgeError`` with the JavaScript message.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List, Mapping, Tuple

import numpy as np
from pyodide.code import run_js
from pyodide.ffi import JsException

from ..exceptions import BridgeError, ParameterError
from .node import _WIRE_DTYPES, _WIRE_NAMES, _from_wire_json, _to_wire_json

__all__ = ["call"]

_BUNDLE = Path(__file__).resolve().parent.parent / "_js" / "auralis_dsp.js"


def _load_kernels() -> Any:
    if not _BUNDLE.is_file():
        raise BridgeError(
            f"the auralis-dsp kernel bundle {_BUNDLE} is missing; build it with `npm run build` "
            "in the auralis-dsp source tree, or install the wheel made by scripts/build-wheel.sh"
        )
    # A function scope keeps the bundle's top-level names out of the page's globals.
    return run_js("(function () {\n" + _BUNDLE.read_text(encoding="utf-8") + "\nreturn auralisDsp;\n})()")


_kernels = _load_kernels()
_pyodide_call = _kernels.pyodideCall


def _request_arrays(arrays: Mapping[str, np.ndarray]) -> Tuple[List[Dict[str, Any]], List[np.ndarray]]:
    descriptors = []
    buffers = []
    for name, array in arrays.items():
        array = np.asarray(array)
        wire = _WIRE_NAMES.get(array.dtype.newbyteorder("<"))
        if wire is None:
            raise TypeError(
                f"array {name!r} has dtype {array.dtype}, which the kernel bridge does not carry "
                f"(supported: {', '.join(_WIRE_DTYPES)})"
            )
        # Aligned and C-contiguous, so JavaScript can view it in place: no copy in the usual case.
        array = np.require(array, dtype=_WIRE_DTYPES[wire], requirements=("C", "A"))
        descriptors.append({"name": str(name), "dtype": wire, "shape": list(array.shape)})
        buffers.append(array)
    return descriptors, buffers


def call(
    op: str, params: Mapping[str, Any], arrays: Mapping[str, np.ndarray]
) -> Tuple[Dict[str, Any], Dict[str, np.ndarray]]:
    """Runs op ``op`` in this process; see ``auralis_dsp._backend.call``."""
    descriptors, buffers = _request_arrays(arrays)
    params_json = json.dumps(_to_wire_json(dict(params)), separators=(",", ":"), allow_nan=False)
    try:
        reply = _pyodide_call(op, params_json, json.dumps(descriptors), *buffers)
    except JsException as error:  # pyodideCall reports faults itself; this is a broken bundle
        raise BridgeError(f"{op}: {error}") from None
    if not reply.ok:
        if reply.type == "ParameterError":
            raise ParameterError(reply.message)
        raise BridgeError(f"{op}: {reply.type}: {reply.message}")
    out: Dict[str, np.ndarray] = {}
    for js_array in reply.arrays:
        dtype = _WIRE_DTYPES.get(js_array.dtype)
        if dtype is None:
            raise BridgeError(f"reply array with unknown dtype {js_array.dtype!r} during {op}")
        result = np.empty(tuple(js_array.shape), dtype=dtype)
        js_array.bytes.assign_to(result.reshape(-1).view(np.uint8))
        out[js_array.name] = result
    return json.loads(reply.meta, object_hook=_from_wire_json), out
