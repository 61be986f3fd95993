"""The echo canceller in the capture path: speex's MDF filter, aligned and watched.

Per 30 ms microphone frame and the reference played over the same 30 ms (16 kHz mono):

1. The reference goes into a delay line; :class:`~.delay.DelayEstimator` finds the bulk delay.
   A delay longer than ``free_delay_ms`` is taken out (less a small margin) so the filter's
   ``tail_ms`` covers the room's reverberation instead of buffers; the filter then starts over,
   as it does when the delay jumps by more than ``realign_ms`` (a new device, a restarted
   player).
2. Clock drift: a USB microphone's clock differs from the output's by tens of ppm, so the echo
   path slides by about a sample a second, faster than an adaptive filter follows on music
   (measured: 11-13 dB ERLE instead of 16-19 dB at 40-60 ppm). The delay estimator's slope
   gives the drift, and the delay line reads the reference at a fractional position that
   moves with it (an 8-tap windowed-sinc interpolator), so the filter sees a still room.
3. The MDF filter (libspeexdsp) cancels in 10 ms blocks.
4. Double talk: while the caller reports near-end speech (``near_speech``) the delay
   estimator and the residual-echo model stop learning; the MDF filter lowers its own step
   size when the residual outgrows the echo it explains, so it holds its estimate.
5. ERLE is counted over frames with music and no near-end speech, per turn
   (:meth:`EchoCanceller.take_erle`).

libspeexdsp's residual-echo suppressor is not used: it removes voice along with echo. The
residual decision is made by :mod:`.residual`, which compares the cancelled signal with the
echo expected from the reference, and :mod:`.suppressor` lowers that expected residual in the
audio by a few dB at most.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..format import FRAME_SAMPLES, SAMPLE_RATE
from .delay import DelayConfig, DelayEstimator
from .speex import SpeexEcho

BLOCK = SAMPLE_RATE // 100
TAPS = np.arange(-3, 5)
"""Offsets read around each fractional position; they need 4 samples of history ahead."""
MIN_SHIFT = 4.0


@dataclass(frozen=True, slots=True)
class EchoConfig:
    """Canceller settings; the defaults are what the corpus measurements chose."""

    tail_ms: int = 250
    """Filter length after the bulk delay: the room's reverberation it can cancel."""
    max_delay_ms: int = 250
    margin_ms: int = 8
    """Filter taps kept before the estimated delay (the delay is never exact)."""
    realign_ms: int = 6
    free_delay_ms: int = 50
    """Delays up to this stay inside the filter: taking them out would cost a restart."""
    min_reference_rms: float = 30.0
    """Below this (16-bit scale) the reference counts as silence for ERLE."""

    def __post_init__(self) -> None:
        if self.tail_ms < 100:
            raise ValueError(f"tail_ms must be at least 100, got {self.tail_ms}")
        if not 0 <= self.margin_ms < self.max_delay_ms:
            raise ValueError("margin_ms must be between 0 and max_delay_ms")


@dataclass(frozen=True, slots=True)
class EchoFrame:
    """One cancelled frame and what the canceller knows about it."""

    cancelled: np.ndarray
    """int16, the microphone with the estimated echo removed."""
    reference: np.ndarray
    """float32, the reference aligned the way the filter saw it (for the residual model)."""
    mic_energy: float
    out_energy: float


