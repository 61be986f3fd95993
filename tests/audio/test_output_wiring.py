"""``[audio] echo_cancel`` in the composition root: with the output stage, mpv writes PCM into
it, replies and earcons play through it and the microphone loop gets its reference; ``off``
keeps today's paths."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import numpy as np
import pytest

from sam_edge.app.runtime import build_runtime
from sam_edge.audio.playback import MemorySink
from sam_edge.settings import Settings, load_settings


def configured(settings: Settings, music: Path, **env: str) -> Settings:
    values = {"SAM_DATA_DIR": str(settings.data.dir), "SAM_MUSIC_DIR": str(music),
              "SAM_PLAYER_AUDIO_OUTPUT": "null"}
    return load_settings(settings.data.dir / "absent.toml", values | env)


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng")
def test_on_puts_every_sound_through_the_stage(settings: Settings, music_dir: Path,
                                                 tmp_path: Path) -> None:
    sock = tmp_path / "pcm.sock"
    on = configured(settings, music_dir, SAM_AUDIO_ECHO_CANCEL="on",
                    SAM_AUDIO_PCM_SOCKET=str(sock))

    async def main() -> None:
        rt = await build_runtime(on)
        try:
            assert rt.output is not None
            assert rt.runner.replier.sink is rt.output.reply_sink
            assert rt.listener.cancelling
            assert getattr(rt.player, "audio_output", "") == "pcm"
            assert sock.exists()
            assert any("output stage" in line for line in rt.simulated)
            mark = rt.output.reference.written
            await rt.runner.say("hello there")
            played = np.frombuffer(rt.output.reference.read(
                mark, rt.output.reference.written - mark), "<i2")
            assert np.abs(played).max() > 1000
        finally:
            await rt.aclose()
        assert not sock.exists()
        assert not rt.output.stage.running

    asyncio.run(main())


@pytest.mark.parametrize("env", [{"SAM_AUDIO_ECHO_CANCEL": "off"},
                                 {"SAM_AUDIO_ECHO_CANCEL": "auto", "SAM_AUDIO_OUTPUT": "none"}])
def test_without_the_stage_the_paths_are_as_before(settings: Settings, music_dir: Path,
                                                    env: dict[str, str]) -> None:
    async def main() -> None:
        rt = await build_runtime(configured(settings, music_dir,
                                            **({"SAM_AUDIO_OUTPUT": "none"} | env)))
        try:
            assert rt.output is None
            assert isinstance(rt.runner.replier.sink, MemorySink)
            assert not rt.listener.cancelling
            assert getattr(rt.player, "audio_output", "") == "null"
        finally:
            await rt.aclose()

    asyncio.run(main())
