"""A stage clock that only moves when the stage sleeps, for the output stage's tests."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class SteppedClock:
    t: float = 100.0
    slept: float = 0.0

    def monotonic(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.t += seconds
            self.slept += seconds
