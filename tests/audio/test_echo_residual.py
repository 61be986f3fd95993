"""The residual-echo gate: what the reference explains, per FFT bin, and what it does not."""

from __future__ import annotations

import numpy as np

from sam_edge.audio.echo.residual import ResidualModel
from sam_edge.audio.format import FRAME_SAMPLES, SAMPLE_RATE


def tones(hz: tuple[float, ...], frame: int, level: float) -> np.ndarray:
    t = (np.arange(FRAME_SAMPLES) + frame * FRAME_SAMPLES) / SAMPLE_RATE
    return (level * sum(np.sin(2 * np.pi * f * t) for f in hz)).astype(np.float32)


CHORD = (1650.0, 2000.0, 2400.0)
"""Partials of the music, each in a band of its own (1.6-1.9, 1.9-2.4, 2.4-2.9 kHz)."""


def trained(frames: int = 60) -> ResidualModel:
    """A model that heard a chord leak through the canceller at -20 dB while nobody spoke."""
    model = ResidualModel()
    for k in range(frames):
        music = tones(CHORD, k, 3000.0)
        model.update(music * 0.1, music, learn=True)
    return model


def test_the_music_own_residual_is_explained() -> None:
    model = trained()
    music = tones(CHORD, 60, 3000.0)
    assert model.update(music * 0.1, music, learn=False).excess < 0.1


def test_a_voice_between_the_music_partials_is_not_explained() -> None:
    """In the same bands as the music's residual, twice as loud, but on other frequencies:
    the expectation follows the reference's own spectrum, so the voice stands out."""
    model = trained()
    music = tones(CHORD, 60, 3000.0)
    voice = tones((1850.0, 2200.0, 2650.0), 60, 600.0)
    verdict = model.update(music * 0.1 + voice, music, learn=False)
    assert verdict.excess > 0.5


def test_without_a_reference_everything_above_the_noise_is_unexplained() -> None:
    model = ResidualModel()
    quiet = np.random.default_rng(0).standard_normal(FRAME_SAMPLES).astype(np.float32)
    for _ in range(20):
        model.update(quiet, None, learn=True)
    voice = tones((200.0, 400.0, 600.0, 800.0), 0, 2000.0)
    assert model.update(voice + quiet, None, learn=False).excess > 0.8
