"""Subscribers to the event bus that are not devices: the earcons and the one log line per
turn (journald's view of every turn, whatever started it)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

from ..audio.format import scale
from ..audio.playback import AudioSink
from ..events import Event, EventType
from ..speech.earcons import earcon

log = logging.getLogger("sam_edge.turns")


class Earcons:
    """A short sound at the wake word, when listening heard nothing, and when a turn failed."""

    def __init__(self, sink: AudioSink, *, volume: int) -> None:
        self._sink = sink
        self._volume = volume
        self._tasks: set[asyncio.Task[bool]] = set()

    def play(self, kind: str) -> None:
        async def one() -> AsyncIterator[bytes]:
            yield scale(earcon(kind), self._volume)

        try:
            task = asyncio.get_running_loop().create_task(self._sink.play(one(), 16_000))
        except RuntimeError:
            return
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def on_event(self, event: Event) -> None:
        if event.type is EventType.WAKE_END:
            self.play("wake")
        elif event.type is EventType.LISTEN_END and event.data.get("kind") == "timeout":
            self.play("done")  # nothing was heard: listening is over
        elif event.type is EventType.TURN_END and event.data.get("status") == "error" \
                and event.data.get("source") != "button":
            self.play("error")


def log_turn(event: Event) -> None:
    """One INFO line per turn with its action, status and timings; what was said or typed
    only at DEBUG."""
    if event.type is not EventType.TURN_END:
        return
    data = event.data
    error = data.get("error") or {}
    timings = data.get("timings_ms") or {}
    log.info("turn %s source=%s action=%s status=%s%s timings=%s", data.get("turn_id"),
             data.get("source"), data.get("action"), data.get("status"),
             f" code={error.get('code')}" if error else "",
             " ".join(f"{k}={v:.0f}" for k, v in timings.items()))
    if data.get("transcript"):
        log.debug("turn %s heard %r", data.get("turn_id"), data.get("transcript"))

