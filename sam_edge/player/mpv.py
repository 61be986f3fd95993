"""``MpvPlayer``: the :class:`~sam_edge.player.base.Player` protocol over mpv's JSON IPC socket.

mpv starts on the first command that needs it (a daemon that never plays never starts it) and
runs ``--idle`` for the rest of the session; the process, the socket and the matching of replies
to requests are :class:`~sam_edge.player.mpv_ipc.MpvConnection`'s. Every wait is bounded. When
mpv dies under us, the next command restarts it once and retries (the play queue does not
survive that).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import PlatformError
from ..settings import PlayerSettings
from .base import PlayerState
from .mpv_ipc import IPC_TIMEOUT_S, MpvConnection

__all__ = ["IPC_TIMEOUT_S", "REPEAT_MODES", "SOUND_CARDS", "MpvPlayer", "resolve_audio_output"]

logger = logging.getLogger(__name__)

SOUND_CARDS = Path("/proc/asound/cards")
REPEAT_MODES = {"track": ("inf", "no"), "context": ("no", "inf"), "off": ("no", "no")}
"""Repeat state -> (``loop-file``, ``loop-playlist``)."""
_STATE_PROPERTIES = ("pause", "idle-active", "path", "time-pos", "volume", "playlist-pos",
                     "playlist-count")


def resolve_audio_output(setting: str, cards: Path = SOUND_CARDS) -> str:
    """The effective ``--ao``: ``auto`` is ``null`` without a sound card, else mpv's default."""
    value = setting.strip()
    if value.lower() != "auto":
        return value
    try:
        listing = cards.read_text(errors="replace")
    except OSError:
        return "null"
    return "null" if not listing.strip() or "no soundcards" in listing.lower() else ""


class MpvPlayer(MpvConnection):
    """Plays local files and stream URLs through one long-lived mpv process."""

    def __init__(self, settings: PlayerSettings, runtime_dir: Path, *,
                 pcm_out: Callable[[int], None] | None = None) -> None:
        """``pcm_out`` takes the read end of each new mpv's PCM pipe (the output stage)."""
        super().__init__(settings.mpv_path, resolve_audio_output(settings.audio_output),
                         runtime_dir, min(settings.start_volume, settings.max_volume),
                         pcm_out=pcm_out)
        self._settings = settings

    # -- Player protocol ---------------------------------------------------------------------

    async def play(self, paths: list[str], start: int = 0) -> None:
        if not paths:
            await self.stop()
            return
        start = max(0, min(start, len(paths) - 1))
        # Open the chosen file first and queue the rest only once it plays: entries added
        # before mpv has picked up the new current entry can make it start another one.
        self._loaded.clear()
        await self._call_many([["set_property", "pause", False],
                               ["loadfile", paths[start], "replace"]])
        await self._until_loaded()
        # append-play: if the chosen file could not be opened, go on with the next one.
        commands: list[list[Any]] = [["loadfile", p, "append-play"]
                                     for p in paths[start + 1:] + paths[:start]]
        tail = len(paths) - start
        commands += [["playlist-move", tail + i, i] for i in range(start)]
        if commands:
            await self._call_many(commands)

    async def enqueue(self, path: str) -> None:
        # append-play: queueing while nothing is loaded should start playing.
        await self._call("loadfile", path, "append-play")

    async def pause(self) -> None:
        if self.started:
            await self._call("set_property", "pause", True)

    async def resume(self) -> None:
        if self.started:
            await self._call("set_property", "pause", False)

    async def stop(self) -> None:
        if self.started:
            await self._call("stop")

    async def next(self) -> None:
        await self._step("playlist-next", "There is no next song in the queue.")

    async def previous(self) -> None:
        await self._step("playlist-prev", "There is no previous song in the queue.")

    async def set_volume(self, level: int) -> None:
        self._volume = max(0, min(int(level), self._settings.max_volume))
        if self.started:
            await self._call("set_property", "volume", self._volume)

    async def state(self) -> PlayerState:
        if not self.started:
            return PlayerState(is_playing=False, volume=self._volume)
        queries = [["get_property", name] for name in _STATE_PROPERTIES]
        replies = await self._call_many(queries, check=False)
        value = {
            name: reply.get("data") if reply.get("error") == "success" else None
            for name, reply in zip(_STATE_PROPERTIES, replies, strict=True)
        }
        idle = bool(value["idle-active"]) or not value["path"]
        if isinstance(value["volume"], int | float):
            self._volume = round(value["volume"])
        return PlayerState(
            is_playing=not idle and not value["pause"],
            path="" if idle else str(value["path"]),
            position_s=float(value["time-pos"] or 0.0),
            volume=self._volume,
            queue_index=int(value["playlist-pos"] if value["playlist-pos"] is not None else -1),
            queue_length=int(value["playlist-count"] or 0),
        )

    # -- extras beyond the protocol ---------------------------------------------------------

    async def shuffle(self, state: bool) -> None:
        """Shuffle the queue (the current song keeps playing) or put it back in order."""
        if state:
            await self._call("playlist-shuffle")
        else:
            await self._call("playlist-unshuffle", check=False)

    async def repeat(self, state: str) -> None:
        """``track`` loops the current file, ``context`` the queue, ``off`` neither."""
        loop_file, loop_playlist = REPEAT_MODES[state]
        await self._call_many([["set_property", "loop-file", loop_file],
                               ["set_property", "loop-playlist", loop_playlist]])

    async def _step(self, command: str, at_the_end: str) -> None:
        if not self.started:
            raise PlatformError("Nothing is playing.", code="nothing_playing")
        self._loaded.clear()
        reply = await self._call(command, check=False)
        if reply.get("error") != "success":
            raise PlatformError(at_the_end, code="queue_end")
        await self._until_loaded()

