"""Notices when the music player dies, says so (log, an ERROR event for the LEDs, ``/health``)
and starts it again, so the daemon keeps running."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any, Protocol, runtime_checkable

from ..errors import SamError
from ..events import EventBus, EventType

log = logging.getLogger(__name__)

CHECK_EVERY_S = 2.0


@runtime_checkable
class Watched(Protocol):
    @property
    def started(self) -> bool: ...

    def alive(self) -> bool: ...

    async def restart(self) -> None: ...


class PlayerWatchdog:
    def __init__(self, player: Watched, bus: EventBus, *, every_s: float = CHECK_EVERY_S) -> None:
        self._player = player
        self._bus = bus
        self._every_s = every_s
        self._task: asyncio.Task[None] | None = None
        self.crashes = 0
        self.last_crash_at: float | None = None
        self.failed = ""

    async def check(self) -> bool:
        """One look; True when the player had died (and was restarted, or failed to)."""
        if not self._player.started or self._player.alive():
            return False
        self.crashes += 1
        self.last_crash_at = time.time()
        log.warning("the music player stopped unexpectedly; starting it again")
        self._bus.emit(EventType.ERROR, source="player", message="The music player stopped.")
        try:
            await self._player.restart()
            self.failed = ""
        except SamError as exc:
            self.failed = exc.message
            log.error("could not restart the music player: %s", exc.message)
        return True

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._every_s)
            try:
                await self.check()
            except Exception:  # the watchdog itself must never stop watching
                log.exception("player check failed")

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def health(self) -> dict[str, Any]:
        status = "failed" if self.failed else ("restarted" if self.crashes else "ok")
        return {"status": status, "crashes": self.crashes, "last_crash_at": self.last_crash_at,
                "error": self.failed or None}
