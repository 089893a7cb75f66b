"""auralis_dsp.patch()/unpatch()/patched(): librosa's entry points routed to the shims and put back exactly."""
from __future__ import annotations

import importlib
import logging

import librosa
import numpy as np
import pytest

import auralis_dsp
from auralis_dsp import _backend, _patch
from auralis_dsp.exceptions import BridgeError
from helpers import assert_parity
from parity.signals import synthetic

SR = 22050
C2, C7 = 65.40639132514966, 2093.004522404789


@pytest.fixture(autouse=True)
def _always_unpatched():
    auralis_dsp.unpatch()
    _patch._logged.clear()
    yield
    auralis_dsp.unpatch()


@pytest.fixture(scope="module")
def audio() -> np.ndarray:
    return synthetic("music_like", SR, 3 * SR).astype(np.float32)


def namespace_state() -> dict:
    """Every patched name as the module's __dict__ holds it (None: absent, for librosa's lazy loader to resolve)."""
    state = {}
    for module_name, attr, _ in _patch._TABLE:
        module = importlib.import_module(module_name)
        state[(module_name, attr)] = module.__dict__.get(attr)
    return state


@pytest.fixture
def kernel_calls(monkeypatch):
    """The ops sent to the kernels while the test runs."""
    ops = []
    real_call = _backend.call

    def counting(op, params, arrays):
        ops.append(op)
        return real_call(op, params, arrays)

    monkeypatch.setattr(_backend, "call", counting)
    return ops


def harmonic_analyzer(y: np.ndarray, sr: int) -> tuple:
    """A librosa-only client, as a mastering tool's analyzer calls it."""
    y_harmonic, y_percussive = librosa.effects.hpss(y)
    f0 = librosa.yin(y, fmin=C2, fmax=C7, sr=sr)
    chroma = librosa.feature.chroma_cqt(y=y, sr=sr)
    return y_harmonic, y_percussive, f0, chroma


def test_unchanged_client_code_gives_librosas_results_on_the_kernels(audio, kernel_calls):
    reference = harmonic_analyzer(audio, SR)
    assert kernel_calls == []
    with auralis_dsp.patched():
        routed = harmonic_analyzer(audio, SR)
    assert kernel_calls == ["effects.hpss", "yin", "chroma_cqt"]
    assert_parity(routed[0], reference[0], 1e-4)
    assert_parity(routed[1], reference[1], 1e-4)
    f0, f0_ref = routed[2], reference[2]
    assert f0.shape == f0_ref.shape and f0.dtype == f0_ref.dtype
    assert np.mean(np.abs(f0 - f0_ref) <= 1e-4 * f0_ref) >= 0.999
    assert routed[3].shape == reference[3].shape and routed[3].dtype == reference[3].dtype
    assert np.max(np.abs(routed[3] - reference[3])) <= 1e-4


def test_every_entry_and_its_core_alias_is_routed(kernel_calls):
    auralis_dsp.patch()
    for module_name, attr, _dotted in _patch._TABLE:
        if attr == "pyin" and not hasattr(auralis_dsp, "pyin"):
            continue
        routed = getattr(importlib.import_module(module_name), attr)
        assert routed.__auralis_dsp_original__ is not routed, (module_name, attr)
        assert routed.__name__ == attr
    assert librosa.stft is librosa.core.stft  # one wrapper per original function
    y = np.random.default_rng(1).standard_normal(4096)
    librosa.core.stft(y)
    librosa.core.istft(librosa.stft(y))
    librosa.decompose.hpss(np.abs(librosa.stft(y)))
    librosa.effects.harmonic(y)
    librosa.effects.percussive(y)
    librosa.feature.chroma_stft(y=y, sr=SR)
    librosa.estimate_tuning(y=y, sr=SR)
    librosa.core.cqt(y, sr=SR)
    assert kernel_calls == [
        "stft", "stft", "istft", "stft", "hpss", "effects.hpss", "effects.hpss", "chroma_stft", "estimate_tuning",
        "cqt",
    ]


def test_unpatch_restores_the_originals_exactly(monkeypatch):
    for module_name, attr, _ in _patch._TABLE:
        getattr(importlib.import_module(module_name), attr)  # librosa's lazy loader caches what it resolved
    monkeypatch.delitem(librosa.__dict__, "cqt")  # and one name not resolved yet
    before = namespace_state()
    assert before[("librosa", "cqt")] is None
    auralis_dsp.patch()
    assert namespace_state() != before
    auralis_dsp.patch()  # twice is harmless: the originals are still the ones remembered
    auralis_dsp.unpatch()
    assert namespace_state() == before
    auralis_dsp.unpatch()
    assert namespace_state() == before
    assert not auralis_dsp._patch.is_patched()
    assert librosa.cqt is librosa.core.constantq.cqt


