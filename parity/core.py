"""The harness core: registered functions yield cases; each case runs librosa and
auralis_dsp on the same input, compares with the metrics of docs/parity.md and
times both.

A function module registers a case generator::

    @register("stft")
    def stft_cases(inputs):
        for clip in inputs.clips():
            yield Case(...)

and the next issues only add such modules (see ``FUNCTION_MODULES``).
"""
from __future__ import annotations

import dataclasses
import importlib
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Callable

import numpy as np

__all__ = ["Case", "Clip", "Inputs", "Row", "fft_variant", "register", "registered", "run_case", "TOLERANCES"]

# Modules whose import registers cases; one line per function family.
FUNCTION_MODULES = [
    "parity.cases_spectrum",
    "parity.cases_hpss",
    "parity.cases_yin",
    "parity.cases_chroma",
    "parity.cases_pyin",
]

# (kind, input dtype) -> (metric family, tolerance), from docs/parity.md.
TOLERANCES: dict[tuple[str, str], tuple[str, float]] = {
    ("signal", "float64"): ("both", 1e-6),
    ("signal", "float32"): ("both", 1e-4),
    ("mask", "float64"): ("maxabs", 1e-6),
    ("mask", "float32"): ("maxabs", 1e-4),
    ("cqt", "float64"): ("both", 1e-4),
    ("cqt", "float32"): ("both", 1e-4),
    ("chroma", "float64"): ("maxabs", 1e-4),
    ("chroma", "float32"): ("maxabs", 1e-4),
    ("exact", "float64"): ("exact", 0.0),
    ("exact", "float32"): ("exact", 0.0),
    # pyin: f0 and voiced_flag are judged per frame (cases_pyin.judge_frames); voiced_prob by max abs.
    ("pyin", "float64"): ("maxabs", 1e-4),
    ("pyin", "float32"): ("maxabs", 1e-4),
}


@dataclasses.dataclass
class Clip:
    """One input signal: a label, the samples (float64) and their rate."""

    label: str
    y: np.ndarray
    sr: int


@dataclasses.dataclass
class Case:
    """One comparison: ``ours`` and ``reference`` are thunks returning an array or a tuple of arrays."""

    function: str
    label: str
    dtype: str
    kind: str
    reference: Callable[[], Any]
    ours: Callable[[], Any]
    # librosa on the float64 version of a float32 input: judges whether librosa's float32 answer is itself stable.
    reference64: Callable[[], Any] | None = None
    output_names: Sequence[str] = ("out",)
    # For outputs whose contract is not an array norm (yin: a rule per frame): (ours, ref) -> (ok, note);
    # one per output (None: the tolerance) when the outputs differ in kind (pyin: f0, voiced_flag, voiced_prob).
    judge: Any | None = None
    # Set when librosa's answer for this input is known to be wrong (why, in words), with
    # ``corrected_reference`` computing librosa's answer with the defect mended: ours is then
    # judged against that, and the row says so (a finding).
    unreliable_reference: str | None = None
    corrected_reference: Callable[[], Any] | None = None
    # librosa computed another mathematically equal way (another exact FFT: see fft_variant; or a
    # scaled input for scale-invariant outputs): where librosa's own answer moves by more than
    # the tolerance under it, the reference is ill-conditioned at that tolerance and ours must
    # deviate no more than twice as far (a finding, reported with both numbers).
    reference_alt: Callable[[], Any] | None = None
    reference_alt_what: str = "another exact FFT"


@dataclasses.dataclass
class Row:
    function: str
    label: str
    dtype: str
    output: str
    rel_l2: float
    scaled_max: float
    max_abs: float
    worst: str
    t_librosa: float
    t_ours: float
    ok: bool
    note: str = ""

    @property
    def ratio(self) -> float:
        return self.t_librosa / self.t_ours if self.t_ours > 0 else float("inf")


_REGISTRY: dict[str, Callable[[Inputs], Iterable[Case]]] = {}


def register(name: str) -> Callable:
    def deco(fn: Callable[[Inputs], Iterable[Case]]) -> Callable:
        _REGISTRY[name] = fn
        return fn

    return deco


def registered() -> dict[str, Callable[[Inputs], Iterable[Case]]]:
    for module in FUNCTION_MODULES:
        importlib.import_module(module)
    return dict(_REGISTRY)


class Inputs:
    """The clips a run uses: the synthetic set, plus audio files from ``--audio``."""

    def __init__(self, synthetic: list[Clip], audio: list[Clip], quick: bool = False) -> None:
        self.synthetic = synthetic
        self.audio = audio
        self.quick = quick

    def clips(self, include_audio: bool = True) -> Iterator[Clip]:
        yield from self.synthetic
        if include_audio:
            yield from self.audio


def _as_tuple(x: Any) -> tuple[np.ndarray, ...]:
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def metrics(ours: np.ndarray, ref: np.ndarray) -> tuple[float, float, float, str]:
    """relative L2, scaled max error, max abs error, and the location of the worst element."""
    ours = np.asarray(ours)
    ref = np.asarray(ref)
    if ours.shape != ref.shape:
        return float("inf"), float("inf"), float("inf"), f"shape {ours.shape} != {ref.shape}"
    if ours.size == 0:
        return 0.0, 0.0, 0.0, "-"
    diff = np.abs(ours.astype(np.complex128 if np.iscomplexobj(ours) or np.iscomplexobj(ref) else np.float64) - ref)
    norm_diff = float(np.linalg.norm(diff.ravel()))
    norm_ref = float(np.linalg.norm(np.abs(ref).ravel()))
    max_diff = float(diff.max())
    max_ref = float(np.abs(ref).max())

    def ratio(a: float, b: float) -> float:
        return 0.0 if a == 0 else (float("inf") if b == 0 else a / b)

    worst = np.unravel_index(int(np.argmax(diff)), diff.shape)
    return ratio(norm_diff, norm_ref), ratio(max_diff, max_ref), max_diff, str(tuple(int(i) for i in worst))


