"""Lower the music while SAM listens and put it back exactly afterwards.

Ducking never compounds: a second duck while one is held keeps the first saved volume. A volume
command said during the turn wins over the restore (the pipeline restores *before* running it,
so "turn it up" is relative to the real volume, and "set volume to 40" is not undone).
"""

from __future__ import annotations

import asyncio
import logging

from ..errors import SamError
from ..platforms.base import MusicPlatform
from .service import MusicActionService

log = logging.getLogger(__name__)


class Ducker:
    def __init__(self, actions: MusicActionService, duck_volume: int = 20) -> None:
        self._actions = actions
        self._duck_volume = duck_volume
        self._saved: tuple[MusicPlatform, int] | None = None
        self._pending: asyncio.Task[None] | None = None

    @property
    def ducked(self) -> bool:
        return self._saved is not None

    def start_duck(self) -> None:
        """Lower the music in the background (listening must not wait for the platform);
        :meth:`restore` waits for it, so a restore always wins."""
        if self._pending is None or self._pending.done():
            self._pending = asyncio.get_running_loop().create_task(self.duck())

    async def duck(self) -> None:
        if self._saved is not None:
            return
        try:
            adapter = await self._actions.chooser.require(await self._actions.chooser.choose())
            state = await adapter.now_playing()
            if state is None or not state.is_playing:
                return
            volume = await adapter.get_volume()
            if volume is None or volume <= self._duck_volume:
                return
            await adapter.set_volume(self._duck_volume)
            self._saved = (adapter, volume)
        except SamError as exc:  # the turn goes on at full volume
            log.info("could not lower the music: %s", exc.message)

    async def restore(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            await asyncio.wait([pending])  # its own failure is already logged
        saved, self._saved = self._saved, None
        if saved is None:
            return
        adapter, volume = saved
        try:
            await adapter.set_volume(volume)
        except SamError as exc:
            log.warning("could not restore the music volume to %d: %s", volume, exc.message)
