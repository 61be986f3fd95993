"""Short tones that tell the user where SAM is without words: listening, done, something failed.

Generated with plain math on first use (no sound files to ship) as 16 kHz mono int16 PCM. Each
tone has a short raised-cosine fade in and out so it starts and stops without a click.
"""

from __future__ import annotations

import math
import sys
from array import array
from enum import StrEnum
from functools import cache

from ..audio.format import SAMPLE_RATE

FADE_S = 0.008


class Earcon(StrEnum):
    WAKE = "wake"
    """Rising two-tone, ~150 ms: "I'm listening"."""
    DONE = "done"
    """One soft tone: the command went through."""
    ERROR = "error"
    """Low double beep: it did not."""


def _tone(freq: float, seconds: float, level: float, *, decay: float = 0.0) -> list[float]:
    count = int(seconds * SAMPLE_RATE)
    fade = max(1, int(FADE_S * SAMPLE_RATE))
    out = []
    for i in range(count):
        edge = min(i, count - 1 - i)
        envelope = 0.5 - 0.5 * math.cos(math.pi * edge / fade) if edge < fade else 1.0
        if decay:
            envelope *= math.exp(-decay * i / SAMPLE_RATE)
        out.append(level * envelope * math.sin(2 * math.pi * freq * i / SAMPLE_RATE))
    return out


def _silence(seconds: float) -> list[float]:
    return [0.0] * int(seconds * SAMPLE_RATE)


def _to_pcm(samples: list[float]) -> bytes:
    pcm = array("h", (max(-32767, min(32767, round(s * 32767))) for s in samples))
    if sys.byteorder == "big":
        pcm.byteswap()
    return pcm.tobytes()


@cache
def earcon(kind: Earcon | str) -> bytes:
    """The tone for ``kind`` as 16 kHz mono int16 PCM (computed once, then reused)."""
    kind = Earcon(kind)
    if kind is Earcon.WAKE:
        samples = _tone(660.0, 0.07, 0.30) + _tone(990.0, 0.08, 0.30)
    elif kind is Earcon.DONE:
        samples = _tone(784.0, 0.14, 0.18, decay=12.0)
    else:
        samples = _tone(220.0, 0.09, 0.35) + _silence(0.06) + _tone(220.0, 0.09, 0.35)
    return _to_pcm(samples)