def _complex_rfft(a: Any, n: int | None = None, axis: int = -1, norm: str | None = None, **kwargs: Any) -> np.ndarray:
    """rfft computed through numpy's complex FFT: exact in theory, other round-off in practice.

    (scipy.fft.fft of real input runs the real transform internally, so it would change nothing.)
    """
    a = np.asarray(a)
    n = a.shape[axis] if n is None else n
    return np.take(_NUMPY_FFT(a, n=n, axis=axis, norm=norm), np.arange(n // 2 + 1), axis=axis)


_NUMPY_FFT = np.fft.fft


def fft_variant(fn: Callable[[], Any]) -> Callable[[], Any]:
    """``fn`` run with the real FFTs librosa calls computed through the complex FFT.

    librosa 0.11 takes its FFTs from ``get_fftlib()`` (``scipy.fft`` by default),
    librosa 1.0 from ``scipy.fft``; both look ``rfft`` up on the module at call
    time, so replacing the module attribute for the call reaches either.
    """
    def call() -> Any:
        import warnings

        import scipy.fft

        saved = [(module, module.rfft) for module in (np.fft, scipy.fft)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for module, _ in saved:
                module.rfft = _complex_rfft
            try:
                return fn()
            finally:
                for module, original in saved:
                    module.rfft = original

    return call


def _timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def _passes(family: str, tol: float, rel: float, scaled: float, max_abs: float) -> bool:
    if family == "both":
        return rel <= tol and scaled <= tol
    if family == "maxabs":
        return max_abs <= tol
    return max_abs == 0


def run_case(case: Case) -> list[Row]:
    """Run one case (librosa first, then ours) and compare every output."""
    ref, t_ref = _timed(case.reference)
    try:
        ours, t_ours = _timed(case.ours)
    except Exception as exc:  # a failure of ours is a breach, reported with its message
        return [Row(case.function, case.label, case.dtype, "-", float("inf"), float("inf"), float("inf"), "-",
                    t_ref, float("nan"), False, f"raised {type(exc).__name__}: {exc}")]
    family, tol = TOLERANCES[(case.kind, case.dtype)]
    rows = []
    refs, ourss = _as_tuple(ref), _as_tuple(ours)
    names = list(case.output_names) if len(case.output_names) == len(refs) else [f"out{i}" for i in range(len(refs))]
    ref64s = None
    for i, (r, o) in enumerate(zip(refs, ourss)):
        note = ""
        if np.asarray(o).dtype != np.asarray(r).dtype:
            note = f"dtype {np.asarray(o).dtype} != {np.asarray(r).dtype}"
        rel, scaled, max_abs, worst = metrics(o, r)
        ok = _passes(family, tol, rel, scaled, max_abs) and not note
        judge = case.judge[i] if isinstance(case.judge, (list, tuple)) else case.judge
        if judge is not None and not note:
            ok, note = judge(np.asarray(o), np.asarray(r))
        if not ok and case.reference_alt is not None:
            alt = _as_tuple(case.reference_alt())[i]
            spread = metrics(alt, r)
            if not _passes(family, tol, *spread[:3]):
                if family == "maxabs":
                    ok = max_abs <= 2 * spread[2]
                else:
                    ok = rel <= 2 * spread[0] and scaled <= 2 * spread[1]
                note = (f"FINDING: librosa with {case.reference_alt_what} moves by rel_l2 {spread[0]:.2e} "
                        f"scaled_max {spread[1]:.2e} max_abs {spread[2]:.2e} (ill-conditioned output); "
                        f"ours within twice that: {ok}")
        if not ok and case.corrected_reference is not None:
            corrected = _as_tuple(case.corrected_reference())[i]
            vs = metrics(o, corrected)
            ok = _passes(family, tol, *vs[:3])
            note = (f"FINDING: {case.unreliable_reference}; librosa gives rel_l2 {rel:.2e} from ours, "
                    f"librosa with that mended gives rel_l2 {vs[0]:.2e} scaled_max {vs[1]:.2e}")
            rel, scaled, max_abs, worst = vs
        if not ok and not note and case.dtype == "float32" and case.reference64 is not None:
            # librosa's float32 path rounds intermediate results; where that rounding alone
            # exceeds the tolerance, the float32 reference is unstable and ours is judged
            # against librosa's float64 answer at the float64 tolerance instead (a finding).
            if ref64s is None:
                ref64s = _as_tuple(case.reference64())
            r64 = ref64s[i]
            own = metrics(r, r64)
            if not _passes(family, tol, *own[:3]):
                vs64 = metrics(o, r64)
                family64, tol64 = TOLERANCES[(case.kind, "float64")]
                ok = _passes(family64, tol64, *vs64[:3])
                note = (f"FINDING: librosa float32 vs its own float64 scaled max {own[1]:.2e}; "
                        f"ours vs librosa float64 scaled max {vs64[1]:.2e}")
        rows.append(Row(case.function, case.label, case.dtype, names[i], rel, scaled, max_abs, worst,
                        t_ref, t_ours, ok, note))
    return rows
