"""Pitch tracking: drop-in ``librosa.pyin``."""
from __future__ import annotations

import operator
from typing import Any

import numpy as np

from . import _backend
from ._compat import is_v1
from ._util import signal_to_wire
from .exceptions import ParameterError, UnsupportedParameter
from .pitch import _DEPRECATED, _check_win_length, _check_yin_params, _framing_request

__all__ = ["pyin"]


class _LibrosaDefault:
    """Placeholder for ``transition_min_prob``: 1e-4 under librosa 1.0, absent from 0.11."""

    def __repr__(self) -> str:
        return "1e-4 (librosa 1.0)"


_LIBROSA_DEFAULT = _LibrosaDefault()


def pyin(
    y: np.ndarray,
    *,
    fmin: float,
    fmax: float,
    sr: float = 22050,
    frame_length: int = 2048,
    win_length: Any = _DEPRECATED,
    hop_length: int | None = None,
    n_thresholds: int = 100,
    beta_parameters: tuple[float, float] = (2, 18),
    boltzmann_parameter: float = 2,
    resolution: float = 0.1,
    max_transition_rate: float = 35.92,
    switch_prob: float = 0.01,
    no_trough_prob: float = 0.01,
    fill_na: float | None = np.nan,
    center: bool = True,
    pad_mode: Any = "constant",
    transition_min_prob: Any = _LIBROSA_DEFAULT,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fundamental frequency (F0) estimation using probabilistic YIN (pYIN), as ``librosa.pyin``.

    pYIN [#]_ is a modification of the YIN algorithm [#]_ for fundamental frequency (F0) estimation.
    In the first step of pYIN, F0 candidates and their probabilities are computed using the YIN
    algorithm. In the second step, Viterbi decoding is used to estimate the most likely F0 sequence
    and voicing flags. Follows the installed librosa (0.11 or 1.0, see ``auralis_dsp.librosa_compat``).

    .. [#] Mauch, Matthias, and Simon Dixon.
        "pYIN: A fundamental frequency estimator using probabilistic threshold distributions."
        2014 IEEE International Conference on Acoustics, Speech and Signal Processing (ICASSP). IEEE, 2014.

    .. [#] De Cheveigné, Alain, and Hideki Kawahara.
        "YIN, a fundamental frequency estimator for speech and music."
        The Journal of the Acoustical Society of America 111.4 (2002): 1917-1930.

    Parameters
    ----------
    y : np.ndarray [shape=(..., n)], real-valued floating point
        audio time series. Multi-channel is supported.
    fmin : number > 0 [scalar]
        minimum frequency in Hertz (librosa recommends ``note_to_hz('C2')``, ~65 Hz).
    fmax : number > fmin, <= sr/2 [scalar]
        maximum frequency in Hertz (librosa recommends ``note_to_hz('C7')``, ~2093 Hz).
    sr : number > 0 [scalar]
        sampling rate of ``y`` in Hertz.
    frame_length : int > 0 [scalar]
        length of the frames in samples.
    win_length : Deprecated
        librosa 0.11: giving it raises a ``FutureWarning`` and has no effect.
        librosa 1.0 removed it (a ``TypeError``, as there).
    hop_length : None or int > 0 [scalar]
        number of audio samples between adjacent pYIN predictions.
        If ``None``, defaults to ``frame_length // 4``.
    n_thresholds : int > 0 [scalar]
        number of thresholds for peak estimation.
    beta_parameters : tuple
        shape parameters (a, b > 0) for the beta distribution prior over thresholds.
        Its CDF is computed by the kernels (no scipy needed).
    boltzmann_parameter : number > 0 [scalar]
        shape parameter for the Boltzmann distribution prior over troughs.
        Larger values will assign more mass to smaller periods.
    resolution : float in `(0, 1)`
        Resolution of the pitch bins. 0.01 corresponds to cents.
    max_transition_rate : float > 0
        maximum pitch transition rate in octaves per second.
    switch_prob : float in ``(0, 1)``
        probability of switching from voiced to unvoiced or vice versa.
    no_trough_prob : float in ``(0, 1)``
        maximum probability to add to global minimum if no trough is below threshold.
    fill_na : None, float, or ``np.nan``
        default value for unvoiced frames of ``f0``.
        If ``None``, the unvoiced frames will contain a best guess value.
    center : bool
        If ``True``, ``y`` is padded by ``frame_length // 2`` on both sides so that frame
        ``t`` is centered at ``y[t * hop_length]``.
    pad_mode : str or function
        ``np.pad`` mode used when ``center=True`` (default ``"constant"``, zeros).
    transition_min_prob : None or float >= 0
        librosa 1.0 only (default 1e-4): Viterbi decoding considers only transitions
        with at least this probability; ``None`` or 0 consider all, as librosa 0.11 always does.

    Returns
    -------
    f0 : np.ndarray [shape=(..., n_frames), dtype=float64]
        time series of fundamental frequencies in Hertz.
    voiced_flag : np.ndarray [shape=(..., n_frames), dtype=bool]
        time series containing boolean flags indicating whether a frame is voiced or not.
    voiced_prob : np.ndarray [shape=(..., n_frames), dtype=float64]
        time series containing the probability that a frame is voiced.
        If multi-channel input is provided, f0 and voicing are estimated separately for each channel.

    Raises
    ------
    ParameterError
        As librosa: ``fmin``/``fmax`` missing or out of range, a frame too short for ``fmin``,
        ``hop_length < 1``, a signal shorter than a frame, audio not floating point or not finite,
        ``switch_prob`` outside [0, 1], fewer than two pitch bins, a transition width beyond the
        pitch range, probabilities outside [0, 1] (e.g. ``no_trough_prob > 1``), a negative
        ``transition_min_prob`` or one that leaves a state unreachable (1.0). Also for
        ``resolution <= 0`` (librosa fails there with a ZeroDivisionError or ValueError).
    UnsupportedParameter
        For non-positive ``beta_parameters`` or ``boltzmann_parameter``, where librosa returns
        NaN probabilities.

    Warns
    -----
    FutureWarning
        When ``win_length`` is given (librosa 0.11).
    UserWarning
        When fewer than two periods of ``fmin`` fit into a frame.

    See Also
    --------
    librosa.pyin : The reference implementation.
    auralis_dsp.yin : Fundamental frequency (F0) estimation using the YIN algorithm.

    Examples
    --------
    >>> import librosa
    >>> y = librosa.chirp(fmin=220, fmax=440, duration=2.0, sr=22050)
    >>> f0, voiced_flag, voiced_prob = auralis_dsp.pyin(y, fmin=65.4, fmax=2093.0, sr=22050)
    """
    if fmin is None or fmax is None:
        raise ParameterError('both "fmin" and "fmax" must be provided')
    _check_win_length(win_length, "pyin")
    if is_v1():
        if isinstance(transition_min_prob, _LibrosaDefault):
            transition_min_prob = 1e-4
    else:
        if not isinstance(transition_min_prob, _LibrosaDefault):
            raise TypeError("pyin() got an unexpected keyword argument 'transition_min_prob'")
        transition_min_prob = None
    _check_yin_params(sr=sr, fmax=fmax, fmin=fmin, frame_length=frame_length)
    if hop_length is None:
        hop_length = frame_length // 4
    y, params = _framing_request(
        y,
        sr=sr,
        fmin=fmin,
        fmax=fmax,
        frame_length=frame_length,
        hop_length=hop_length,
        center=center,
        pad_mode=pad_mode,
    )
    n_thresholds = operator.index(n_thresholds)  # as librosa's linspace: a TypeError for non-integers
    if not resolution > 0:
        raise ParameterError(f"resolution={resolution} must be positive")
    beta_a, beta_b = (float(v) for v in beta_parameters)
    if not (beta_a > 0 and beta_b > 0):
        raise UnsupportedParameter(
            f"beta_parameters={tuple(beta_parameters)} must be positive (librosa returns NaN probabilities)"
        )
    if not boltzmann_parameter > 0:
        raise UnsupportedParameter(
            f"boltzmann_parameter={boltzmann_parameter} must be positive (librosa returns NaN probabilities)"
        )
    stay = np.tile(np.asarray(1 - switch_prob, dtype=np.float64), 2)
    if np.any(stay < 0) or np.any(stay > 1):
        raise ParameterError(f"prob={stay} must have values in the range [0, 1]")
    if transition_min_prob is not None and not transition_min_prob >= 0:
        raise ParameterError(f"Invalid transition_min_prob={transition_min_prob}, must be None or non-negative.")
    params.update(
        n_thresholds=n_thresholds,
        beta_parameters=[beta_a, beta_b],
        boltzmann_parameter=float(boltzmann_parameter),
        resolution=float(resolution),
        max_transition_rate=float(max_transition_rate),
        switch_prob=float(switch_prob),
        no_trough_prob=float(no_trough_prob),
        transition_min_prob=None if transition_min_prob is None else float(transition_min_prob),
    )
    wire, lead = signal_to_wire(y)
    _, result = _backend.call("pyin", params, {"y": wire})
    states = result["states"]
    # librosa's pitch grid, with numpy's power (the kernel returns states, not Hz).
    n_bins_per_semitone = int(np.ceil(1.0 / resolution))
    n_pitch_bins = int(np.floor(12 * n_bins_per_semitone * np.log2(fmax / fmin))) + 1
    freqs = fmin * 2 ** (np.arange(n_pitch_bins) / (12 * n_bins_per_semitone))
    f0 = freqs[states % n_pitch_bins]
    voiced_flag = states < n_pitch_bins
    if fill_na is not None:
        f0[~voiced_flag] = fill_na
    shape = lead + (states.shape[-1],)
    return f0.reshape(shape), voiced_flag.reshape(shape), result["voiced_prob"].reshape(shape)
