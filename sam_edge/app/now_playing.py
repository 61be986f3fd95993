"""What is playing, kept current for the page: read from the active platform after every turn
and, while at least one page listens, every :data:`POLL_S` so a change made elsewhere (the
Spotify app on a phone, a track ending) shows too. A change is emitted as ``now_playing``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import Any

from ..errors import PlatformError
from ..events import Event, EventBus, EventType
from ..platforms.base import PlaybackState

log = logging.getLogger(__name__)

POLL_S = 0.8
"""Well inside the page's 1 s promise, light enough for Spotify's rate limits."""
SEEK_SLACK_MS = 2500
"""A position this far from where it should be by now is a seek, worth telling the page."""

Reader = Callable[[], Awaitable[PlaybackState | None]]


def describe(state: PlaybackState | None, message: str = "") -> dict[str, Any]:
    """The JSON of ``GET /v1/now-playing`` and of the ``now_playing`` event."""
    body: dict[str, Any] = {
        "active": state is not None, "is_playing": False, "title": "", "artist": "", "uri": "",
        "context_uri": "", "platform": "", "device": "", "volume": None, "position_ms": None,
        "duration_ms": None, "image_url": "",
    }
    if state is not None:
        body.update(asdict(state))
    body["message"] = message if state is None else ""
    body["at"] = time.time()
    return body


def _moved(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """Whether ``new`` says more than "time went on" since ``old``."""
    keys = set(new) - {"at", "position_ms"}
    if any(old.get(k) != new.get(k) for k in keys):
        return True
    before, now = old.get("position_ms"), new.get("position_ms")
    if before is None or now is None:
        return before != now
    expected = before + ((new["at"] - old["at"]) * 1000 if new.get("is_playing") else 0)
    return bool(abs(now - expected) > SEEK_SLACK_MS)


class NowPlayingWatch:
    def __init__(self, read: Reader, bus: EventBus, *, poll_s: float = POLL_S) -> None:
        self._read = read
        self._bus = bus
        self._poll_s = poll_s
        self._pages = 0
        self._poller: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._soon: asyncio.Task[None] | None = None
        self.current: dict[str, Any] = describe(None)

    async def read(self) -> dict[str, Any]:
        """Ask the platform now; emits ``now_playing`` when it changed."""
        async with self._lock:
            try:
                state = await self._read()
                fresh = describe(state)
            except PlatformError as exc:
                fresh = describe(None, exc.message)
            if _moved(self.current, fresh):
                self._bus.emit(EventType.NOW_PLAYING, **fresh)
            self.current = fresh
            return fresh

    def attach(self) -> Callable[[], None]:
        """A page is listening: poll until the function returned is called by the last one."""
        self._pages += 1
        if self._poller is None or self._poller.done():
            self._poller = asyncio.get_running_loop().create_task(self._poll())

        def detach() -> None:
            self._pages -= 1
            if self._pages <= 0 and self._poller is not None:
                self._poller.cancel()
                self._poller = None

        return detach

    def on_event(self, event: Event) -> None:
        """After a turn, read at once rather than at the next poll."""
        if event.type is not EventType.TURN_END:
            return
        with contextlib.suppress(RuntimeError):  # no running loop: nobody to tell
            if self._soon is None or self._soon.done():
                self._soon = asyncio.get_running_loop().create_task(self._read_quietly())

    async def _read_quietly(self) -> None:
        try:
            await self.read()
        except Exception:  # the next poll tries again
            log.exception("reading what is playing failed")

    async def _poll(self) -> None:
        while True:
            await self._read_quietly()
            await asyncio.sleep(self._poll_s)

    async def aclose(self) -> None:
        for task in (self._poller, self._soon):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
