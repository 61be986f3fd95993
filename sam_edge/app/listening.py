"""The microphone loop as the composition root builds it: the front end fed by the output
stage's reference when SAM owns the output path, and "stop" heard over a reply."""

from __future__ import annotations

from ..events import EventBus, EventType
from ..listen.loop import ListenLoop
from ..listen.mute import MicrophoneSwitch
from ..listen.played import PlayedAudio
from ..pipeline.interrupt import ReplyInterrupt
from ..pipeline.runner import TurnRunner
from ..settings import Settings
from .voice import VoiceParts, endpoint_config, speech_trimmer


def build_listener(settings: Settings, runner: TurnRunner, microphone: MicrophoneSwitch,
                   voice: VoiceParts, bus: EventBus, *,
                   reference: PlayedAudio | None) -> ListenLoop:
    listen = settings.listen
    return ListenLoop(
        runner, microphone, endpoint=endpoint_config(settings),
        vad_mode=listen.vad_mode, wake=voice.wake, live=voice.live,
        simulated=voice.demo, simulated_stt=voice.demo_stt, reference=reference,
        interrupt=ReplyInterrupt(runner, voice.stt, trim=speech_trimmer(listen.vad_mode),
                                 min_voiced_ms=listen.min_voiced_ms),
        on_error=lambda message: _report(bus, message))


def _report(bus: EventBus, message: str) -> None:
    bus.emit(EventType.ERROR, source="microphone", code="microphone", message=message)
