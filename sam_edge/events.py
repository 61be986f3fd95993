"""Pipeline events: one enum of types, one frozen event, and a bus.

Every stage emits a START and an END with a monotonic timestamp, so per-stage latency comes for
free; subscribers (the LED patterns, the status page, the turn log) never reach into the core.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from .clock import Clock, SystemClock

log = logging.getLogger(__name__)


class EventType(StrEnum):
    WAKE = "wake"
    LISTEN_START = "listen-start"
    SPEECH_START = "speech-start"
    LISTEN_END = "listen-end"
    STT_START = "stt-start"
    STT_END = "stt-end"
    DIALOG_START = "dialog-start"
    DIALOG_END = "dialog-end"
    REPLY_START = "reply-start"
    REPLY_AUDIO = "reply-audio"
    """The first reply audio reached the speaker."""
    REPLY_END = "reply-end"
    TURN_END = "turn-end"
    STATE = "state"
    ERROR = "error"


class State(StrEnum):
    IDLE = "idle"
    LISTENING = "listening"
    THINKING = "thinking"
    SPEAKING = "speaking"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class Event:
    type: EventType
    timestamp: float
    """Monotonic seconds."""
    data: dict[str, Any] = field(default_factory=dict)


Subscriber = Callable[[Event], None]


class EventBus:
    """Synchronous fan-out; a subscriber that raises is logged and never stops the pipeline."""

    def __init__(self, clock: Clock | None = None) -> None:
        self._clock = clock or SystemClock()
        self._subscribers: list[Subscriber] = []
        self.state = State.IDLE

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        self._subscribers.append(subscriber)
        return lambda: self._subscribers.remove(subscriber)

    def emit(self, type_: EventType, **data: Any) -> Event:
        event = Event(type_, self._clock.monotonic(), data)
        for subscriber in list(self._subscribers):
            try:
                subscriber(event)
            except Exception:
                log.exception("event subscriber failed on %s", type_)
        return event

    def set_state(self, state: State, **data: Any) -> None:
        if state is not self.state:
            self.state = state
            self.emit(EventType.STATE, state=state.value, **data)


class StageTimer:
    """Collects START/END pairs of one turn into ``timings_ms``."""

    def __init__(self, bus: EventBus, clock: Clock | None = None) -> None:
        self._bus = bus
        self._clock = clock or SystemClock()
        self._started: dict[str, float] = {}
        self.timings_ms: dict[str, float] = {}

    def start(self, stage: str, type_: EventType, **data: Any) -> None:
        self._started[stage] = self._bus.emit(type_, stage=stage, **data).timestamp

    def end(self, stage: str, type_: EventType, **data: Any) -> float:
        event = self._bus.emit(type_, stage=stage, **data)
        began = self._started.pop(stage, event.timestamp)
        ms = round((event.timestamp - began) * 1000, 3)
        self.timings_ms[stage] = ms
        return ms
