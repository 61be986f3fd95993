"""Barge-in over a reply played through the output stage: the microphone loop listens on the
cancelled signal, so "stop" or the wake word during the reply is heard, and the reply's own
voice never starts anything."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

import pytest

from sam_edge.audio.format import Clip
from sam_edge.events import EventBus
from sam_edge.listen.endpoint import EndpointConfig
from sam_edge.listen.loop import ListenLoop
from sam_edge.listen.mute import MicrophoneSwitch
from sam_edge.listen.wake import OffsetWake
from sam_edge.pipeline.interrupt import ReplyInterrupt, is_stop
from sam_edge.speech.simulated import KnownTranscript
from sam_edge.speech.stt import Transcript
from tests.echo_corpus import espeak_available
from tests.listen.barge_in_world import Replying, Scene, WholeReference, frames, make_scene

pytestmark = pytest.mark.skipif(not espeak_available(), reason="needs espeak-ng")


async def run(scene: Scene, *, cancel: bool = True, wake: OffsetWake | None = None,
              heard_as: str = "stop", max_voiced_ms: int = 2500) \
        -> tuple[Replying, ReplyInterrupt, list[int]]:
    turns = Replying()
    interrupt = ReplyInterrupt(turns, KnownTranscript(heard_as), max_voiced_ms=max_voiced_ms)
    calls: list[int] = []

    async def counted(pcm: bytes) -> bool:
        calls.append(len(pcm) * 1000 // 32_000)
        return await interrupt(pcm)

    done = asyncio.Event()
    loop = ListenLoop(turns, MicrophoneSwitch(EventBus()), endpoint=EndpointConfig(),
                      wake=wake, live=lambda: frames(scene.mic, done),
                      reference=WholeReference(scene.tap) if cancel else None,
                      interrupt=counted)
    loop.start()
    await asyncio.wait_for(done.wait(), 60)
    deadline = time.monotonic() + 10
    while len(calls) > len(interrupt.heard) and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    await loop.aclose()
    return turns, interrupt, calls


def test_the_reply_s_own_voice_never_interrupts_it() -> None:
    scene = make_scene(None)
    turns, _, calls = asyncio.run(run(scene))
    assert calls == []
    assert turns.replying and turns.stops == 0 and turns.opened == []


def test_without_the_reference_the_reply_would_interrupt_itself() -> None:
    # The control: the same microphone, nothing cancelled: the reply's voice is "speech".
    # This reply is one 9 s utterance, too long to be sent off as a stop phrase; a reply
    # with pauses would be cut into short ones, so the limit is lifted here.
    turns, _, calls = asyncio.run(run(make_scene(None), cancel=False, max_voiced_ms=60_000))
    assert calls
    assert turns.stops == 1


# Over played audio the front end takes speech only once its canceller has heard a few seconds
# of it (``FrontEndConfig.settle_ms``); the live loop's front end runs on, so that is paid once.
# The loop here starts with the reply, so the person speaks after that.
SPOKEN_AT_S = 6.0


def test_stop_said_over_the_reply_stops_it() -> None:
    scene = make_scene(SPOKEN_AT_S)
    turns, interrupt, calls = asyncio.run(run(scene))
    assert interrupt.heard == ["stop"]
    assert calls and calls[0] < 2000  # the word, not the reply around it
    assert turns.stops == 1 and turns.opened == []


def test_other_words_over_the_reply_leave_it_playing() -> None:
    turns, interrupt, _ = asyncio.run(run(make_scene(SPOKEN_AT_S), heard_as="hotel california"))
    assert interrupt.heard == ["hotel california"]
    assert turns.replying and turns.stops == 0


def test_the_wake_word_over_the_reply_stops_it_and_opens_a_turn() -> None:
    turns, _, _ = asyncio.run(run(make_scene(None), wake=OffsetWake(3.0)))
    assert turns.opened == ["wake"]
    assert turns.stops == 1
    # The new turn listened over the rest of the reply's echo: its ERLE is reported.
    erle = [e for e in turns.turns[0].erle if e is not None]
    assert erle and erle[-1] > 3.0, turns.turns[0].erle


class CountingTranscript(KnownTranscript):
    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.calls = 0

    async def transcribe(self, clip: Clip, *, hints: Sequence[str] = ()) -> Transcript:
        self.calls += 1
        return await super().transcribe(clip, hints=hints)


def test_talk_too_long_for_a_stop_phrase_is_not_transcribed() -> None:
    stt = CountingTranscript("stop")
    interrupt = ReplyInterrupt(Replying(), stt)
    assert not asyncio.run(interrupt(bytes(32 * 4000)))  # 4 s of voice: not "stop"
    assert stt.calls == 0
    assert asyncio.run(interrupt(bytes(32 * 600)))
    assert stt.calls == 1


@pytest.mark.parametrize(("text", "stops"), [("Stop.", True), ("okay, stop!", True),
                                              ("stop the music in the kitchen", False),
                                              ("play stop making sense", False), ("", False)])
def test_stop_phrases(text: str, stops: bool) -> None:
    assert is_stop(text) is stops
