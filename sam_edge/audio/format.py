"""The one audio format the pipeline speaks internally: 16 kHz, mono, 16-bit little-endian PCM."""

from __future__ import annotations

import array
import io
import wave
from dataclasses import dataclass

SAMPLE_RATE = 16_000
SAMPLE_WIDTH = 2
CHANNELS = 1
FRAME_MS = 30
FRAME_SAMPLES = SAMPLE_RATE * FRAME_MS // 1000
FRAME_BYTES = FRAME_SAMPLES * SAMPLE_WIDTH


@dataclass(frozen=True, slots=True)
class Clip:
    """A piece of PCM audio in the internal format."""

    pcm: bytes
    sample_rate: int = SAMPLE_RATE

    @property
    def duration_s(self) -> float:
        return len(self.pcm) / (SAMPLE_WIDTH * self.sample_rate)

    def to_wav(self) -> bytes:
        return pcm_to_wav(self.pcm, self.sample_rate)


def pcm_to_wav(pcm: bytes, sample_rate: int = SAMPLE_RATE) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as wav:
        wav.setnchannels(CHANNELS)
        wav.setsampwidth(SAMPLE_WIDTH)
        wav.setframerate(sample_rate)
        wav.writeframes(pcm)
    return buf.getvalue()


def scale(pcm: bytes, volume: int) -> bytes:
    """``pcm`` at ``volume`` percent (the voice's own volume, apart from the music's)."""
    if volume >= 100 or not pcm:
        return pcm
    samples = array.array("h")
    samples.frombytes(pcm[: len(pcm) - len(pcm) % SAMPLE_WIDTH])
    factor = max(0, volume) / 100
    for i, value in enumerate(samples):
        samples[i] = int(value * factor)
    return samples.tobytes()


def frames(pcm: bytes, frame_bytes: int = FRAME_BYTES) -> list[bytes]:
    """Whole frames of ``pcm``; a trailing partial frame is dropped."""
    return [pcm[i:i + frame_bytes] for i in range(0, len(pcm) - frame_bytes + 1, frame_bytes)]
