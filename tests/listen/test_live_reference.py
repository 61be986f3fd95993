"""In real time: a reply played through the running output stage, heard back by a microphone
that records the stage's own output (25 ms late, about -26 dBFS, noise) frame by frame on the wall
clock; the loop reads the reference from the tap by time, so the reply is cancelled and never
counts as speech."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import numpy as np
import pytest
import soxr

from sam_edge.audio.output.sinks import PacedNullSink
from sam_edge.audio.output.speaker import StageSpeaker
from sam_edge.audio.output.stage import OutputStage
from sam_edge.events import EventBus
from sam_edge.listen.endpoint import EndpointConfig
from sam_edge.listen.loop import ListenLoop
from sam_edge.listen.mute import MicrophoneSwitch
from tests.echo_corpus import espeak_available, speak
from tests.listen.barge_in_world import REPLY, Replying

pytestmark = pytest.mark.skipif(not espeak_available(), reason="needs espeak-ng")
FRAME_S = 0.03
DELAY_S = 0.025


async def microphone(stage: OutputStage, seconds: float) -> AsyncIterator[bytes]:
    """What a microphone next to the speaker records, captured in 30 ms frames as time passes."""
    resampler = soxr.ResampleStream(48_000, 16_000, 1, dtype="float32")
    rng = np.random.default_rng(9)
    start = time.monotonic()
    cursor = stage.tap.index_at(start - DELAY_S)
    n = int(seconds / FRAME_S)
    pending = np.zeros(0, dtype=np.float32)
    for i in range(1, n + 1):
        captured = start + i * FRAME_S
        await asyncio.sleep(max(0.0, captured - time.monotonic()))
        heard_until = stage.tap.index_at(captured - DELAY_S)
        pcm = stage.tap.read(cursor, max(0, heard_until - cursor))
        cursor += len(pcm) // 4
        mono = np.frombuffer(pcm, "<i2").reshape(-1, 2).mean(axis=1).astype(np.float32)
        pending = np.concatenate([pending, resampler.resample_chunk(mono * 0.1)])
        frame, pending = pending[:480], pending[480:]
        frame = np.pad(frame, (0, 480 - len(frame))) + rng.standard_normal(480) * 10.0
        yield np.clip(frame, -32768, 32767).astype("<i2").tobytes()


async def run(*, cancel: bool) -> list[int]:
    stage = OutputStage(PacedNullSink(), block_ms=10)
    stage.start()
    turns = Replying()
    calls: list[int] = []

    async def interrupt(pcm: bytes) -> bool:
        calls.append(len(pcm))
        return False

    done = asyncio.Event()
    reply = np.round(speak(REPLY, "en-gb", 175) * 0.5 * 32767).astype("<i2").tobytes()
    seconds = len(reply) / 32_000 + 3.0  # room for a late start on a busy machine

    async def source() -> AsyncIterator[bytes]:
        async for frame in microphone(stage, seconds):
            yield frame
        done.set()

    async def chunks() -> AsyncIterator[bytes]:
        for i in range(0, len(reply), 4410):
            yield reply[i:i + 4410]

    loop = ListenLoop(turns, MicrophoneSwitch(EventBus()), endpoint=EndpointConfig(),
                      live=source, reference=stage.tap if cancel else None,
                      interrupt=interrupt)
    loop.start()
    await asyncio.sleep(0.3)
    await StageSpeaker(stage).play(chunks(), 16_000)
    await asyncio.wait_for(done.wait(), 60)
    await loop.aclose()
    await asyncio.to_thread(stage.close)
    return calls


def test_the_reference_read_by_time_cancels_the_reply_heard_in_real_time() -> None:
    assert asyncio.run(run(cancel=True)) == []


def test_without_it_the_same_reply_is_taken_for_speech() -> None:
    assert asyncio.run(run(cancel=False))
