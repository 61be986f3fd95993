"""Turn events: one enum of names, one frozen event, and the bus every subscriber follows.

Every turn, whatever started it (the microphone, an upload, a chat message, a button), emits
``turn_start``, then ``<stage>_start`` / ``<stage>_end`` for each stage it runs (``wake``,
``listen``, ``stt``, ``understand``, ``act``, ``verify``, ``reply``), then ``turn_end`` with the
result the API returns, and ``error`` when it failed. Per-stage latency comes from the event
timestamps. The LEDs, the earcons, the offline detector, the turn log line and ``/v1/events``
are subscribers: none of them is reached into by the core.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from .clock import Clock, SystemClock

log = logging.getLogger(__name__)

STAGES = ("wake", "listen", "stt", "understand", "act", "verify", "reply")
"""The stages of a turn, in order. A text turn starts at ``understand``."""


class EventType(StrEnum):
    TURN_START = "turn_start"
    WAKE_START = "wake_start"
    WAKE_END = "wake_end"
    LISTEN_START = "listen_start"
    SPEECH_DETECTED = "speech_detected"
    """The endpointer heard the first speech of the utterance."""
    LISTEN_END = "listen_end"
    STT_START = "stt_start"
    STT_END = "stt_end"
    UNDERSTAND_START = "understand_start"
    UNDERSTAND_END = "understand_end"
    ACT_START = "act_start"
    ACT_END = "act_end"
    VERIFY_START = "verify_start"
    VERIFY_END = "verify_end"
    REPLY_START = "reply_start"
    REPLY_AUDIO = "reply_audio"
    """The first reply audio reached the speaker."""
    REPLY_END = "reply_end"
    TURN_END = "turn_end"
    ERROR = "error"
    STATE = "state"
    """The device's state changed (idle, listening, thinking, speaking, error; muted)."""
    NOW_PLAYING = "now_playing"
    """What the active platform plays changed, whatever changed it (not a turn's event)."""

    @classmethod
    def start_of(cls, stage: str) -> EventType:
        return cls(f"{stage}_start")

    @classmethod
    def end_of(cls, stage: str) -> EventType:
        return cls(f"{stage}_end")


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
    """Synchronous fan-out on the event loop's thread. A subscriber must not block (the async
    ones queue the event and return); one that raises is logged and never stops a turn."""

    def __init__(self, clock: Clock | None = None) -> None:
        self._clock = clock or SystemClock()
        self._subscribers: list[Subscriber] = []
        self.state = State.IDLE
        self.muted = False

    @property
    def clock(self) -> Clock:
        return self._clock

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Add ``subscriber``; the function returned removes it."""
        self._subscribers.append(subscriber)

        def unsubscribe() -> None:
            if subscriber in self._subscribers:
                self._subscribers.remove(subscriber)

        return unsubscribe

    def emit(self, type_: EventType, *, at: float | None = None, **data: Any) -> Event:
        event = Event(type_, self._clock.monotonic() if at is None else at, data)
        for subscriber in list(self._subscribers):
            try:
                subscriber(event)
            except Exception:
                log.exception("event subscriber failed on %s", type_)
        return event

    def set_state(self, state: State, **data: Any) -> None:
        if state is not self.state:
            self.state = state
            self.emit(EventType.STATE, state=state.value, muted=self.muted, **data)

    def set_muted(self, muted: bool) -> None:
        self.muted = muted
        self.emit(EventType.STATE, state=self.state.value, muted=muted)
