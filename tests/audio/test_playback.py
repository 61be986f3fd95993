"""Sinks: everything played arrives, and stop() cuts a reply short at once (barge-in)."""

from __future__ import annotations

import asyncio
import shutil
import stat
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from sam_edge.audio.capture import has_sound_card
from sam_edge.audio.errors import PlaybackError
from sam_edge.audio.playback import AplaySink, AudioSink, MemorySink


async def chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        await asyncio.sleep(0)
        yield part


class Endless:
    """A stream that sends one chunk, then waits forever (a slow TTS stream)."""

    def __init__(self) -> None:
        self.closed = False
        self.sent = asyncio.Event()

    async def stream(self) -> AsyncIterator[bytes]:
        try:
            yield b"\x01\x00" * 160
            self.sent.set()
            await asyncio.Event().wait()
            yield b""
        finally:
            self.closed = True


async def stop_after_first_chunk(sink: AudioSink, source: Endless) -> bool:
    play = asyncio.create_task(sink.play(source.stream(), 16000))
    await asyncio.wait_for(source.sent.wait(), 5)
    sink.stop()
    return await asyncio.wait_for(play, 5)


async def test_memory_sink_keeps_every_chunk() -> None:
    sink = MemorySink()

    finished = await sink.play(chunks(b"ab", b"cd", b"", b"ef"), 22050)

    assert finished is True
    assert bytes(sink.pcm) == b"abcdef"
    assert sink.plays == [b"abcdef"]
    assert sink.sample_rate == 22050
    assert not sink.playing


async def test_stop_cuts_a_waiting_stream_short_and_closes_it() -> None:
    sink, source = MemorySink(), Endless()

    finished = await stop_after_first_chunk(sink, source)

    assert finished is False
    assert len(sink.pcm) == 320
    assert source.closed


async def test_stop_with_nothing_playing_does_not_affect_the_next_play() -> None:
    sink = MemorySink()
    sink.stop()

    assert await sink.play(chunks(b"xy"), 16000) is True
    assert sink.plays == [b"xy"]


def fake_aplay(tmp_path: Path, body: str) -> str:
    script = tmp_path / "aplay"
    script.write_text("#!/bin/sh\n" + body + "\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


async def test_aplay_sink_streams_raw_pcm_with_the_right_format(tmp_path: Path) -> None:
    out = tmp_path / "played.raw"
    aplay = fake_aplay(tmp_path, f'echo "$@" > {tmp_path}/args\nexec cat > {out}')
    sink = AplaySink("plughw:1,0", aplay=aplay)

    finished = await asyncio.wait_for(sink.play(chunks(b"\x01\x02" * 800, b"\x03\x04"), 24000), 10)

    assert finished is True
    assert out.read_bytes() == b"\x01\x02" * 800 + b"\x03\x04"
    args = (tmp_path / "args").read_text().split()
    assert args == ["-q", "-D", "plughw:1,0", "-t", "raw", "-f", "S16_LE", "-c", "1",
                    "-r", "24000"]
    assert not sink.playing


async def test_aplay_sink_stop_terminates_aplay(tmp_path: Path) -> None:
    aplay = fake_aplay(tmp_path, f"echo $$ > {tmp_path}/pid\nexec cat > /dev/null")
    sink, source = AplaySink(aplay=aplay), Endless()

    finished = await stop_after_first_chunk(sink, source)

    assert finished is False
    assert not sink.playing
    assert source.closed
    # The stop may come before the script wrote its pid (or while it writes it): then look
    # for it by its path.
    pid_text = (tmp_path / "pid").read_text().strip() if (tmp_path / "pid").exists() else ""
    if pid_text.isdigit():
        assert not Path(f"/proc/{pid_text}").exists()
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            assert aplay.encode() not in cmdline.read_bytes()
        except OSError:
            continue


async def test_aplay_failing_is_a_playback_error(tmp_path: Path) -> None:
    aplay = fake_aplay(tmp_path, "cat > /dev/null\necho 'aplay: main:831: audio open error: "
                                 "No such file or directory' >&2\nexit 1")

    with pytest.raises(PlaybackError, match="audio open error"):
        await asyncio.wait_for(AplaySink(aplay=aplay).play(chunks(b"\x00\x00"), 16000), 10)


async def test_missing_aplay_says_which_package_to_install() -> None:
    with pytest.raises(PlaybackError, match="alsa-utils"):
        await AplaySink(aplay="no-such-aplay").play(chunks(b"\x00\x00"), 16000)


@pytest.mark.skipif(shutil.which("aplay") is None or not has_sound_card(),
                    reason="needs aplay and a sound card")
async def test_aplay_plays_a_short_silence_on_the_real_card() -> None:
    assert await asyncio.wait_for(AplaySink().play(chunks(bytes(3200)), 16000), 10) is True
