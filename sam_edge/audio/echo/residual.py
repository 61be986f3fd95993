"""Residual echo: how much of the cancelled signal the reference still explains.

A linear canceller leaves echo behind (a filter that is still converging, reverberation past
its tail, the loudspeaker's clipping). This model predicts that residual from the reference and
tells how much of the cancelled frame stands *above* it: the voice energy the reference does
not explain. That figure, not the VAD alone, decides speech.

Per 30 ms frame (150 Hz-7.5 kHz):

- The reference power per FFT bin is held with a reverberant decay (``decay_db`` per frame),
  because a room keeps sounding after the music moves on.
- The leakage, the ratio of cancelled power to that held reference power per band (roughly
  third-octave), is tracked as a high quantile (it moves up fast and down slowly) and only
  while nobody speaks.
- **Loudspeaker non-linearity.** A small speaker clips loud passages, and clipping leaks
  energy a linear filter cannot cancel. The leakage is therefore learned separately for
  quiet, medium and loud reference frames, so a loud passage expects more residual.
- Expected residual per bin = the band's leakage x the held reference in that bin + the noise
  floor (minimum tracking). Per bin, because the residual of tonal music stays on the music's
  own partials, and a voice's harmonics between them are what the reference cannot explain.

:meth:`ResidualModel.update` returns the share of voice-band energy above ``margin_db`` of the
expected residual. The same per-bin expectation drives the gentle suppressor in
:mod:`.suppressor`; deep suppression would take the voice with it where the two overlap.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..format import FRAME_SAMPLES, SAMPLE_RATE

FFT_SIZE = 512
EDGES_HZ = (150, 250, 350, 450, 570, 710, 880, 1080, 1320, 1600, 1940, 2350, 2850, 3450,
            4200, 5100, 6200, 7500)
VOICE_HZ = (200.0, 4200.0)
LEVELS_DBFS = (-34.0, -22.0)
"""Reference frame RMS bounds between the quiet, medium and loud leakage classes."""


@dataclass(frozen=True, slots=True)
class ResidualConfig:
    decay_db: float = 4.0
    """Held reference power drops this much per 30 ms frame (about 450 ms to -60 dB)."""
    up_db: float = 3.0
    down_db: float = 0.1
    """Leakage steps: up fast on a frame above it, down slowly below it (a high quantile)."""
    margin_db: float = 1.0
    expected_decay_db: float = 4.0
    """The expected residual itself falls at most this much per frame: after a loud passage
    the quieter class's leakage would forget the loud passage's residual at once."""
    warmup_frames: int = 20
    """Frames of music a leakage class learns from before it takes quantile steps: until
    then it holds the largest leakage seen, so a cold start expects too much echo, never
    too little."""


@dataclass(frozen=True, slots=True)
class ResidualVerdict:
    excess: float
    """Share (0-1) of the frame's voice-band energy above the expected residual + margin."""
    expected: float
    """Expected residual energy in the voice bands."""
    energy: float
    """Cancelled energy in the voice bands."""
    observed: np.ndarray
    """Cancelled power per bin over :attr:`ResidualModel.span` (for the suppressor)."""
    expected_echo: np.ndarray
    """Expected residual echo per bin over the same span, without the noise floor."""


