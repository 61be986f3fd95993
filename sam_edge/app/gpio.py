"""From settings to the GPIO parts, and what lights the offline, household-store-offline and
pairing-needed LEDs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

from ..events import Event, EventType
from ..gpio import GpioConfig
from ..gpio.leds import LedPatterns
from ..platforms.base import MusicPlatform
from ..settings import Settings

log = logging.getLogger(__name__)

OFFLINE_CODES = frozenset({"unreachable", "stt_unavailable", "llm_unavailable", "server_error",
                           "tts_unavailable", "timeout"})


def gpio_config(settings: Settings) -> GpioConfig:
    return GpioConfig.from_settings(settings.gpio)


def error_code(event: Event) -> str:
    """The error code of a ``turn_end`` (empty when the turn was ok)."""
    error = event.data.get("error")
    return str(error.get("code", "")) if isinstance(error, dict) else ""


class AccountLeds:
    """Subscribes to the bus: offline when a turn failed for want of a network service, back
    when one succeeds; pairing needed while a configured platform has no usable account; in a
    household, "household store offline" while its shared store does not answer."""

    def __init__(self, leds: LedPatterns, platforms: Mapping[str, MusicPlatform]) -> None:
        self._leds = leds
        self._platforms = platforms
        self._tasks: set[asyncio.Task[None]] = set()

    async def check_pairing(self) -> None:
        needed = False
        for adapter in self._platforms.values():
            try:
                needed = needed or not await adapter.is_paired()
            except Exception:  # a broken store reads as "pair again"
                needed = True
        self._leds.set_pairing_needed(needed)

    def household_store(self, online: bool) -> None:
        """Told by the household's store whenever it goes away or comes back."""
        self._leds.set_household_offline(not online)

    def on_event(self, event: Event) -> None:
        if event.type is not EventType.TURN_END:
            return
        if event.data.get("status") == "ok":
            self._leds.set_offline(False)
        elif error_code(event) in OFFLINE_CODES:
            self._leds.set_offline(True)
        try:
            task = asyncio.get_running_loop().create_task(self.check_pairing())
        except RuntimeError:
            return
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
