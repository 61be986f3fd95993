"""The last turns as ``turn_end`` carried them, newest first, so a page opened later shows
what happened before it (``GET /v1/turns``). What started each turn (the typed text, the
button) comes from its ``turn_start``."""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from typing import Any

from ..events import Event, EventType

KEEP = 20
STARTED = ("text", "button", "command", "by")
"""What ``turn_start`` says about the turn's input, kept beside its result."""


WORDS = ("transcript", "text", "parameters", "response_text")
"""What a turn holds of the user's words."""


class TurnLog:
    def __init__(self, size: int = KEEP) -> None:
        self._turns: deque[dict[str, Any]] = deque(maxlen=size)
        self._open: OrderedDict[str, dict[str, Any]] = OrderedDict()

    def on_event(self, event: Event) -> None:
        turn_id = str(event.data.get("turn_id", ""))
        if event.type is EventType.TURN_START:
            self._open[turn_id] = {k: event.data[k] for k in STARTED if k in event.data}
            while len(self._open) > 4 * self._turns.maxlen:  # type: ignore[operator]
                self._open.popitem(last=False)
        elif event.type is EventType.TURN_END:
            started = self._open.pop(turn_id, {})
            self._turns.append({**started, **event.data, "at": time.time()})

    def forget_words(self) -> None:
        """Drop what was said or typed (``sam-edge forget``); outcomes and timings stay."""
        for turn in (*self._turns, *self._open.values()):
            for key in WORDS:
                turn.pop(key, None)
            if isinstance(turn.get("error"), dict):  # its message may quote the request
                turn["error"] = {"code": turn["error"].get("code", "")}

    def recent(self) -> list[dict[str, Any]]:
        """Newest first."""
        return list(reversed(self._turns))