def test_patched_block_and_an_outer_patch():
    original = librosa.effects.hpss
    with auralis_dsp.patched():
        assert librosa.effects.hpss is not original
    assert librosa.effects.hpss is original
    auralis_dsp.patch()
    with auralis_dsp.patched():
        pass
    assert librosa.effects.hpss is not original  # it was patched before the block: it stays patched
    with pytest.raises(RuntimeError), auralis_dsp.patched():
        raise RuntimeError("the block failed")
    auralis_dsp.unpatch()
    with pytest.raises(RuntimeError), auralis_dsp.patched():
        raise RuntimeError("the block failed")
    assert librosa.effects.hpss is original


def test_a_reference_taken_before_patching_keeps_librosas_function():
    from librosa.effects import hpss as bound_before

    auralis_dsp.patch()
    assert bound_before is librosa.effects.hpss.__auralis_dsp_original__


def test_unimplemented_option_falls_back_to_librosa_with_one_debug_line(audio, kernel_calls, caplog):
    caplog.set_level(logging.DEBUG, logger="auralis_dsp.patch")
    reference = librosa.feature.chroma_cqt(y=audio, sr=SR, cqt_mode="hybrid")
    with auralis_dsp.patched():
        first = librosa.feature.chroma_cqt(y=audio, sr=SR, cqt_mode="hybrid")
        second = librosa.feature.chroma_cqt(y=audio, sr=SR, cqt_mode="hybrid")
    np.testing.assert_array_equal(first, reference)
    np.testing.assert_array_equal(second, reference)
    assert "chroma_cqt" not in kernel_calls
    lines = [r for r in caplog.records if "chroma_cqt" in r.getMessage()]
    assert len(lines) == 1 and lines[0].levelno == logging.DEBUG
    assert "hybrid" in lines[0].getMessage()


def test_keyword_the_shim_lacks_goes_to_librosa(monkeypatch, kernel_calls):
    # A shim without one of librosa's keywords (as a newer librosa might add): librosa answers.
    def narrow_yin(y, *, fmin, fmax, sr=22050):
        raise AssertionError("the shim cannot take frame_length")

    monkeypatch.setattr(auralis_dsp, "yin", narrow_yin)
    y = synthetic("music_like", SR, SR)
    reference = librosa.yin(y, fmin=C2, fmax=C7, sr=SR, frame_length=4096)
    with auralis_dsp.patched():
        np.testing.assert_array_equal(librosa.yin(y, fmin=C2, fmax=C7, sr=SR, frame_length=4096), reference)
    assert kernel_calls == []


def error_of(call) -> BaseException:
    with pytest.raises(Exception) as info:
        call()
    return info.value


@pytest.mark.parametrize(
    "call",
    [
        lambda y: librosa.yin(y, fmin=0, fmax=2000, sr=SR),  # ParameterError
        lambda y: librosa.yin(y, fmin=C2, fmax=C7, sr=SR, no_such_option=1),  # unknown keyword
        lambda y: librosa.effects.hpss(y, margin=0.5),  # ParameterError
        lambda y: librosa.stft(y.astype(np.int16)),  # non-float audio
        lambda y: librosa.stft(y, 1024),  # positional where librosa is keyword-only
        lambda y: librosa.feature.chroma_cqt(sr=SR),  # neither y nor C
    ],
)
def test_user_errors_surface_as_librosas(audio, call):
    expected = error_of(lambda: call(audio))
    with auralis_dsp.patched():
        got = error_of(lambda: call(audio))
    assert type(got) is type(expected)
    assert str(got) == str(expected)


def test_a_failing_backend_falls_back_with_a_warning(audio, monkeypatch, caplog):
    def broken(op, params, arrays):
        raise BridgeError("the kernel process died")

    reference = librosa.effects.hpss(audio)
    monkeypatch.setattr(_backend, "call", broken)
    with auralis_dsp.patched():
        harmonic, percussive = librosa.effects.hpss(audio)
    np.testing.assert_array_equal(harmonic, reference[0])
    np.testing.assert_array_equal(percussive, reference[1])
    assert any(r.levelno == logging.WARNING and "died" in r.getMessage() for r in caplog.records)


def test_pyin_is_routed_only_when_auralis_dsp_has_it(monkeypatch):
    original = librosa.pyin
    if not hasattr(auralis_dsp, "pyin"):
        auralis_dsp.patch()
        assert librosa.pyin is original
        auralis_dsp.unpatch()
    answers = (np.array([220.0]), np.array([True]), np.array([0.9]))
    monkeypatch.setattr(auralis_dsp, "pyin", lambda y, *, fmin, fmax, **kw: answers, raising=False)
    with auralis_dsp.patched():
        assert librosa.pyin(np.zeros(4096), fmin=C2, fmax=C7) is answers
        assert librosa.core.pyin is librosa.pyin
    assert librosa.pyin is original


def test_an_np_pad_mode_the_kernels_lack_is_librosas_answer(audio, kernel_calls):
    with pytest.raises(auralis_dsp.UnsupportedParameter):
        auralis_dsp.stft(audio, pad_mode="linear_ramp")
    reference = librosa.stft(audio, pad_mode="linear_ramp")
    kernel_calls.clear()
    with auralis_dsp.patched():
        np.testing.assert_array_equal(librosa.stft(audio, pad_mode="linear_ramp"), reference)
    assert kernel_calls == []
