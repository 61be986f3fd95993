"""The output stage on an injected clock: mixing, pacing, gain and pause, inputs replaced, and
the reference tap holding exactly what the sink got."""

from __future__ import annotations

import asyncio
import contextlib
import os

import numpy as np
import pytest

from sam_edge.audio.output.inputs import FdInput
from sam_edge.audio.output.sinks import PacedNullSink
from sam_edge.audio.output.speaker import StageSpeaker
from sam_edge.audio.output.stage import OutputStage
from tests.audio.output_fakes import SteppedClock


def tone(seconds: float, rate: int, channels: int, level: int = 8000, hz: float = 440.0
         ) -> bytes:
    t = np.arange(int(seconds * rate)) / rate
    x = (level * np.sin(2 * np.pi * hz * t)).astype("<i2")
    return np.repeat(x[:, None], channels, axis=1).tobytes()


def stage_on(clock: SteppedClock) -> tuple[OutputStage, PacedNullSink]:
    sink = PacedNullSink(clock=clock, keep=True)
    return OutputStage(sink, block_ms=10), sink


def test_the_sink_paces_the_stage_at_the_card_rate() -> None:
    clock = SteppedClock()
    stage, sink = stage_on(clock)
    start = clock.t
    for _ in range(200):
        stage.step()
    assert clock.t - start == pytest.approx(2.0 - sink.buffer_s, abs=0.011)
    assert stage.tap.written == 2 * 48_000
    assert stage.stats.silent_blocks == 200


def test_a_pipe_is_read_only_as_fast_as_the_card_plays() -> None:
    clock = SteppedClock()
    stage, _sink = stage_on(clock)
    r, w = os.pipe()
    os.set_blocking(w, False)
    stage.attach(FdInput("music", r, stage.converter(48_000, 2), buffer_frames=960))
    pcm = tone(1.0, 48_000, 2)
    sent = os.write(w, pcm)  # the pipe (4 KiB) takes a few ms of it and refuses the rest
    assert sent <= 8192
    for _ in range(10):
        stage.step()
        with contextlib.suppress(BlockingIOError):
            sent += os.write(w, pcm[sent:sent + 4096])
    # 100 ms played: what was taken is that plus the input's and the pipe's small buffers.
    assert sent <= 0.1 * 48_000 * 4 + 960 * 4 + 2 * 4096 + 4096
    os.close(w)
    stage.close()


def test_gain_and_pause_are_kept_per_name_across_a_new_input() -> None:
    clock = SteppedClock()
    stage, sink = stage_on(clock)
    stage.set_gain("music", 0.5)
    first = stage.stream("music", 48_000, 2)
    first.push(np.full(4800 * 2, 10_000, dtype="<i2").tobytes())
    stage.step()
    assert np.frombuffer(sink.writes[-1][1], "<i2").max() == 5000
    second = stage.stream("music", 48_000, 2)  # the player restarted
    assert first.ended
    second.push(np.full(4800 * 2, 10_000, dtype="<i2").tobytes())
    stage.set_paused("music", True)
    stage.step()
    assert not np.frombuffer(sink.writes[-1][1], "<i2").any()
    stage.set_paused("music", False)
    stage.step()
    assert np.frombuffer(sink.writes[-1][1], "<i2").max() == 5000


def test_inputs_are_mixed_and_resampled_to_the_card() -> None:
    clock = SteppedClock()
    stage, sink = stage_on(clock)
    music = stage.stream("music", 44_100, 2)
    reply = stage.stream("reply", 16_000, 1)
    music.push(tone(0.5, 44_100, 2, level=4000, hz=300.0))
    reply.push(tone(0.5, 16_000, 1, level=4000, hz=1000.0))
    for _ in range(40):
        stage.step()
    out = np.frombuffer(b"".join(p for _, p in sink.writes), "<i2").reshape(-1, 2)
    left = out[4800:19200, 0].astype(np.float64)  # 0.1-0.4 s: both inputs play
    spectrum = np.abs(np.fft.rfft(left))
    freqs = np.fft.rfftfreq(len(left), 1 / 48_000)
    peaks = sorted(freqs[np.argsort(spectrum)[-2:]])
    assert peaks == pytest.approx([300.0, 1000.0], abs=5.0)
    assert np.array_equal(out[:, 0], out[:, 1])  # mono reply spread on both channels


def test_the_reference_holds_exactly_what_the_sink_got_at_those_times() -> None:
    clock = SteppedClock()
    stage, sink = stage_on(clock)
    music = stage.stream("music", 48_000, 2)
    rng = np.random.default_rng(3)
    music.push(rng.integers(-9000, 9000, 48_000 * 2, dtype=np.int16).astype("<i2").tobytes())
    for _ in range(80):
        stage.step()
    for at, pcm in sink.writes[5::7]:
        frames = len(pcm) // 4
        reader = stage.tap.reader(at)
        assert reader.take(frames) == pcm
    # A reader started at an instant reads on from the sample heard then, in order.
    at, pcm = sink.writes[20]
    reader = stage.tap.reader(at + 0.005)
    assert reader.take(240) == pcm[240 * 4:]
    assert reader.take(480) == sink.writes[21][1]


def test_when_the_card_ran_dry_the_reference_holds_the_silence_it_played() -> None:
    clock = SteppedClock()
    stage, sink = stage_on(clock)
    music = stage.stream("music", 48_000, 2)
    music.push(tone(1.0, 48_000, 2))
    start = clock.t
    reader = stage.tap.reader(start)
    for i in range(60):
        if i == 30:
            clock.t += 0.05  # the stage was not scheduled for 50 ms: the card ran dry
        stage.step()
    last_at, last = sink.writes[-1]
    end = last_at + len(last) / 4 / 48_000
    got = reader.take()
    # Read in order, the reference still matches the clock: 0.6 s played over 0.65 s.
    assert len(got) // 4 == round((end - start) * 48_000)
    assert stage.tap.index_at(last_at) == len(got) // 4 - 480


def test_a_reply_plays_through_the_stage_and_stops_at_once() -> None:
    async def main() -> None:
        stage = OutputStage(PacedNullSink(keep=True), block_ms=10)
        stage.start()
        speaker = StageSpeaker(stage)

        async def chunks(seconds: float) -> asyncio.AsyncIterator[bytes]:
            pcm = tone(seconds, 16_000, 1)
            for i in range(0, len(pcm), 3200):
                yield pcm[i:i + 3200]

        loop = asyncio.get_running_loop()
        t0 = loop.time()
        assert await speaker.play(chunks(0.5), 16_000)
        assert 0.4 < loop.time() - t0 < 3.0  # played at the card's pace, not at once
        task = asyncio.ensure_future(speaker.play(chunks(5.0), 16_000))
        await asyncio.sleep(0.3)
        t1 = loop.time()
        speaker.stop()
        assert await task is False
        assert loop.time() - t1 < 2.0  # not the 4.7 s left
        await asyncio.to_thread(stage.close)

    asyncio.run(main())


def test_a_reply_to_a_closed_stage_returns() -> None:
    async def main() -> None:
        stage = OutputStage(PacedNullSink(), block_ms=10)

        async def chunks() -> asyncio.AsyncIterator[bytes]:
            yield tone(0.2, 16_000, 1)

        assert await asyncio.wait_for(StageSpeaker(stage).play(chunks(), 16_000), 5) is False

    asyncio.run(main())
