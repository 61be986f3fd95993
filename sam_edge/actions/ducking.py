"""Lower the music while SAM listens and put it back exactly afterwards.

Ducking never compounds: a second duck while one is held keeps the first saved volume. A volume
command said during the turn wins over the restore (the pipeline restores *before* running it,
so "turn it up" is relative to the real volume, and "set volume to 40" is not undone).
"""

from __future__ import annotations

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

    @property
    def ducked(self) -> bool:
        return self._saved is not None

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
        saved, self._saved = self._saved, None
        if saved is None:
            return
        adapter, volume = saved
        try:
            await adapter.set_volume(volume)
        except SamError as exc:
            log.warning("could not restore the music volume to %d: %s", volume, exc.message)
