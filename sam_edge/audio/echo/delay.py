"""How much later the microphone hears what was played: GCC-PHAT over the recent past.

The bulk delay (output buffers, the converter, the air) can exceed a canceller's filter, and
any of it that the filter must model is filter length wasted. Every ``every_ms`` the last
``window_ms`` of microphone and reference are cross-correlated with the phase transform
(whitened, so a bass line or a held chord does not dominate the peak); a lag is accepted when
its peak stands well clear of the rest and two estimates in a row agree. Only the past is used,
and the caller stops feeding while someone speaks.

Estimates are refined below one sample (a parabola through the peak and its neighbours) and
kept with their time, so :meth:`DelayEstimator.drift` can fit the slope that a microphone
clock running a little fast or slow against the output gives them (parts per million).
"""

from __future__ import annotations

from collections import deque
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
    drift_span_ms: int = 8000
    """Estimates this recent are fitted for the drift."""
    min_drift_points: int = 5
    max_drift_ppm: float = 300.0


class DelayEstimator:
    """Feed it aligned microphone and reference blocks; :attr:`delay` is the accepted lag."""

    def __init__(self, config: DelayConfig | None = None) -> None:
        self.config = c = config or DelayConfig()
        self._max_lag = c.max_delay_ms * c.sample_rate // 1000
        self._window = c.window_ms * c.sample_rate // 1000
        self._every = c.every_ms * c.sample_rate // 1000
        size = self._window + self._max_lag
        self._fft = 1 << (size + self._max_lag - 1).bit_length()
        self._mic = np.zeros(size, dtype=np.float32)
        self._ref = np.zeros(size, dtype=np.float32)
        self._filled = 0
        self._since = 0
        self._candidate: float | None = None
        self.delay: float | None = None
        """Accepted delay in samples, or ``None`` until one is found."""
        self.latest: float | None = None
        """The most recent estimate that stood clear (accepted or not)."""
        self.estimates = 0
        self._clock = 0
        self._history: deque[tuple[int, float]] = deque()
        self._span = c.drift_span_ms * c.sample_rate // 1000
        self._slope: float | None = None

    def push(self, mic: np.ndarray, ref: np.ndarray, *, adapt: bool = True) -> float | None:
        """Take one block of each; returns a newly accepted delay (samples), else ``None``."""
        n = len(mic)
        self._clock += n
        self._mic[:-n] = self._mic[n:]
        self._mic[-n:] = mic
        self._ref[:-n] = self._ref[n:]
        self._ref[-n:] = ref
        self._filled = min(len(self._mic), self._filled + n)
        self._since += n
        if not adapt or self._since < self._every or self._filled < len(self._mic):
            return None
        self._since = 0
        lag = self._estimate()
        if lag is None:
            return None
        self.latest = lag
        self._history.append((self._clock, lag))
        self._slope = None
        while self._history[0][0] < self._clock - self._span:
            self._history.popleft()
        agree = self.config.agree_ms * self.config.sample_rate / 1000
        accepted = self._candidate is not None and abs(lag - self._candidate) <= agree
        self._candidate = lag
        if accepted and (self.delay is None or abs(lag - self.delay) > agree):
            self.delay = lag
            return lag
        return None

    def drift(self) -> float | None:
        """Delay change per sample (``+50e-6``: the echo comes 50 ppm later every sample),
        fitted over the recent estimates; ``None`` until there are enough."""
        c = self.config
        if self._slope is not None:
            return self._slope
        if len(self._history) < c.min_drift_points:
            return None
        t = np.array([p[0] for p in self._history], dtype=np.float64)
        d = np.array([p[1] for p in self._history], dtype=np.float64)
        if t[-1] - t[0] < self._every * (c.min_drift_points - 1):
            return None
        slope = float(np.polyfit(t - t[0], d, 1)[0])
        limit = c.max_drift_ppm * 1e-6
        self._slope = max(-limit, min(limit, slope))
        return self._slope

    def _estimate(self) -> float | None:
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
        if 0 < best < self._max_lag:
            left, mid, right = scores[best - 1], scores[best], scores[best + 1]
            curve = left - 2 * mid + right
            if curve < 0:
                return best + 0.5 * float(left - right) / float(curve)
        return float(best)
