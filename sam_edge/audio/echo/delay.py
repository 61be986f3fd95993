"""How much later the microphone hears what was played: GCC-PHAT over the recent past.

The bulk delay (output buffers, the converter, the air) can exceed a canceller's filter, and
any of it that the filter must model is filter length wasted. Every ``every_ms`` the last
``window_ms`` of microphone and reference are cross-correlated with the phase transform
(whitened, so a bass line or a held chord does not dominate the peak); a lag is accepted when
its peak stands well clear of the rest and two estimates in a row agree. Only the past is used,
and the caller stops feeding while someone speaks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class DelayConfig:
    sample_rate: int = 16_000
    max_delay_ms: int = 250
    window_ms: int = 1000
    every_ms: int = 300
    min_peak_ratio: float = 6.0
    """The peak must be this many times the mean absolute correlation."""
    agree_ms: float = 1.0
    min_level: float = 30.0
    """RMS (16-bit scale) below which the reference is too quiet to estimate from."""


class DelayEstimator:
    """Feed it aligned microphone and reference blocks; :attr:`delay` is the accepted lag."""

    def __init__(self, config: DelayConfig | None = None) -> None:
        self.config = c = config or DelayConfig()
        self._max_lag = c.max_delay_ms * c.sample_rate // 1000
        self._window = c.window_ms * c.sample_rate // 1000
        self._every = c.every_ms * c.sample_rate // 1000
        size = self._window + self._max_lag
        self._fft = 1 << (2 * size - 1).bit_length()
        self._mic = np.zeros(size, dtype=np.float32)
        self._ref = np.zeros(size, dtype=np.float32)
        self._filled = 0
        self._since = 0
        self._candidate: int | None = None
        self.delay: int | None = None
        """Accepted delay in samples, or ``None`` until one is found."""
        self.estimates = 0

    def push(self, mic: np.ndarray, ref: np.ndarray, *, adapt: bool = True) -> int | None:
        """Take one block of each; returns a newly accepted delay (samples), else ``None``."""
        n = len(mic)
        self._mic = np.roll(self._mic, -n)
        self._mic[-n:] = mic
        self._ref = np.roll(self._ref, -n)
        self._ref[-n:] = ref
        self._filled = min(len(self._mic), self._filled + n)
        self._since += n
        if not adapt or self._since < self._every or self._filled < len(self._mic):
            return None
        self._since = 0
        lag = self._estimate()
        if lag is None:
            return None
        agree = self.config.agree_ms * self.config.sample_rate / 1000
        accepted = self._candidate is not None and abs(lag - self._candidate) <= agree
        self._candidate = lag
        if accepted and lag != self.delay:
            self.delay = lag
            return lag
        return None

    def _estimate(self) -> int | None:
        mic = self._mic[-self._window:]
        ref = self._ref
        if float(np.sqrt(np.mean(ref[-self._window:] ** 2))) < self.config.min_level:
            return None
        self.estimates += 1
        cross = np.fft.rfft(mic, self._fft) * np.conj(np.fft.rfft(ref, self._fft))
        corr = np.fft.irfft(cross / (np.abs(cross) + 1e-9), self._fft)
        # mic[t] against ref[t + max_lag - lag]: index (lag - max_lag) mod fft.
        lags = np.arange(self._max_lag + 1)
        scores = np.abs(corr[(lags - self._max_lag) % self._fft])
        best = int(np.argmax(scores))
        if scores[best] < self.config.min_peak_ratio * float(np.mean(scores)):
            return None
        return best
