"""Composition of the voice side: microphone, wake word, VAD/endpointing, STT, TTS, speaker.

Each seam falls back on its own and says so in ``simulated``: no sound card → no capture loop
(the talk button plays the bundled demo request) and replies kept in memory; no Porcupine key →
talk button only; no Groq key → the demo's known transcript; no ElevenLabs key → espeak-ng.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

from ..actions.ducking import Ducker
from ..actions.service import MusicActionService
from ..audio.capture import has_sound_card
from ..audio.format import scale
from ..audio.playback import AplaySink, AudioSink, MemorySink
from ..audio.sources import WavSource
from ..cache.layered import SearchCache
from ..cache.library import LibraryResolver
from ..clock import Clock
from ..events import Event, EventBus, EventType
from ..listen.endpoint import EndpointConfig
from ..listen.loop import ListenLoop
from ..listen.wake import WakeEngine, create_wake_engine
from ..pipeline.runner import Assistant
from ..pipeline.voice import VoicePipeline
from ..settings import Settings
from ..speech.earcons import earcon
from ..speech.factory import build_stt, build_tts
from ..speech.simulated import DEMO_WAV, KnownTranscript
from ..speech.stt import SpeechToText

log = logging.getLogger(__name__)


def endpoint_config(settings: Settings) -> EndpointConfig:
    listen = settings.listen
    return EndpointConfig(
        pre_roll_ms=listen.pre_roll_ms,
        trailing_silence_ms=listen.trailing_silence_ms,
        no_speech_timeout_ms=listen.no_speech_timeout_ms,
        max_utterance_ms=listen.max_utterance_ms,
        min_speech_ms=listen.min_voiced_ms,
    )


def speaker(settings: Settings) -> AudioSink:
    """The speaker as configured, or a sink in memory when there is none."""
    return _sink(settings, [])


def _sink(settings: Settings, simulated: list[str]) -> AudioSink:
    mode = settings.audio.output
    if mode == "aplay" or (mode == "auto" and has_sound_card() and shutil.which("aplay")):
        return AplaySink(settings.audio.output_device)
    simulated.append("speaker (replies kept in memory)" if mode == "none" else
                     "speaker (no sound card or aplay: replies kept in memory)")
    return MemorySink()


def _microphone(settings: Settings, simulated: list[str]):  # type: ignore[no-untyped-def]
    if not has_sound_card():
        simulated.append("microphone (no sound card: the talk button plays the demo request)")
        return None
    try:
        import pyaudio  # noqa: F401
    except ImportError:
        simulated.append("microphone (PyAudio not installed: pip install 'sam-edge[pi]')")
        return None
    from ..audio.capture import MicrophoneSource

    async def frames() -> AsyncIterator[bytes]:
        async with MicrophoneSource(settings.audio.input_device or None) as mic:
            async for frame in mic:
                yield frame

    return frames


def build_voice(settings: Settings, assistant: Assistant, actions: MusicActionService,
                cache: SearchCache, bus: EventBus, simulated: list[str], *, clock: Clock,
                stt: SpeechToText | None = None, sink: AudioSink | None = None,
                wake: WakeEngine | None = None,
                library: LibraryResolver | None = None) -> tuple[VoicePipeline, ListenLoop]:
    if stt is None:
        stt, reason = build_stt(settings)
        if stt is not None and reason:
            log.info("%s", reason)
        if stt is None:
            simulated.append("speech-to-text (no SAM_GROQ_API_KEY: uploads get 503, the talk "
                             "button uses the demo request's known transcript)")
    tts = build_tts(settings, settings.phrase_cache_dir, clock=clock)
    if getattr(tts, "simulated", ""):
        simulated.append(tts.simulated)
    sink = sink or _sink(settings, simulated)
    if wake is None:
        wake, reason = create_wake_engine(settings.porcupine)
        if wake is None:
            simulated.append(reason)
    live = _microphone(settings, simulated)

    async def hints() -> list[str]:
        # Recent requests first, then the user's own library (liked first).
        titles = await cache.store.recent_titles()
        if library is not None:
            titles += await library.titles(limit=200)
        return titles

    pipeline = VoicePipeline(assistant, stt, tts, sink, bus,
                             ducker=Ducker(actions, settings.listen.duck_volume),
                             vad_mode=settings.listen.vad_mode,
                             min_voiced_ms=settings.listen.min_voiced_ms, hints=hints,
                             clock=clock)
    pipeline.voice_volume = settings.audio.voice_volume
    demo = Path(settings.audio.simulated_input).expanduser() \
        if settings.audio.simulated_input else DEMO_WAV

    def demo_frames() -> AsyncIterator[bytes]:
        return aiter(WavSource(demo, realtime=True))

    earcon_sink = MemorySink() if isinstance(sink, MemorySink) else AplaySink(
        settings.audio.output_device)
    tasks: set[asyncio.Task[bool]] = set()

    def play_earcon(kind: str) -> None:
        async def one() -> AsyncIterator[bytes]:
            yield scale(earcon(kind), settings.audio.voice_volume)

        task = asyncio.get_running_loop().create_task(earcon_sink.play(one(), 16_000))
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    def on_event(event: Event) -> None:
        if event.type is EventType.LISTEN_END and event.data.get("kind") == "timeout":
            play_earcon("done")  # nothing was heard: listening is over
        elif event.type is EventType.TURN_END and event.data.get("status") == "error":
            play_earcon("error")

    bus.subscribe(on_event)
    listener = ListenLoop(
        pipeline, bus, endpoint=endpoint_config(settings), vad_mode=settings.listen.vad_mode,
        wake=wake, live=live, simulated=demo_frames,
        simulated_stt=stt if stt is not None else KnownTranscript.for_wav(demo),
        earcon=play_earcon,
    )
    assistant.mute_microphone = listener.set_muted
    return pipeline, listener
