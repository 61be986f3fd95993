"""Residual-echo suppression: the echo the model explains is lowered, the voice is kept."""

from __future__ import annotations

import numpy as np
import pytest

from sam_edge.audio.echo.residual import FFT_SIZE, ResidualModel
from sam_edge.audio.echo.suppressor import HOP, ResidualSuppressor, SuppressorConfig
from sam_edge.audio.format import FRAME_SAMPLES, SAMPLE_RATE

SPAN = ResidualModel().span
WINDOW = np.hanning(FRAME_SAMPLES)


def tone(hz: float, seconds: float, amplitude: float) -> np.ndarray:
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    signal: np.ndarray = amplitude * np.sin(2 * np.pi * hz * t)
    return signal


def power(frame: np.ndarray) -> np.ndarray:
    spectrum = np.fft.rfft(frame * WINDOW, FFT_SIZE)[SPAN]
    result: np.ndarray = np.abs(spectrum) ** 2
    return result


def run(suppressor: ResidualSuppressor, mix: np.ndarray, echo: np.ndarray) -> np.ndarray:
    """Suppress ``mix`` frame by frame, the echo part known exactly (a perfect model)."""
    out = []
    for k in range(len(mix) // FRAME_SAMPLES):
        part = slice(k * FRAME_SAMPLES, (k + 1) * FRAME_SAMPLES)
        frame = np.round(mix[part]).astype(np.int16)
        out.append(suppressor.process(frame, power(frame.astype(float)), power(echo[part])))
    return np.concatenate(out).astype(float)


def level_at(signal: np.ndarray, hz: float) -> float:
    """Amplitude of the ``hz`` component (the signal after its first half second)."""
    tail = signal[SAMPLE_RATE // 2:]
    t = np.arange(len(tail)) / SAMPLE_RATE
    return float(2 * abs(np.mean(tail * np.exp(-2j * np.pi * hz * t))))


def test_nothing_expected_passes_the_audio_exactly_half_a_frame_late() -> None:
    rng = np.random.default_rng(3)
    audio = rng.normal(0, 3000, FRAME_SAMPLES * 40)
    out = run(ResidualSuppressor(SPAN), audio, np.zeros_like(audio))
    expected = np.round(audio)[:len(out) - HOP]
    assert np.max(np.abs(out[HOP:] - expected)[FRAME_SAMPLES:]) <= 2


def test_echo_alone_is_lowered_by_the_floor_and_no_further() -> None:
    echo = tone(440, 2.0, 8000)
    for floor in (-3.0, -12.0):
        out = run(ResidualSuppressor(SPAN, SuppressorConfig(floor_db=floor)), echo, echo)
        change = 20 * np.log10(level_at(out, 440) / 8000)
        assert change == pytest.approx(floor, abs=1.0)


def test_a_voice_beside_the_echo_survives() -> None:
    echo = tone(440, 2.0, 8000)
    voice = tone(1250, 2.0, 3000)
    out = run(ResidualSuppressor(SPAN, SuppressorConfig(floor_db=-12.0)), echo + voice, echo)
    assert 20 * np.log10(level_at(out, 1250) / 3000) > -1.0
    assert 20 * np.log10(level_at(out, 440) / 8000) < -9.0


def test_the_gain_falls_gradually_and_recovers_at_once() -> None:
    suppressor = ResidualSuppressor(SPAN, SuppressorConfig(floor_db=-30.0, release_db=6.0))
    frame = np.zeros(FRAME_SAMPLES, dtype=np.int16)
    ones = np.ones(SPAN.stop - SPAN.start)
    gains = [suppressor.gains(ones, ones).copy()[SPAN][0] for _ in range(3)]
    assert gains == pytest.approx([10 ** (-6 / 20), 10 ** (-12 / 20), 10 ** (-18 / 20)])
    # A voice that beats the echo gets its bins back in the same frame.
    assert suppressor.gains(ones * 100, ones)[SPAN][0] == pytest.approx(0.99)
    suppressor.process(frame, ones, ones * 0)
    assert suppressor.gains(ones * 100, ones * 0)[SPAN][0] == 1.0


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        SuppressorConfig(floor_db=3.0)
    with pytest.raises(ValueError):
        SuppressorConfig(release_db=0.0)
