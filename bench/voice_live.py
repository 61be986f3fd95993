"""What the user waits on the microphone path: from the true end of speech in the recording
to the platform call done at the fake Spotify, and to the first reply audio byte.

The command WAVs are played into the listening loop at their real pace (the talk button, the
live front end, the endpointer with its provisional end, speculative speech-to-text), through
the fakes at the bench's latencies. The true end of speech is read off the recording (its last
sample above 0.5 % of full scale, where ``tests/data/make_speech.sh`` trimmed espeak-ng's
silence), never off the endpointer.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sam_edge.app.runtime import Runtime
from sam_edge.audio.format import SAMPLE_RATE
from sam_edge.audio.sources import WavSource, read_wav_pcm
from sam_edge.events import Event, EventType
from sam_edge.listen.endpoint import EndpointConfig
from sam_edge.listen.loop import ListenLoop
from sam_edge.listen.mute import MicrophoneSwitch

Scope = MutableMapping[str, Any]
Asgi = Callable[[Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]],
                Awaitable[None]]
FRAME_S = 0.030


@dataclass(frozen=True, slots=True)
class Call:
    path: str
    arrived: float
    done: float


def stamped(app: Asgi, calls: list[Call]) -> Asgi:
    """``app`` with every HTTP call's arrival and completion recorded (monotonic time)."""
    async def wrapper(scope: Scope, receive: Callable[[], Awaitable[Any]],
                      send: Callable[[Any], Awaitable[None]]) -> None:
        arrived = time.monotonic()
        await app(scope, receive, send)
        if scope["type"] == "http":
            calls.append(Call(scope["path"], arrived, time.monotonic()))
    return wrapper


def speech_end_s(path: Path, threshold: float = 0.005) -> float:
    """Seconds from the start of the recording to its last sample of speech."""
    samples = np.frombuffer(read_wav_pcm(path), dtype="<i2")
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) > threshold * 32768)
    return float(loud[-1] + 1) / SAMPLE_RATE


@dataclass(frozen=True, slots=True)
class Wait:
    to_platform_ms: float
    to_audio_ms: float
    listen_reason: str
    platform_calls: int
    """Spotify calls after the end of the listen and before the first reply audio."""


async def live_turn(rt: Runtime, wav: Path, platform_path: str, calls: list[Call], *,
                    provisional_ms: int) -> Wait:
    """One turn through the listening loop, ``wav`` as the microphone."""
    events: list[Event] = []
    unsubscribe = rt.bus.subscribe(events.append)
    started: list[float] = []

    async def microphone() -> AsyncIterator[bytes]:
        async for frame in WavSource(wav, realtime=True):
            if not started:  # the first frame is there once its last sample was heard
                started.append(time.monotonic() - FRAME_S)
            yield frame

    loop = ListenLoop(rt.runner, MicrophoneSwitch(rt.bus),
                      endpoint=EndpointConfig(provisional_silence_ms=provisional_ms),
                      simulated=microphone)
    mark = len(calls)
    loop.talk()
    assert loop._once is not None
    await loop._once
    await loop.aclose()
    unsubscribe()
    end = started[0] + speech_end_s(wav)
    turn_end = next(e for e in events if e.type is EventType.TURN_END)
    assert turn_end.data["status"] == "ok", turn_end.data
    done = next(c.done for c in calls[mark:] if c.path.endswith(platform_path))
    audio = next(e.timestamp for e in events if e.type is EventType.REPLY_AUDIO)
    listen_end = next(e for e in events if e.type is EventType.LISTEN_END)
    on_path = sum(listen_end.timestamp <= c.arrived and c.done <= audio for c in calls[mark:])
    return Wait((done - end) * 1000, (audio - end) * 1000, listen_end.data["reason"], on_path)
