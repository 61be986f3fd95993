"""The listening loop end to end: WAV frames as the microphone, real webrtcvad and endpointing,
the wake stand-in or the talk button, the real SDKs against the fake Groq and ElevenLabs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from sam_edge.app.runtime import Runtime, build_runtime
from sam_edge.audio.playback import MemorySink
from sam_edge.audio.sources import WavSource
from sam_edge.events import Event, EventType
from sam_edge.listen.endpoint import EndpointConfig
from sam_edge.listen.loop import ListenLoop
from sam_edge.listen.mute import MicrophoneSwitch
from sam_edge.listen.wake import OffsetWake
from sam_edge.settings import Settings
from sam_edge.speech.simulated import KnownTranscript
from tests.fakes.elevenlabs import FakeElevenLabs, tone
from tests.fakes.groq import FakeGroq
from tests.fakes.recording import RecordingPlayer
from tests.voice_world import DATA, voice_settings


class World:
    def __init__(self, rt: Runtime, groq: FakeGroq, eleven: FakeElevenLabs,
                 sink: MemorySink, player: RecordingPlayer) -> None:
        self.rt, self.groq, self.eleven, self.sink, self.player = rt, groq, eleven, sink, player
        self.events: list[Event] = []
        rt.bus.subscribe(self.events.append)

    def types(self) -> list[EventType]:
        return [e.type for e in self.events if e.type is not EventType.STATE]

    def loop(self, *, live: Path | None = None, simulated: Path | None = None,
             wake: OffsetWake | None = None, stt: Any = None, **endpoint: int) -> ListenLoop:
        def source(path: Path) -> Callable[[], AsyncIterator[bytes]]:
            return lambda: aiter(WavSource(path))

        return ListenLoop(self.rt.runner, MicrophoneSwitch(self.rt.bus),
                          endpoint=EndpointConfig(**endpoint),
                          wake=wake, live=source(live) if live else None,
                          simulated=source(simulated) if simulated else None,
                          simulated_stt=stt)

    async def turn_end(self, timeout: float = 20) -> Event:
        async def wait() -> Event:
            while True:
                for event in self.events:
                    if event.type is EventType.TURN_END and event.data["source"] == "voice":
                        return event
                await asyncio.sleep(0.01)

        return await asyncio.wait_for(wait(), timeout)


@pytest.fixture
async def world(settings: Settings, groq: tuple[FakeGroq, str],
                eleven: tuple[FakeElevenLabs, str]) -> AsyncIterator[World]:
    g, groq_url = groq
    e, xi_url = eleven
    g.reset()
    e.reset()
    sink, player = MemorySink(), RecordingPlayer(volume=60)
    rt = await build_runtime(voice_settings(settings, settings.music.dir, groq_url, xi_url),
                             sink=sink, player=player)
    yield World(rt, g, e, sink, player)
    await rt.aclose()


async def test_wake_word_then_a_command(world: World) -> None:
    world.groq.transcribe_with("pause")
    loop = world.loop(live=DATA / "hey_sam_pause.wav", wake=OffsetWake(0.8))
    loop.start()
    end = await world.turn_end()
    assert end.data["status"] == "ok"
    assert world.rt.runner.last["action"] == "PAUSE"
    types = world.types()
    expected = [EventType.TURN_START, EventType.WAKE_START, EventType.WAKE_END,
                EventType.LISTEN_START, EventType.SPEECH_DETECTED,
                EventType.LISTEN_END, EventType.STT_START, EventType.STT_END,
                EventType.UNDERSTAND_START, EventType.UNDERSTAND_END, EventType.ACT_START,
                EventType.ACT_END, EventType.VERIFY_START, EventType.VERIFY_END,
                EventType.REPLY_START, EventType.REPLY_AUDIO, EventType.REPLY_END,
                EventType.TURN_END]
    assert [t for t in types if t in expected] == expected
    stamps = [e.timestamp for e in world.events]
    assert stamps == sorted(stamps)
    assert world.sink.pcm  # the reply was spoken
    await loop.aclose()


async def test_without_a_wake_nothing_is_sent(world: World) -> None:
    loop = world.loop(live=DATA / "hey_sam_pause.wav")
    loop.start()
    assert loop._runner is not None
    await asyncio.wait_for(loop._runner, 10)
    assert EventType.WAKE_START not in world.types()
    assert not world.groq.requests


async def test_talk_button_in_the_simulated_mode(world: World) -> None:
    loop = world.loop(simulated=DATA / "pause.wav", stt=KnownTranscript("pause"))
    assert loop.talk() == "simulated"
    await world.turn_end()
    assert world.rt.runner.last["transcript"] == "pause"
    assert ("pause",) in world.player.calls or world.rt.runner.last["status"] != "error"


async def test_muted_microphone_captures_nothing(world: World) -> None:
    opened: list[int] = []

    def microphone() -> AsyncIterator[bytes]:
        opened.append(1)
        return aiter(WavSource(DATA / "hey_sam_pause.wav"))

    world.groq.transcribe_with("pause")
    loop = ListenLoop(world.rt.runner, MicrophoneSwitch(world.rt.bus), endpoint=EndpointConfig(),
                      wake=OffsetWake(0.8), live=microphone)
    loop.set_muted(True)
    loop.start()
    loop.talk()
    await asyncio.sleep(0.1)
    assert not opened  # the capture stream is not even open
    assert EventType.WAKE_START not in world.types()
    assert not world.groq.requests
    loop.set_muted(False)
    await world.turn_end()
    assert opened == [1]
    await loop.aclose()


async def test_silence_times_out_without_calling_the_api(world: World) -> None:
    loop = world.loop(simulated=DATA / "silence.wav", stt=None, no_speech_timeout_ms=1000)
    loop.talk()
    assert loop._once is not None
    await asyncio.wait_for(loop._once, 10)
    ends = [e for e in world.events if e.type is EventType.LISTEN_END]
    assert ends and ends[0].data["kind"] == "timeout"
    assert not world.groq.requests


async def test_speech_longer_than_the_cap_is_cut(world: World) -> None:
    world.groq.transcribe_with("let me tell you about the playlist")
    loop = world.loop(simulated=DATA / "long_speech.wav", max_utterance_ms=3000)
    loop.talk()
    await world.turn_end()
    ends = [e for e in world.events if e.type is EventType.LISTEN_END]
    assert (ends[0].data["kind"], ends[0].data["reason"]) == ("speech", "max_length")
    sent = [r for r in world.groq.requests if r.path.endswith("/audio/transcriptions")]
    assert len(sent) == 1
    assert len(sent[0].files["file"][1]) < 16000 * 2 * 4  # about 3 s of audio, not 22


async def test_barge_in_stops_the_reply(world: World) -> None:
    world.eleven.chunk_bytes = 640
    world.eleven.chunk_interval_s = 0.05
    loop = world.loop(simulated=DATA / "pause.wav", stt=KnownTranscript("what's playing"))
    loop.talk()

    async def first_audio() -> None:
        while EventType.REPLY_AUDIO not in world.types():
            await asyncio.sleep(0.01)

    await asyncio.wait_for(first_audio(), 20)
    loop.talk()  # pressed during the reply
    await world.turn_end()
    full = tone("Nothing is playing.", 16000)
    assert 0 < len(world.sink.pcm) < len(full)


async def test_music_is_ducked_and_restored(world: World) -> None:
    await world.rt.runner.chat("play music")  # resumes: the player reports playing
    world.player.paused = False
    world.player.queue, world.player.index = ["/music/a.mp3"], 0
    loop = world.loop(simulated=DATA / "pause.wav", stt=KnownTranscript("what's playing"))
    loop.talk()
    await world.turn_end()
    volumes = [c[1] for c in world.player.calls if c[0] == "set_volume"]
    assert volumes == [20, 60]


async def test_set_volume_during_the_turn_wins_over_the_restore(world: World) -> None:
    world.player.paused = False
    world.player.queue, world.player.index = ["/music/a.mp3"], 0
    loop = world.loop(simulated=DATA / "pause.wav", stt=KnownTranscript("set the volume to 40"))
    loop.talk()
    await world.turn_end()
    volumes = [c[1] for c in world.player.calls if c[0] == "set_volume"]
    assert volumes[0] == 20 and volumes[-1] == 40
    assert world.player.volume == 40


async def test_ducking_never_compounds(world: World) -> None:
    world.player.paused = False
    world.player.queue, world.player.index = ["/music/a.mp3"], 0
    ducker = world.rt.runner.ducker
    assert ducker is not None
    await ducker.duck()
    await ducker.duck()
    await ducker.restore()
    assert world.player.volume == 60


async def test_cancel_drops_the_request(world: World) -> None:
    loop = world.loop(simulated=DATA / "long_speech.wav", stt=KnownTranscript("pause"))
    loop.talk()

    async def speaking() -> None:
        while EventType.SPEECH_DETECTED not in world.types():
            await asyncio.sleep(0.005)

    await asyncio.wait_for(speaking(), 10)
    loop.cancel()
    assert loop._once is not None
    await asyncio.wait_for(loop._once, 10)
    ends = [e for e in world.events if e.type is EventType.LISTEN_END]
    assert ends[-1].data["kind"] == "cancelled"
    assert EventType.STT_START not in world.types()


async def test_a_restore_waits_for_a_slow_duck_and_wins(world: World) -> None:
    """The duck started at the wake word is not awaited; a turn that ends at once must still
    leave the music at its own volume, never at the ducked one."""
    world.player.paused = False
    world.player.queue, world.player.index = ["/music/a.mp3"], 0
    real_set_volume = world.player.set_volume

    async def slow_set_volume(level: int) -> None:
        await asyncio.sleep(0.3)
        await real_set_volume(level)

    world.player.set_volume = slow_set_volume  # type: ignore[method-assign]
    ducker = world.rt.runner.ducker
    assert ducker is not None
    ducker.start_duck()
    await ducker.restore()  # before the duck's own set_volume has landed
    assert world.player.volume == 60
    assert not ducker.ducked
