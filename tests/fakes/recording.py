"""``RecordingPlayer``: an in-memory :class:`~sam_edge.player.base.Player` for unit tests.

It keeps a queue, an index, a pause flag and a volume the way mpv would, and records every call
as ``(method, *arguments)`` in :attr:`RecordingPlayer.calls` so tests can assert on them.
"""

from __future__ import annotations

import random
from typing import Any

from sam_edge.errors import PlatformError
from sam_edge.player.base import PlayerState


class RecordingPlayer:
    """Behaves like a queue-based player without making a sound."""

    def __init__(self, *, volume: int = 60, max_volume: int = 100, audio_output: str = "null"):
        self.audio_output = audio_output
        self.max_volume = max_volume
        self.volume = min(volume, max_volume)
        self.queue: list[str] = []
        self.index = -1
        self.paused = False
        self.shuffled = False
        self.repeat_state = "off"
        self.calls: list[tuple[Any, ...]] = []
        self.closed = False
        self._order_before_shuffle: list[str] | None = None

    @property
    def current(self) -> str:
        """The loaded path, empty when idle."""
        return self.queue[self.index] if 0 <= self.index < len(self.queue) else ""

    def methods(self) -> list[str]:
        """Names of the methods called so far, in order."""
        return [call[0] for call in self.calls]

    async def play(self, paths: list[str], start: int = 0) -> None:
        self.calls.append(("play", list(paths), start))
        self.queue = list(paths)
        self.index = max(0, min(start, len(paths) - 1)) if paths else -1
        self.paused = False

    async def enqueue(self, path: str) -> None:
        self.calls.append(("enqueue", path))
        self.queue.append(path)
        if self.index < 0:
            self.index = len(self.queue) - 1
            self.paused = False

    async def pause(self) -> None:
        self.calls.append(("pause",))
        self.paused = True

    async def resume(self) -> None:
        self.calls.append(("resume",))
        self.paused = False

    async def stop(self) -> None:
        self.calls.append(("stop",))
        self.queue, self.index, self.paused = [], -1, False

    async def next(self) -> None:
        self.calls.append(("next",))
        if self.index < 0:
            raise PlatformError("Nothing is playing.", code="nothing_playing")
        if self.index + 1 >= len(self.queue):
            raise PlatformError("There is no next song in the queue.", code="queue_end")
        self.index += 1

    async def previous(self) -> None:
        self.calls.append(("previous",))
        if self.index < 0:
            raise PlatformError("Nothing is playing.", code="nothing_playing")
        if self.index == 0:
            raise PlatformError("There is no previous song in the queue.", code="queue_end")
        self.index -= 1

    async def set_volume(self, level: int) -> None:
        self.calls.append(("set_volume", level))
        self.volume = max(0, min(int(level), self.max_volume))

    async def state(self) -> PlayerState:
        return PlayerState(
            is_playing=bool(self.current) and not self.paused,
            path=self.current,
            volume=self.volume,
            queue_index=self.index,
            queue_length=len(self.queue),
        )

    async def aclose(self) -> None:
        self.calls.append(("aclose",))
        self.closed = True

    async def shuffle(self, state: bool) -> None:
        """Like mpv: the current song stays current, only its position in the queue moves."""
        self.calls.append(("shuffle", state))
        current = self.current
        if state:
            self._order_before_shuffle = list(self.queue)
            random.Random(len(self.queue)).shuffle(self.queue)
        elif self._order_before_shuffle is not None:
            self.queue, self._order_before_shuffle = self._order_before_shuffle, None
        self.shuffled = state
        if current:
            self.index = self.queue.index(current)

    async def repeat(self, state: str) -> None:
        self.calls.append(("repeat", state))
        self.repeat_state = state