class EchoCanceller:
    def __init__(self, config: EchoConfig | None = None) -> None:
        self.config = c = config or EchoConfig()
        self._margin = c.margin_ms * SAMPLE_RATE // 1000
        self._history = (c.max_delay_ms * SAMPLE_RATE // 1000) + FRAME_SAMPLES + len(TAPS)
        self._line = np.zeros(self._history, dtype=np.float32)
        self._delay = DelayEstimator(DelayConfig(max_delay_ms=c.max_delay_ms))
        self._speex = SpeexEcho(BLOCK, c.tail_ms * SAMPLE_RATE // 1000, SAMPLE_RATE)
        self.shift = MIN_SHIFT
        """Samples (fractional) by which the reference is held back before the filter."""
        self.drift = 0.0
        """Change of ``shift`` per sample, from the delay estimates (clock drift)."""
        self.realigned = 0
        self._mic_sum = 0.0
        self._out_sum = 0.0

    @property
    def delay_ms(self) -> float | None:
        d = self._delay.delay
        return None if d is None else d * 1000 / SAMPLE_RATE

    def process(self, mic: np.ndarray, reference: np.ndarray, *,
                near_speech: bool = False) -> EchoFrame:
        """Cancel one frame (``FRAME_SAMPLES`` int16 microphone samples and as many float
        reference samples, played over the same 30 ms)."""
        n = len(mic)
        if n != FRAME_SAMPLES or len(reference) != n:
            raise ValueError(f"echo frames are {FRAME_SAMPLES} samples of microphone and of "
                             f"reference, got {n} and {len(reference)}")
        self._line[:-n] = self._line[n:]
        self._line[-n:] = reference
        accepted = self._delay.push(mic.astype(np.float32), reference, adapt=not near_speech)
        if accepted is not None:
            self._realign(accepted)
        drift = self._delay.drift()
        if drift is not None:
            self.drift = drift
        aligned = self._read(n)
        limit = len(self._line) - n - len(TAPS)
        self.shift = min(float(limit), max(MIN_SHIFT, self.shift + self.drift * n))
        ref16 = np.clip(np.round(aligned), -32768, 32767).astype(np.int16)
        out = np.empty(n, dtype=np.int16)
        for i in range(0, n, BLOCK):
            out[i:i + BLOCK] = self._speex.process(mic[i:i + BLOCK], ref16[i:i + BLOCK])
        mic_e = float(np.dot(mic.astype(np.float64), mic.astype(np.float64)))
        out_e = float(np.dot(out.astype(np.float64), out.astype(np.float64)))
        ref_rms = float(np.sqrt(np.mean(aligned.astype(np.float64) ** 2)))
        if not near_speech and ref_rms >= self.config.min_reference_rms:
            self._mic_sum += mic_e
            self._out_sum += out_e
        return EchoFrame(out, aligned, mic_e, out_e)

    def _read(self, n: int) -> np.ndarray:
        """The reference ``shift`` samples back, for the newest ``n`` positions."""
        whole = int(np.floor(self.shift))
        frac = self.shift - whole
        u = TAPS - frac
        weights = np.sinc(u) * (0.5 + 0.5 * np.cos(np.pi * u / 4.5))
        weights /= weights.sum()
        end = len(self._line) - whole
        # Sample t - whole - m for each output position t and offset m.
        first = end - n - TAPS[-1]
        window = self._line[first:end - TAPS[0]]
        view = np.lib.stride_tricks.sliding_window_view(window, len(TAPS))
        shaped: np.ndarray = (view[:, ::-1] @ weights).astype(np.float32)
        return shaped

    def _realign(self, delay: float) -> None:
        free = self.config.free_delay_ms * SAMPLE_RATE / 1000
        wanted = max(MIN_SHIFT, delay - self._margin) if delay > free else MIN_SHIFT
        first = self.realigned == 0
        if abs(wanted - self.shift) * 1000 / SAMPLE_RATE >= self.config.realign_ms or (
                first and wanted > MIN_SHIFT):
            self.shift = wanted
            self.realigned += 1
            self._speex.reset()

    def take_erle(self) -> float | None:
        """ERLE in dB since the last call (music frames without near-end speech), or ``None``
        when there was no music to measure it on."""
        mic, out = self._mic_sum, self._out_sum
        self._mic_sum = self._out_sum = 0.0
        if mic <= 0.0:
            return None
        return round(10 * math.log10(mic / max(out, 1e-9)), 2)

    def close(self) -> None:
        self._speex.close()
