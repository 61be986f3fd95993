"""Speculative speech-to-text through the listening loop: started at the provisional end,
committed when the silence holds, discarded when the speaker goes on after a pause.

The microphone is a WAV played at its real pace (the pause must really pass while the
speculative request is in flight); the speech is made by espeak-ng and sox into a temporary
directory, as ``tests/data/make_speech.sh`` makes the checked-in WAVs.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from collections.abc import AsyncIterator, Iterator
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
from sam_edge.pipeline.listening import short_command
from sam_edge.settings import Settings
from tests.fakes.elevenlabs import FakeElevenLabs
from tests.fakes.groq import FakeGroq
from tests.fakes.recording import RecordingPlayer
from tests.fakes.server import serve
from tests.voice_world import DATA, voice_settings

SOX = ["sox", "-V1", "-R", "-D"]
PAUSE_S = 0.4


def _say(out: Path, text: str, tmp: Path) -> None:
    raw = tmp / "raw.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "165", "-w", str(raw), text], check=True)
    subprocess.run([*SOX, str(raw), "-r", "16000", "-c", "1", "-b", "16", str(out), "silence",
                    "1", "0.02", "0.5%", "reverse", "silence", "1", "0.02", "0.5%", "reverse"],
                   check=True)


def _seconds(path: Path) -> float:
    return float(subprocess.run(["soxi", "-D", str(path)], check=True, capture_output=True,
                                text=True).stdout)


@pytest.fixture(scope="module")
def paused_speech(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float]:
    """"play", 400 ms of silence, "hotel california": the WAV and the first phrase's length."""
    if shutil.which("espeak-ng") is None or shutil.which("sox") is None:
        pytest.skip("needs espeak-ng and sox")
    tmp = tmp_path_factory.mktemp("speech")
    first, second = tmp / "play.wav", tmp / "hotel.wav"
    _say(first, "play", tmp)
    _say(second, "hotel california", tmp)
    gap = tmp / "gap.wav"
    subprocess.run([*SOX, str(first), str(gap), "pad", "0", str(PAUSE_S)], check=True)
    joined, out = tmp / "joined.wav", tmp / "play_pause_hotel_california.wav"
    subprocess.run([*SOX, str(gap), str(second), str(joined)], check=True)
    subprocess.run([*SOX, str(joined), str(out), "pad", "0.5", "1.0"], check=True)
    return out, _seconds(first)


@pytest.fixture(scope="module")
def fakes() -> Iterator[tuple[FakeGroq, str, FakeElevenLabs, str]]:
    groq, eleven = FakeGroq(), FakeElevenLabs()
    with serve(groq.app) as g, serve(eleven.app) as e:
        yield groq, g, eleven, e


class World:
    def __init__(self, rt: Runtime, groq: FakeGroq, player: RecordingPlayer) -> None:
        self.rt, self.groq, self.player = rt, groq, player
        self.events: list[Event] = []
        rt.bus.subscribe(self.events.append)

    def of(self, type_: EventType) -> list[Event]:
        return [e for e in self.events if e.type is type_]

    async def listen(self, wav: Path, **endpoint: int) -> Event:
        """The talk button, then ``wav`` as the microphone at its real pace."""
        loop = ListenLoop(self.rt.runner, MicrophoneSwitch(self.rt.bus),
                          endpoint=EndpointConfig(**endpoint),
                          simulated=lambda: aiter(WavSource(wav, realtime=True)))
        loop.talk()
        assert loop._once is not None
        await asyncio.wait_for(loop._once, 30)
        await loop.aclose()
        ends = self.of(EventType.TURN_END)
        assert len(ends) == 1
        return ends[0]

    def uploads(self) -> list[Any]:
        return [r for r in self.groq.requests if r.path.endswith("/audio/transcriptions")]

    def assert_paired(self) -> None:
        names = [e.type.value for e in self.events]
        for stage in ("listen", "stt", "understand", "act", "reply"):
            assert names.count(f"{stage}_start") == names.count(f"{stage}_end"), stage


