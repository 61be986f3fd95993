"""The microphone's mute switch, shared by the listening loop (which stops capturing) and
whatever mutes it: the mute button, "stop listening", the page and the API."""

from __future__ import annotations

import asyncio

from ..events import EventBus


class MicrophoneSwitch:
    def __init__(self, bus: EventBus) -> None:
        self._bus = bus
        self._unmuted = asyncio.Event()
        self._unmuted.set()

    @property
    def muted(self) -> bool:
        return not self._unmuted.is_set()

    def set(self, muted: bool) -> None:
        if muted:
            self._unmuted.clear()
        else:
            self._unmuted.set()
        self._bus.set_muted(muted)

    async def wait_unmuted(self) -> None:
        await self._unmuted.wait()
