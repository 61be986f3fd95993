"""The local player protocol; ``mpv`` implements it, ``recording`` stands in for unit tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class PlayerState:
    is_playing: bool
    path: str = ""
    """What is loaded (a file path or stream URL); empty when idle."""
    position_s: float = 0.0
    volume: int = 0
    queue_index: int = -1
    queue_length: int = 0


class Player(Protocol):
    audio_output: str
    """The mpv ``--ao`` in use (``null`` when the machine has no sound card)."""

    async def play(self, paths: list[str], start: int = 0) -> None:
        """Replace the queue with ``paths`` and start at index ``start``."""
        ...

    async def enqueue(self, path: str) -> None: ...

    async def pause(self) -> None: ...

    async def resume(self) -> None: ...

    async def stop(self) -> None: ...

    async def next(self) -> None: ...

    async def previous(self) -> None: ...

    async def set_volume(self, level: int) -> None: ...

    async def state(self) -> PlayerState: ...

    async def aclose(self) -> None: ...
