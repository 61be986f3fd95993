"""Noticing a sound card that goes away (a USB card unplugged) and comes back.

ALSA lists its cards in ``/proc/asound/cards``; reading it every couple of seconds costs
nothing measurable, and only a device that started with a card is watched. When the card goes,
the log, ``/health``, the LED and ``sam-edge status`` say so within :data:`EVERY_S`; capture
retries on its own (the listening loop reopens the microphone) and mpv's watchdog restarts the
player, so both resume when the card is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from pathlib import Path

from ..events import EventBus, EventType
from .capture import SOUND_CARDS, has_sound_card

log = logging.getLogger(__name__)

EVERY_S = 2.0
GONE = "The sound card is gone (unplugged?): nothing can be heard or played until it is back."


class SoundCardWatch:
    def __init__(self, bus: EventBus, *, cards: Path = SOUND_CARDS, every_s: float = EVERY_S,
                 on_change: Callable[[bool], None] | None = None) -> None:
        self._bus = bus
        self._cards = cards
        self._every_s = every_s
        self._on_change = on_change
        self.present = has_sound_card(cards)
        self._task: asyncio.Task[None] | None = None

    @property
    def status(self) -> str:
        """``ok`` or ``missing`` (for ``/health``)."""
        return "ok" if self.present else "missing"

    def start(self) -> None:
        """Watch, when there was a card to begin with (a machine without one has nothing to
        lose)."""
        if self.present and self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._watch())

    def check(self) -> bool:
        """Read the card list once; report a change. Returns whether a card is there."""
        present = has_sound_card(self._cards)
        if present != self.present:
            self.present = present
            if present:
                log.warning("the sound card is back")
            else:
                log.error("%s", GONE)
                self._bus.emit(EventType.ERROR, source="sound_card", code="no_sound_card",
                               message=GONE)
            if self._on_change is not None:
                self._on_change(present)
        return present

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self._every_s)
            self.check()

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
