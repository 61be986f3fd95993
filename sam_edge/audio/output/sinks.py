"""Where the output stage writes: the sound card (through ``aplay``) or a paced null sink.

A sink's :meth:`PcmSink.write` blocks at the device's real pace (that pace back-pressures every
player upstream) and returns when the first sample of the block will be heard, on the stage's
monotonic clock. :class:`PacedNullSink` keeps time like a card with a small buffer, on an
injectable clock, so tests and the simulated mode never need a sound card.
"""

from __future__ import annotations

import contextlib
import fcntl
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass, field
from typing import Protocol

from ..errors import PlaybackError

CARD_RATE = 48_000
CARD_CHANNELS = 2
PIPE_BYTES = 4096
RETRY_S = 2.0
DRY_S = 0.02
"""The smallest pipe Linux allows: a full pipe is ~21 ms of card audio, not 340 ms."""


class StageClock(Protocol):
    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class RealTimeClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class PcmSink(Protocol):
    rate: int
    channels: int

    def write(self, pcm: bytes) -> float:
        """Play interleaved S16 ``pcm``; blocks at the device's pace. Returns when its first
        sample is heard (stage clock)."""
        ...

    def close(self) -> None: ...


@dataclass
class PacedNullSink:
    """Discards audio at the pace of a card holding ``buffer_s`` ahead; keeps what it got when
    ``keep`` (tests compare it with the reference)."""

    clock: StageClock = field(default_factory=RealTimeClock)
    rate: int = CARD_RATE
    channels: int = CARD_CHANNELS
    buffer_s: float = 0.02
    keep: bool = False
    writes: list[tuple[float, bytes]] = field(default_factory=list)
    _device_t: float | None = None

    def write(self, pcm: bytes) -> float:
        now = self.clock.monotonic()
        if self._device_t is None or self._device_t < now:
            self._device_t = now  # an underrun: the card starts again from now
        start = self._device_t
        self._device_t += len(pcm) / (2 * self.channels * self.rate)
        if self.keep:
            self.writes.append((start, pcm))
        self.clock.sleep(self._device_t - self.buffer_s - now)
        return start

    def close(self) -> None:
        pass


class AplayCardSink:
    """Streams the mix into one long-running ``aplay`` with a small ALSA buffer."""

    def __init__(self, device: str = "", *, rate: int = CARD_RATE,
                 channels: int = CARD_CHANNELS, buffer_us: int = 40_000,
                 clock: StageClock | None = None, aplay: str = "aplay") -> None:
        self.rate, self.channels = rate, channels
        self.device, self.aplay, self.buffer_us = device, aplay, buffer_us
        self.clock = clock or RealTimeClock()
        self.latency_s = buffer_us / 1e6 + PIPE_BYTES / (2 * channels * rate)
        self._proc: subprocess.Popen[bytes] | None = None
        self._retry_at = 0.0
        self._device_t: float | None = None
        self._lock = threading.Lock()

    def _open(self) -> subprocess.Popen[bytes]:
        exe = shutil.which(self.aplay)
        if exe is None:
            raise PlaybackError(f"{self.aplay} is not installed (apt install alsa-utils).")
        device = ["-D", self.device] if self.device else []
        proc = subprocess.Popen(
            [exe, "-q", *device, "-t", "raw", "-f", "S16_LE", "-c", str(self.channels),
             "-r", str(self.rate), f"--buffer-time={self.buffer_us}",
             f"--period-time={self.buffer_us // 4}"],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert proc.stdin is not None
        with contextlib.suppress(OSError):
            fcntl.fcntl(proc.stdin.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
        return proc

    def write(self, pcm: bytes) -> float:
        seconds = len(pcm) / (2 * self.channels * self.rate)
        with self._lock:
            if self._proc is None or self._proc.poll() is not None:
                if self.clock.monotonic() < self._retry_at:
                    self.clock.sleep(seconds)  # no card for now: keep time, play nothing
                    return self.clock.monotonic()
                self._retry_at = self.clock.monotonic() + RETRY_S
                self._proc = self._open()
            proc = self._proc
        assert proc.stdin is not None
        try:
            proc.stdin.write(pcm)
            proc.stdin.flush()
        except (BrokenPipeError, ValueError):
            self._proc = None  # aplay died (card unplugged, busy?): try again in a while
            self.clock.sleep(seconds)
        # When a write returns jitters; the card plays on without gaps unless it ran dry.
        heard = self.clock.monotonic() + self.latency_s
        if self._device_t is None or heard > self._device_t + DRY_S:
            self._device_t = heard
        start, self._device_t = self._device_t, self._device_t + seconds
        return start

    def close(self) -> None:
        with self._lock:
            proc, self._proc = self._proc, None
        if proc is not None:
            with contextlib.suppress(OSError):
                if proc.stdin is not None:
                    proc.stdin.close()
            try:
                proc.wait(2.0)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
