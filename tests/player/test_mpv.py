"""``MpvPlayer`` against a real ``mpv --ao=null``: playing, the queue, volume, and recovering
from a killed mpv."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import signal
import subprocess
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import pytest

from sam_edge.errors import PlatformError
from sam_edge.player.base import PlayerState
from sam_edge.player.mpv import MpvPlayer, resolve_audio_output
from sam_edge.settings import PlayerSettings
from tests.fakes.recording import RecordingPlayer

needs_mpv = pytest.mark.skipif(shutil.which("mpv") is None, reason="mpv is not installed")
T = TypeVar("T")


async def bounded(awaitable: Awaitable[T], seconds: float = 5.0) -> T:
    return await asyncio.wait_for(awaitable, seconds)


async def state_until(
    player: MpvPlayer, check: Callable[[PlayerState], bool], seconds: float = 3.0
) -> PlayerState:
    """Poll the player until ``check`` holds (bounded)."""

    async def poll() -> PlayerState:
        while not check(state := await player.state()):
            await asyncio.sleep(0.05)
        return state

    return await asyncio.wait_for(poll(), seconds)


async def gone(pid: int, seconds: float = 10.0) -> bool:
    """True once the process no longer exists (a zombie still does), within ``seconds``: a
    killed process is reaped a moment after the call that noticed it returns."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.02)


@pytest.fixture(scope="module")
def songs(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    if shutil.which("ffmpeg") is None:
        pytest.skip("needs ffmpeg")
    folder = tmp_path_factory.mktemp("songs")
    paths = []
    for name, hz in (("one.ogg", 440), ("two.flac", 660)):
        path = folder / name
        subprocess.run(
            ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
             f"sine=frequency={hz}:duration=6", "-ac", "1", "-ar", "22050", str(path)],
            check=True, timeout=30,
        )
        paths.append(str(path))
    return paths


@pytest.fixture
async def player(tmp_path: Path) -> AsyncIterator[MpvPlayer]:
    settings = PlayerSettings(audio_output="null", start_volume=60, max_volume=70)
    mpv = MpvPlayer(settings, tmp_path / "run")
    yield mpv
    await bounded(mpv.aclose())


def test_auto_audio_output_is_null_without_a_sound_card(tmp_path: Path) -> None:
    cards = tmp_path / "cards"
    assert resolve_audio_output("auto", cards) == "null"  # no /proc/asound/cards
    cards.write_text("--- no soundcards ---\n")
    assert resolve_audio_output("auto", cards) == "null"
    cards.write_text(" 0 [Headphones     ]: bcm2835_headpho - bcm2835 Headphones\n")
    assert resolve_audio_output("auto", cards) == ""
    assert resolve_audio_output("alsa", cards) == "alsa"


@needs_mpv
async def test_mpv_starts_only_when_first_needed(player: MpvPlayer) -> None:
    assert player.audio_output == "null"
    assert await player.state() == PlayerState(is_playing=False, volume=60)
    await player.pause()
    await player.set_volume(50)
    assert player.pid is None


@needs_mpv
async def test_play_pause_resume_and_next(player: MpvPlayer, songs: list[str]) -> None:
    await bounded(player.play(songs))
    state = await state_until(player, lambda s: s.is_playing)
    assert (state.path, state.queue_index, state.queue_length) == (songs[0], 0, 2)
    assert player.pid is not None and not player.idle

    await bounded(player.pause())
    assert not (await player.state()).is_playing
    await bounded(player.resume())
    assert (await player.state()).is_playing

    await bounded(player.next())
    state = await state_until(player, lambda s: s.path == songs[1])
    assert state.is_playing and state.queue_index == 1
    with pytest.raises(PlatformError) as raised:
        await bounded(player.next())
    assert raised.value.code == "queue_end"
    await bounded(player.previous())
    await state_until(player, lambda s: s.path == songs[0])


@needs_mpv
async def test_play_starts_at_the_given_index_and_enqueue_appends(
    player: MpvPlayer, songs: list[str]
) -> None:
    await bounded(player.play(songs, start=1))
    state = await state_until(player, lambda s: s.path == songs[1])
    assert state.queue_index == 1
    await bounded(player.enqueue(songs[0]))
    assert (await player.state()).queue_length == 3
    await bounded(player.stop())
    assert (await player.state()).path == ""


@needs_mpv
async def test_volume_is_clamped_to_max_volume(player: MpvPlayer, songs: list[str]) -> None:
    await bounded(player.play(songs[:1]))
    await bounded(player.set_volume(95))
    assert (await player.state()).volume == 70
    await bounded(player.set_volume(-5))
    assert (await player.state()).volume == 0
    await bounded(player.set_volume(33))
    assert (await player.state()).volume == 33


@needs_mpv
async def test_shuffle_and_repeat(player: MpvPlayer, songs: list[str]) -> None:
    await bounded(player.play(songs))
    await bounded(player.repeat("track"))
    assert (await player._call("get_property", "loop-file"))["data"] == "inf"
    await bounded(player.repeat("context"))
    assert (await player._call("get_property", "loop-playlist"))["data"] == "inf"
    assert (await player._call("get_property", "loop-file"))["data"] is False
    await bounded(player.shuffle(True))
    await bounded(player.shuffle(False))
    assert (await player.state()).queue_length == 2


@needs_mpv
async def test_a_killed_mpv_is_restarted_by_the_next_command(
    player: MpvPlayer, songs: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    await bounded(player.play(songs))
    first = player.pid
    assert first is not None
    os.kill(first, signal.SIGKILL)

    with caplog.at_level(logging.WARNING, logger="sam_edge.player.mpv"):
        await bounded(player.set_volume(40))
    assert player.pid not in (None, first)
    assert await gone(first)
    assert any("queue was lost" in r.getMessage() for r in caplog.records)
    assert (await player.state()).volume == 40

    await bounded(player.play(songs[1:]))
    assert (await state_until(player, lambda s: s.is_playing)).path == songs[1]


@needs_mpv
async def test_aclose_quits_mpv_and_removes_the_socket(tmp_path: Path, songs: list[str]) -> None:
    mpv = MpvPlayer(PlayerSettings(audio_output="null"), tmp_path / "run")
    await bounded(mpv.play(songs[:1]))
    pid = mpv.pid
    assert pid is not None and mpv.socket_path.exists()
    await bounded(mpv.aclose())
    assert await gone(pid)
    assert not mpv.socket_path.exists() and mpv.pid is None


async def test_missing_mpv_is_reported_with_the_install_command(tmp_path: Path) -> None:
    settings = PlayerSettings(mpv_path=str(tmp_path / "no-such-mpv"), audio_output="null")
    mpv = MpvPlayer(settings, tmp_path / "run")
    with pytest.raises(PlatformError, match="sudo apt-get install mpv") as raised:
        await bounded(mpv.play(["/tmp/x.mp3"]))
    assert raised.value.code == "player_missing"
    await bounded(mpv.aclose())


async def test_recording_player_records_calls_and_keeps_a_queue() -> None:
    player = RecordingPlayer(max_volume=50)
    await player.play(["a", "b", "c"], start=1)
    await player.next()
    await player.set_volume(80)
    state = await player.state()
    assert (state.path, state.queue_index, state.volume, state.is_playing) == ("c", 2, 50, True)
    await player.shuffle(True)
    assert player.current == "c"
    await player.shuffle(False)
    assert player.queue == ["a", "b", "c"]
    assert player.methods() == ["play", "next", "set_volume", "shuffle", "shuffle"]
