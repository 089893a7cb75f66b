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

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from pyodide.code import run_js
from pyodide.ffi import JsException

from ..exceptions import BridgeError
from ._wire import decode_json, encode_arrays, encode_json, raise_fault, reply_dtype

__all__ = ["call"]

_BUNDLE = Path(__file__).resolve().parent.parent / "_js" / "auralis_dsp.js"


def _load_kernels() -> Any:
    if not _BUNDLE.is_file():
        raise BridgeError(
            f"the auralis-dsp kernel bundle {_BUNDLE} is missing; build it with `npm run build` "
            "in the auralis-dsp source tree, or install the wheel made by scripts/build_wheel.sh"
        )
    # A function scope keeps the bundle's top-level names out of the page's globals.
    return run_js("(function () {\n" + _BUNDLE.read_text(encoding="utf-8") + "\nreturn auralisDsp;\n})()")


_kernels = _load_kernels()
_pyodide_call = _kernels.pyodideCall


def call(
    op: str, params: Mapping[str, Any], arrays: Mapping[str, np.ndarray]
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Runs op ``op`` in this process; see ``auralis_dsp._backend.call``."""
    # Aligned and C-contiguous, so JavaScript views the arrays in place: no copy in the usual case.
    descriptors, buffers = encode_arrays(arrays)
    params_json = encode_json(dict(params))
    try:
        reply = _pyodide_call(op, params_json, encode_json(descriptors), *buffers)
    except JsException as error:  # pyodideCall reports faults itself; this is a broken bundle
        raise BridgeError(f"{op}: {error}") from None
    if not reply.ok:
        raise_fault(op, reply.type, reply.message)
    out: dict[str, np.ndarray] = {}
    for js_array in reply.arrays:
        result = np.empty(tuple(js_array.shape), dtype=reply_dtype(js_array.dtype, op))
        js_array.bytes.assign_to(result.reshape(-1).view(np.uint8))
        out[js_array.name] = result
    return decode_json(reply.meta), out
