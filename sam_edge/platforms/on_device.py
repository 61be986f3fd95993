"""Playback controls shared by the platforms that play on the Pi itself (the music folder and
SoundCloud): they all go to the one local player."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from ..errors import PlatformError
from ..player.base import Player

REPEAT_STATES = ("track", "context", "off")


@runtime_checkable
class QueueModes(Protocol):
    """Optional player methods (``MpvPlayer`` and ``RecordingPlayer`` have them)."""

    async def shuffle(self, state: bool) -> None: ...

    async def repeat(self, state: str) -> None: ...


class OnDeviceControls:
    """Pause, resume, skip, volume, shuffle and repeat through ``self._player``."""

    _player: Player

    async def pause(self) -> None:
        await self._player.pause()

    async def resume(self) -> None:
        await self._player.resume()

    async def next(self) -> None:
        await self._player.next()

    async def previous(self) -> None:
        await self._player.previous()

    async def get_volume(self) -> int | None:
        return (await self._player.state()).volume

    async def set_volume(self, level: int) -> None:
        await self._player.set_volume(max(0, min(100, int(level))))

    async def shuffle(self, state: bool) -> None:
        if not isinstance(self._player, QueueModes):
            raise PlatformError("This player cannot shuffle.", code="unsupported")
        await self._player.shuffle(bool(state))

    async def repeat(self, state: str) -> None:
        state = state.strip().lower()
        if state not in REPEAT_STATES:
            raise PlatformError(f"Repeat can be track, context or off, not {state}.",
                                code="invalid_state")
        if not isinstance(self._player, QueueModes):
            raise PlatformError("This player cannot repeat.", code="unsupported")
        await self._player.repeat(state)