@pytest.fixture
async def world(settings: Settings,
                fakes: tuple[FakeGroq, str, FakeElevenLabs, str]) -> AsyncIterator[World]:
    groq, groq_url, eleven, xi_url = fakes
    groq.reset()
    eleven.reset()
    groq.path_latency_s = {"transcriptions": 0.3}
    player = RecordingPlayer(volume=60)
    rt = await build_runtime(voice_settings(settings, settings.music.dir, groq_url, xi_url),
                             sink=MemorySink(), player=player)
    yield World(rt, groq, player)
    await rt.aclose()


def test_short_complete_commands_only() -> None:
    for text in ("pause", "Pause.", "next", "skip", "previous", "stop"):
        assert short_command(text), text
    for text in ("play", "Play.", "play hotel california", "set the volume to 30",
                 "what's playing", "", "pause it now please thanks"):
        assert not short_command(text), text


@pytest.mark.parametrize("stt_s", [0.3, 0.0], ids=["words-in-flight", "words-back"])
async def test_a_400_ms_pause_mid_sentence_is_not_cut(world: World, stt_s: float,
                                                      paused_speech: tuple[Path, float]) -> None:
    """The speculation at the pause is cancelled in flight, or its words are dropped."""
    wav, first_s = paused_speech
    world.groq.path_latency_s = {"transcriptions": stt_s}

    def transcript(data: bytes, fields: dict[str, Any]) -> str:
        # What a real recogniser says: "play" alone for the audio before the pause.
        return "play" if (len(data) - 44) / 32000 < first_s + PAUSE_S else \
            "play hotel california"

    world.groq.transcribe_with(transcript, always=True)
    await world.listen(wav)
    listen_end = world.of(EventType.LISTEN_END)[0]
    assert (listen_end.data["kind"], listen_end.data["reason"]) == ("speech", "silence")
    stt_ends = world.of(EventType.STT_END)
    assert len(stt_ends) >= 2  # a speculation at the pause, then the whole sentence
    assert all(e.data.get("discarded") for e in stt_ends[:-1])
    assert not stt_ends[-1].data.get("discarded")
    assert stt_ends[-1].data["text"] == "play hotel california"
    assert world.rt.runner.last["transcript"] == "play hotel california"
    assert world.rt.runner.last["action"] != "RESUME"  # "play" alone was never acted on
    assert ("resume",) not in world.player.calls
    committed = world.uploads()[-1].files["file"][1]
    assert (len(committed) - 44) / 32000 > first_s + PAUSE_S + 0.3  # both phrases went up
    world.assert_paired()


async def test_a_short_command_acts_at_the_provisional_end(world: World) -> None:
    world.groq.transcribe_with("Pause.", always=True)
    world.groq.path_latency_s = {"transcriptions": 0.05}
    # A generous gap between the provisional and the final end, so a busy test machine
    # still hears the words back before the silence would have ended the listen anyway.
    end = await world.listen(DATA / "pause.wav", trailing_silence_ms=900)
    assert end.data["status"] == "ok" and end.data["action"] == "PAUSE"
    listen_end = world.of(EventType.LISTEN_END)[0]
    assert listen_end.data["reason"] == "provisional"
    assert len(world.uploads()) == 1
    (stt_start,) = world.of(EventType.STT_START)
    assert stt_start.data.get("speculative") is True
    (stt_end,) = world.of(EventType.STT_END)
    assert not stt_end.data.get("discarded")
    world.assert_paired()


async def test_speculative_words_are_committed_without_a_new_upload(world: World) -> None:
    world.groq.transcribe_with("play Hello by Adele", always=True)
    await world.listen(DATA / "play_hello_by_adele.wav")
    types = [e.type for e in world.events]
    listen_end = world.of(EventType.LISTEN_END)[0]
    assert listen_end.data["reason"] == "silence"
    assert len(world.uploads()) == 1  # the speculative one, committed
    assert types.index(EventType.STT_START) < types.index(EventType.LISTEN_END)
    assert world.rt.runner.last["transcript"] == "play Hello by Adele"
    world.assert_paired()
