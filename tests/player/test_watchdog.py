"""The music player dying is noticed, reported and repaired (real mpv --ao=null)."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

from sam_edge.events import EventBus, EventType
from sam_edge.player.mpv import MpvPlayer
from sam_edge.player.watchdog import PlayerWatchdog
from sam_edge.settings import PlayerSettings
from tests.audio_files import make_song


async def test_a_killed_player_is_restarted_and_reported(tmp_path: Path) -> None:
    song = make_song(tmp_path, "a.mp3", seconds=5)
    player = MpvPlayer(PlayerSettings(audio_output="null"), tmp_path / "run")
    bus = EventBus()
    errors: list[object] = []
    bus.subscribe(lambda e: errors.append(e) if e.type is EventType.ERROR else None)
    watchdog = PlayerWatchdog(player, bus)
    try:
        assert not await watchdog.check()  # never started: nothing to watch
        await player.play([str(song)])
        assert not await watchdog.check()
        pid = player.pid
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while player.alive() and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        assert await watchdog.check()
        assert player.alive() and player.pid != pid
        assert watchdog.health()["status"] == "restarted"
        assert watchdog.health()["crashes"] == 1
        assert errors and errors[0].data["source"] == "player"  # type: ignore[attr-defined]
        await player.play([str(song)])
        assert (await player.state()).is_playing
    finally:
        await player.aclose()


async def test_health_of_a_quiet_player(tmp_path: Path) -> None:
    player = MpvPlayer(PlayerSettings(audio_output="null"), tmp_path / "run")
    watchdog = PlayerWatchdog(player, EventBus())
    assert watchdog.health() == {"status": "ok", "crashes": 0, "last_crash_at": None,
                                 "error": None}
    await player.aclose()
