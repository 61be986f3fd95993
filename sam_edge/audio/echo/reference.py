"""The echo reference as the canceller needs it: what was played, at 16 kHz mono.

Players write whatever their source is (librespot 44.1 kHz stereo, mpv 48 kHz, replies
16-24 kHz mono). :class:`ReferenceStream` takes those bytes as they are written, mixes the
channels down (the small speaker is mono) and resamples with libsoxr's streaming resampler,
which keeps the output time-aligned with the input (its own delay is trimmed, so samples
arrive a few milliseconds later but in the right place).
"""

from __future__ import annotations

import numpy as np
import soxr

from ..format import SAMPLE_RATE

MIN_RATE = 8_000
MAX_RATE = 384_000
MAX_CHANNELS = 8


class ReferenceStream:
    """16-bit interleaved PCM in, float32 16 kHz mono out, in the order it was written."""

    def __init__(self, sample_rate: int, channels: int, out_rate: int = SAMPLE_RATE) -> None:
        if not MIN_RATE <= sample_rate <= MAX_RATE:
            raise ValueError(f"the reference sample rate must be {MIN_RATE}-{MAX_RATE} Hz, "
                             f"got {sample_rate}")
        if not 1 <= channels <= MAX_CHANNELS:
            raise ValueError(f"the reference must have 1-{MAX_CHANNELS} channels, got {channels}")
        self.sample_rate = sample_rate
        self.channels = channels
        self._resampler = (soxr.ResampleStream(sample_rate, out_rate, 1, dtype="float32",
                                               quality="HQ")
                           if sample_rate != out_rate else None)
        self._pending = b""
        self._chunks: list[np.ndarray] = []
        self._buffer = np.zeros(0, dtype=np.float32)
        self._ended = False

    def write(self, pcm: bytes) -> None:
        """Add played PCM; a partial sample frame is kept for the next call."""
        if self._ended:
            raise ValueError("the reference stream has ended")
        data = self._pending + pcm
        whole = len(data) - len(data) % (2 * self.channels)
        self._pending = data[whole:]
        if whole:
            samples = np.frombuffer(data[:whole], dtype="<i2").astype(np.float32)
            self._push(samples.reshape(-1, self.channels).mean(axis=1), last=False)

    def end(self) -> None:
        """No more reference: let the resampler hand over what it still holds."""
        if not self._ended:
            self._push(np.zeros(0, dtype=np.float32), last=True)
            self._ended = True

    def _push(self, mono: np.ndarray, *, last: bool) -> None:
        out = mono if self._resampler is None else self._resampler.resample_chunk(mono, last=last)
        if len(out):
            self._chunks.append(np.asarray(out, dtype=np.float32))

    @property
    def available(self) -> int:
        return len(self._buffer) + sum(len(c) for c in self._chunks)

    @property
    def ended(self) -> bool:
        return self._ended

    def skip(self, n: int) -> int:
        """Drop up to ``n`` samples that arrived too late to be used; returns how many."""
        self._gather()
        dropped = min(n, len(self._buffer))
        self._buffer = self._buffer[dropped:]
        return dropped

    def _gather(self) -> None:
        if self._chunks:
            self._buffer = np.concatenate([self._buffer, *self._chunks])
            self._chunks = []

    def read(self, n: int) -> np.ndarray:
        """The next ``n`` samples; after :meth:`end`, silence stands in for what is missing."""
        self._gather()
        if len(self._buffer) < n:
            if not self._ended:
                raise ValueError(f"only {len(self._buffer)} reference samples are ready, "
                                 f"{n} were asked for")
            self._buffer = np.concatenate(
                [self._buffer, np.zeros(n - len(self._buffer), dtype=np.float32)])
        out, self._buffer = self._buffer[:n], self._buffer[n:]
        return out
