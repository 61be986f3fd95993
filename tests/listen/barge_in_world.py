"""A reply played through the output stage, heard back by the microphone in a simulated room,
with or without a person saying "stop" over it; and a listening loop to run it through."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import numpy as np
import soxr

from sam_edge.audio.output.sinks import PacedNullSink
from sam_edge.audio.output.stage import OutputStage
from sam_edge.audio.output.tap import ReferenceReader, ReferenceTap
from sam_edge.listen.endpoint import EndpointResult
from sam_edge.speech.stt import SpeechToText
from tests.audio.output_fakes import SteppedClock
from tests.echo_corpus import MIC_RATE, PLAYER_RATE, convolve, loudspeaker, room_response, speak

REPLY = ("Here is what I found. Hotel California by the Eagles is playing in the living room, "
         "and after it comes a long queue of songs from the same album, one after another.")
FRAME_BYTES = 960


@dataclass
class Scene:
    mic: bytes
    tap: ReferenceTap
    stop_at_s: float | None


def play_reply(seconds_after: float = 1.0) -> tuple[ReferenceTap, np.ndarray]:
    """The reply through a real stage (on a stepped clock): its tap, and the card's mono."""
    reply = speak(REPLY, "en-gb", 175)
    stage = OutputStage(PacedNullSink(clock=SteppedClock()), block_ms=10, reference_s=60.0)
    inp = stage.stream("reply", MIC_RATE, 1)
    inp.push(np.round(reply * 0.5 * 32767).astype("<i2").tobytes())
    inp.finish()
    blocks = int((len(reply) / MIC_RATE + seconds_after) * 100)
    for _ in range(blocks):
        stage.step()
    card = np.frombuffer(stage.tap.read(0, stage.tap.written), "<i2").reshape(-1, 2)
    return stage.tap, card.mean(axis=1) / 32768.0


def make_scene(stop_at_s: float | None, *, echo_over_voice_db: float = 10.0,
               seed: int = 5) -> Scene:
    rng = np.random.default_rng(seed)
    tap, card = play_reply()
    cone = loudspeaker(card, 2.0, PLAYER_RATE)
    at_mic = np.asarray(soxr.resample(cone, PLAYER_RATE, MIC_RATE * (1 + 40e-6), "VHQ"))
    echo = convolve(at_mic, room_response(rng, 25.0, 250.0, 4.0))
    echo *= 10 ** ((-35 + echo_over_voice_db) / 20) / float(np.sqrt(np.mean(echo ** 2)))
    mic = echo.copy()
    if stop_at_s is not None:
        stop = speak("stop", "en-us+f3", 160)
        stop = convolve(np.concatenate([stop, np.zeros(4000)]), room_response(rng, 4, 200, 3))
        stop *= 10 ** (-35 / 20) / float(np.sqrt(np.mean(stop[:len(stop) - 4000] ** 2)))
        at = int(stop_at_s * MIC_RATE)
        mic[at:at + len(stop)] += stop[:len(mic) - at]
    mic += rng.standard_normal(len(mic)) * 10 ** (-68 / 20)
    pcm = np.clip(np.round(mic * 32768), -32768, 32767).astype("<i2").tobytes()
    return Scene(pcm, tap, stop_at_s)


class WholeReference:
    """The tap read from its start: the microphone recording starts when the reply does."""

    def __init__(self, tap: ReferenceTap) -> None:
        self.tap = tap
        self.rate, self.channels = tap.rate, tap.channels

    def reader(self, at: float) -> ReferenceReader:
        return ReferenceReader(self.tap, 0)


async def frames(pcm: bytes, done: asyncio.Event) -> AsyncIterator[bytes]:
    for i in range(0, len(pcm) - FRAME_BYTES + 1, FRAME_BYTES):
        yield pcm[i:i + FRAME_BYTES]
        await asyncio.sleep(0)
    done.set()


class StillListening:
    """An open turn that only records what the loop told it."""

    def __init__(self) -> None:
        self.listened: list[EndpointResult] = []
        self.erle: list[float | None] = []

    def speech_detected(self) -> None: ...

    def provisional(self, result: EndpointResult, stt: SpeechToText | None) -> None: ...

    def withdraw(self) -> None: ...

    def echo(self, erle_db: float | None) -> None:
        self.erle.append(erle_db)

    def taken(self) -> asyncio.Task[None] | None:
        return None

    async def listened(self, result: EndpointResult, stt: SpeechToText | None) -> None:
        self.listened.append(result)

    async def cancelled(self) -> None: ...


@dataclass
class Replying:
    """The turn runner as the loop sees it, with a reply playing until it is stopped."""

    replying: bool = True
    stops: int = 0
    opened: list[str] = field(default_factory=list)
    turns: list[StillListening] = field(default_factory=list)

    def stop_reply(self) -> None:
        if self.replying:
            self.stops += 1
        self.replying = False

    def open_voice_turn(self, by: str) -> StillListening:
        self.stop_reply()
        self.opened.append(by)
        self.turns.append(StillListening())
        return self.turns[-1]