class ResidualModel:
    def __init__(self, config: ResidualConfig | None = None) -> None:
        self.config = c = config or ResidualConfig()
        freqs = np.fft.rfftfreq(FFT_SIZE, 1 / SAMPLE_RATE)
        self._band = np.searchsorted(EDGES_HZ, freqs, side="right") - 1
        self._band[(freqs < EDGES_HZ[0]) | (freqs >= EDGES_HZ[-1])] = -1
        n = len(EDGES_HZ) - 1
        inside = np.flatnonzero(self._band >= 0)
        self._span = slice(int(inside[0]), int(inside[-1]) + 1)
        self._starts = np.searchsorted(self._band[self._span], np.arange(n))
        centres = np.sqrt(np.array(EDGES_HZ[:-1]) * np.array(EDGES_HZ[1:]))
        self._voice = (centres >= VOICE_HZ[0]) & (centres <= VOICE_HZ[1])
        self._window = np.hanning(FRAME_SAMPLES).astype(np.float32)
        self._decay = 10 ** (-c.decay_db / 10)
        self._up = 10 ** (c.up_db / 10)
        self._down = 10 ** (-c.down_db / 10)
        self._margin = 10 ** (c.margin_db / 10)
        self._bin_band = self._band[self._span]
        self._width = np.bincount(self._bin_band, minlength=n).astype(float)
        self._voice_bins = self._voice[self._bin_band]
        self._held = np.zeros(self._span.stop - self._span.start)
        self._expected = np.zeros_like(self._held)
        self._expected_decay = 10 ** (-c.expected_decay_db / 10)
        self._leak = np.full((len(LEVELS_DBFS) + 1, n), np.nan)
        self._seen = np.zeros(len(LEVELS_DBFS) + 1, dtype=int)
        self._noise = np.full(n, np.nan)

    @property
    def span(self) -> slice:
        """The FFT bins (of ``FFT_SIZE``) the model covers: 150 Hz to 7.5 kHz."""
        return self._span

    def _bins(self, frame: np.ndarray) -> np.ndarray:
        """Power per FFT bin from 150 Hz to 7.5 kHz."""
        spectrum = np.fft.rfft(frame * self._window, FFT_SIZE)[self._span]
        power: np.ndarray = spectrum.real ** 2 + spectrum.imag ** 2
        return power

    def _bands(self, frame: np.ndarray) -> np.ndarray:
        return np.add.reduceat(self._bins(frame), self._starts)

    def update(self, cancelled: np.ndarray, reference: np.ndarray | None, *,
               learn: bool) -> ResidualVerdict:
        """Judge one cancelled frame against the reference aligned with it; ``learn`` is
        false while someone may be speaking."""
        out_bins = self._bins(cancelled.astype(np.float32))
        out = np.add.reduceat(out_bins, self._starts)
        if np.isnan(self._noise).any():
            self._noise = out.copy()
        if reference is not None:
            ref = self._bins(reference.astype(np.float32))
            self._held = np.maximum(ref, self._held * self._decay)
            rms = float(np.sqrt(np.mean(reference.astype(np.float64) ** 2))) + 1e-9
            level = int(np.searchsorted(LEVELS_DBFS, 20 * np.log10(rms / 32768)))
        else:
            self._held[:] = 0.0
            level = 0
        held = np.add.reduceat(self._held, self._starts)
        leak = self._leakage(level)
        # Per bin, not per band: the residual of tonal music sits on the reference's own
        # partials, and a voice's harmonics between them are what the reference cannot explain.
        self._expected = np.maximum(leak[self._bin_band] * self._held,
                                    self._expected * self._expected_decay)
        expected = self._expected + (self._noise / self._width)[self._bin_band]
        if learn and reference is not None and held.sum() > 0:
            self._learn(level, out / (held + 1e-9))
        self._track_noise(out)
        above = np.maximum(0.0, out_bins - self._margin * expected)[self._voice_bins]
        voice_energy = float(out_bins[self._voice_bins].sum()) + 1e-9
        return ResidualVerdict(float(above.sum()) / voice_energy,
                               float(expected[self._voice_bins].sum()), voice_energy,
                               out_bins, self._expected)

    def _leakage(self, level: int) -> np.ndarray:
        leak = self._leak[level]
        if np.isnan(leak).all():
            # A class not seen yet borrows the loudest known one (or assumes no cancellation).
            known = [row for row in self._leak if not np.isnan(row).all()]
            worst: np.ndarray = np.max(known, axis=0) if known else np.ones_like(leak)
            return worst
        found: np.ndarray = leak
        return found

    @property
    def warm(self) -> bool:
        """Whether some leakage class has finished its warm-up."""
        return bool((self._seen >= self.config.warmup_frames).any())

    def _learn(self, level: int, ratio: np.ndarray) -> None:
        row = self._leak[level]
        self._seen[level] += 1
        if np.isnan(row).all():
            self._leak[level] = ratio
        elif self._seen[level] <= self.config.warmup_frames:
            self._leak[level] = np.maximum(row, ratio)
        else:
            self._leak[level] = np.where(ratio > row, row * self._up, row * self._down)

    def _track_noise(self, out: np.ndarray) -> None:
        self._noise = np.where(out < self._noise, 0.7 * self._noise + 0.3 * out,
                               self._noise * 1.005)
