"""The voice side's seams, chosen from the settings: microphone, wake word, speech-to-text,
text-to-speech and the speaker.

Each seam falls back on its own and says so in ``simulated``: no sound card → no capture loop
(the talk button plays the bundled demo request) and replies kept in memory; no Porcupine key →
talk button only; no Groq key → the demo's known transcript; no ElevenLabs key → espeak-ng.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..audio.capture import has_sound_card
from ..audio.playback import AplaySink, AudioSink, MemorySink
from ..audio.sources import WavSource
from ..clock import Clock
from ..listen.endpoint import EndpointConfig
from ..listen.vad import WebRtcVad, speech_span
from ..listen.wake import WakeEngine, create_wake_engine
from ..settings import Settings
from ..speech.factory import build_stt, build_tts
from ..speech.simulated import DEMO_WAV, KnownTranscript
from ..speech.stt import SpeechToText
from ..speech.tts import SpeechService

if TYPE_CHECKING:
    from .output import OwnedOutput

log = logging.getLogger(__name__)

Frames = Callable[[], AsyncIterator[bytes]]


@dataclass
class VoiceParts:
    stt: SpeechToText | None
    tts: SpeechService
    sink: AudioSink
    earcon_sink: AudioSink
    wake: WakeEngine | None
    live: Frames | None
    """The microphone's frames; ``None`` without a sound card or PyAudio."""
    demo: Frames
    """What the talk button hears when there is no microphone."""
    demo_stt: SpeechToText | None


def endpoint_config(settings: Settings) -> EndpointConfig:
    return EndpointConfig.from_settings(settings.listen)


def speech_trimmer(vad_mode: int) -> Callable[[bytes], tuple[int, bytes]]:
    """The VAD's cut of an utterance: voiced milliseconds and the speech without the silence."""

    def trim(pcm: bytes) -> tuple[int, bytes]:
        return speech_span(pcm, WebRtcVad(vad_mode))

    return trim


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


def _microphone(settings: Settings, simulated: list[str]) -> Frames | None:
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


def build_voice_parts(settings: Settings, simulated: list[str], *, clock: Clock,
                      stt: SpeechToText | None = None, sink: AudioSink | None = None,
                      wake: WakeEngine | None = None,
                      output: OwnedOutput | None = None) -> VoiceParts:
    """Every voice seam; parts passed in replace the real ones (tests). With ``output`` (SAM
    owns the output path) replies and earcons play through the output stage."""
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
    if output is not None and sink is None:
        sink = output.reply_sink
    sink = sink or _sink(settings, simulated)
    if wake is None:
        wake, reason = create_wake_engine(settings.porcupine)
        if wake is None:
            simulated.append(reason)
    live = _microphone(settings, simulated)
    demo_wav = Path(settings.audio.simulated_input).expanduser() \
        if settings.audio.simulated_input else DEMO_WAV

    def demo() -> AsyncIterator[bytes]:
        return aiter(WavSource(demo_wav, realtime=True))

    earcon_sink: AudioSink = MemorySink() if isinstance(sink, MemorySink) else AplaySink(
        settings.audio.output_device)
    if output is not None and sink is output.reply_sink:
        earcon_sink = output.earcon_sink
    return VoiceParts(stt=stt, tts=tts, sink=sink, earcon_sink=earcon_sink, wake=wake,
                      live=live, demo=demo,
                      demo_stt=stt if stt is not None else KnownTranscript.for_wav(demo_wav))
