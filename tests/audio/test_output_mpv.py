"""A real mpv writing PCM into the output stage: the card's pace paces it, its pause stops the
data, its volume still works, and a restarted mpv is taken up again."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import time
import wave
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from sam_edge.audio.output.inputs import FdInput
from sam_edge.audio.output.sinks import PacedNullSink
from sam_edge.audio.output.stage import OutputStage
from sam_edge.player.mpv import MpvPlayer
from sam_edge.settings import PlayerSettings

pytestmark = pytest.mark.skipif(shutil.which("mpv") is None, reason="mpv is not installed")


def write_tone(path: Path, seconds: float, rate: int = 44_100) -> Path:
    t = np.arange(int(seconds * rate)) / rate
    x = (12_000 * np.sin(2 * np.pi * 440 * t)).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(x.tobytes())
    return path


class Loud:
    """How loud the stage played since a given frame, read from the reference tap."""

    def __init__(self, stage: OutputStage) -> None:
        self.stage = stage

    def peak_since(self, since: int) -> int:
        pcm = self.stage.tap.read(since, self.stage.tap.written - since)
        return int(np.abs(np.frombuffer(pcm, "<i2")).max()) if pcm else 0


async def until(check: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


def test_mpv_is_paced_by_the_stage_pauses_and_survives_a_restart(tmp_path: Path) -> None:
    song = write_tone(tmp_path / "tone.wav", 2.0)
    long_song = write_tone(tmp_path / "long.wav", 30.0)

    async def main() -> None:
        stage = OutputStage(PacedNullSink(), block_ms=10)
        attached: list[int] = []

        def take(fd: int) -> None:
            attached.append(fd)
            stage.attach(FdInput("music", fd, stage.converter(48_000, 2), buffer_frames=960))

        player = MpvPlayer(PlayerSettings(start_volume=100, max_volume=100), tmp_path / "run",
                           pcm_out=take)
        stage.start()
        loud = Loud(stage)
        try:
            # 2 s of audio takes about 2 s: mpv writes only as fast as the card plays.
            start = time.monotonic()
            await player.play([str(song)])
            await until(lambda: not player.idle, 3.0)
            await until(lambda: player.idle, 10.0)
            took = time.monotonic() - start
            assert 1.5 < took < 6.0, took  # unpaced, mpv would take a few milliseconds
            assert len(attached) == 1

            # Pause: the pipe stops giving data and the stage writes silence.
            await player.play([str(long_song)])
            await until(lambda: loud.peak_since(max(0, stage.tap.written - 4800)) > 5000, 3.0)
            await player.pause()
            # What mpv had already written drains, then nothing more comes.
            await until(lambda: loud.peak_since(max(0, stage.tap.written - 4800)) == 0, 3.0)
            mark = stage.tap.written
            await asyncio.sleep(0.5)
            assert loud.peak_since(mark) == 0
            await player.resume()
            await until(lambda: loud.peak_since(max(0, stage.tap.written - 4800)) > 5000, 3.0)

            # mpv's own volume still works: it scales before it writes.
            await player.set_volume(50)
            await until(lambda: 0 < loud.peak_since(max(0, stage.tap.written - 4800)) < 5000,
                        3.0)

            # mpv killed: the next command starts another, whose pipe the stage takes.
            pid = player.pid
            assert pid is not None
            os.kill(pid, signal.SIGKILL)
            await until(lambda: not player.alive(), 3.0)
            await player.set_volume(100)
            await player.play([str(long_song)])
            assert len(attached) == 2
            await until(lambda: loud.peak_since(max(0, stage.tap.written - 4800)) > 5000, 3.0)
        finally:
            await player.aclose()
            await asyncio.to_thread(stage.close)

    asyncio.run(main())
