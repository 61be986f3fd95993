"""The clock seam: wall time for expiries, monotonic time for durations; tests inject their own."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch (expiry times, stored timestamps)."""
        ...

    def monotonic(self) -> float:
        """Seconds from an arbitrary start (durations, stage timings)."""
        ...


class SystemClock:
    def now(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.perf_counter()


@dataclass
class ManualClock:
    """A clock that only moves when told to."""

    wall: float = 1_767_225_600.0
    mono: float = 0.0

    def now(self) -> float:
        return self.wall

    def monotonic(self) -> float:
        return self.mono

    def advance(self, seconds: float) -> None:
        self.wall += seconds
        self.mono += seconds
