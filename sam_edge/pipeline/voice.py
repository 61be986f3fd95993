"""One voice turn: (wake →) listen → speech-to-text → dialog → action → spoken reply.

Every stage emits START/END events on the bus; the turn's ``timings_ms`` come from them and
are logged on one line. The same object serves the microphone loop, ``POST /v1/voice/process``
and ``sam-edge listen --wav``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from ..actions.ducking import Ducker
from ..audio.format import Clip, pcm_to_wav, scale
from ..audio.playback import AudioSink
from ..clock import Clock, SystemClock
from ..dialog.intents import Action, Intent
from ..errors import SamError
from ..events import EventBus, EventType, StageTimer, State
from ..listen.vad import WebRtcVad, speech_span
from ..speech.stt import SpeechToText, Transcript
from .runner import Assistant, TurnResult

log = logging.getLogger(__name__)

VOLUME_ACTIONS = (Action.VOLUME_UP, Action.VOLUME_DOWN, Action.SET_VOLUME)
HINTS_TTL_S = 60.0
NO_STT = "Speech-to-text is not set up: set SAM_GROQ_API_KEY."

HintSource = Callable[[], Awaitable[list[str]]]


class SttMissing(SamError):
    code = "stt_unavailable"


@dataclass(slots=True)
class VoiceResult:
    transcript: str
    turn: TurnResult
    reply_pcm: bytes = b""
    reply_sample_rate: int = 16_000
    reply_source: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self, *, reply_audio: bool = False) -> dict[str, Any]:
        import base64

        out = {"transcript": self.transcript, **self.turn.to_dict()}
        if reply_audio:
            wav = pcm_to_wav(self.reply_pcm, self.reply_sample_rate) if self.reply_pcm else b""
            out["reply_audio"] = {"content_type": "audio/wav",
                                  "base64": base64.b64encode(wav).decode("ascii")}
        return out


class VoicePipeline:
    def __init__(self, assistant: Assistant, stt: SpeechToText | None, tts: Any,
                 sink: AudioSink | None, bus: EventBus, *, ducker: Ducker | None = None,
                 vad_mode: int = 2, min_voiced_ms: int = 250,
                 hints: HintSource | None = None, clock: Clock | None = None) -> None:
        self.assistant = assistant
        self.stt = stt
        self.tts = tts
        self.sink = sink
        self.bus = bus
        self.ducker = ducker
        self._vad_mode = vad_mode
        self._min_voiced_ms = min_voiced_ms
        self._hints = hints
        self._clock = clock or SystemClock()
        self.last: dict[str, Any] = {}
        self._hint_cache: tuple[float, list[str]] | None = None
        self.voice_volume = 100
        self._replying = False

    @property
    def replying(self) -> bool:
        return self._replying

    async def _before_action(self, intent: Intent) -> None:
        if self.ducker is not None and intent.action in VOLUME_ACTIONS:
            await self.ducker.restore()

    async def _hint_list(self) -> list[str]:
        if self._hints is None:
            return []
        now = self._clock.monotonic()
        if self._hint_cache is not None and now - self._hint_cache[0] < HINTS_TTL_S:
            return self._hint_cache[1]
        try:
            hints = await self._hints()
        except Exception:  # hints only bias recognition; never fail a turn for them
            log.exception("could not read the recognition hints")
            return []
        self._hint_cache = (now, hints)
        return hints

    async def process(self, clip: Clip, *, session_id: str = "default", play: bool = True,
                      collect: bool = False, timer: StageTimer | None = None,
                      stt: SpeechToText | None = None) -> VoiceResult:
        """A whole utterance (already endpointed, or an uploaded file) to a spoken reply.
        ``stt`` replaces the configured speech-to-text for this turn (the simulated mode)."""
        timer = timer or StageTimer(self.bus, self._clock)
        t0 = self._clock.monotonic()
        try:
            result = await self._process(clip, session_id, play, collect, timer,
                                         stt or self.stt)
        finally:
            if self.ducker is not None:
                await self.ducker.restore()
        result.turn.timings_ms = {**timer.timings_ms, **result.turn.timings_ms,
                                  "total": round((self._clock.monotonic() - t0) * 1000, 3)}
        self.bus.emit(EventType.TURN_END, status=result.turn.status,
                      code=(result.turn.error or {}).get("code", ""),
                      timings_ms=result.turn.timings_ms)
        self.bus.set_state(State.ERROR if result.turn.status == "error" else State.IDLE)
        self.last = {"transcript": result.transcript, **result.turn.to_dict(),
                     "reply_source": result.reply_source, "at": time.time()}
        log.info("voice turn %s status=%s source=%s transcript=%r timings=%s",
                 result.turn.action, result.turn.status, result.turn.source or "-",
                 result.transcript[:80],
                 " ".join(f"{k}={v:.0f}" for k, v in result.turn.timings_ms.items()))
        return result

    async def _process(self, clip: Clip, session_id: str, play: bool, collect: bool,
                       timer: StageTimer, stt: SpeechToText | None) -> VoiceResult:
        self.bus.set_state(State.THINKING)
        vad = WebRtcVad(self._vad_mode)
        voiced, speech = speech_span(clip.pcm, vad)
        if voiced < self._min_voiced_ms:
            return VoiceResult("", _no_speech(f"only {voiced} ms of speech"))
        if stt is None:
            raise SttMissing(NO_STT)
        timer.start("stt", EventType.STT_START)
        try:
            # Long silences cost upload time and invite Whisper's hallucinations.
            transcript: Transcript = await stt.transcribe(Clip(speech, clip.sample_rate),
                                                          hints=await self._hint_list())
        except SamError as exc:
            timer.end("stt", EventType.STT_END, ok=False)
            turn = TurnResult("CHAT", {}, exc.message, "error", {},
                              error={"code": exc.code, "message": exc.message})
            return await self._reply(VoiceResult("", turn), play, collect, timer)
        timer.end("stt", EventType.STT_END, ok=True, text=transcript.text)
        if transcript.no_speech or not transcript.text.strip():
            return VoiceResult("", _no_speech(transcript.rejected_reason or "no words"))
        timer.start("dialog", EventType.DIALOG_START)
        turn = await self.assistant.handle_text(transcript.text.strip(), session_id,
                                                before_action=self._before_action,
                                                log_turn=False)
        timer.end("dialog", EventType.DIALOG_END, action=turn.action, status=turn.status)
        return await self._reply(VoiceResult(transcript.text.strip(), turn), play, collect,
                                 timer)

    async def _reply(self, result: VoiceResult, play: bool, collect: bool,
                     timer: StageTimer) -> VoiceResult:
        text = result.turn.response_text
        if not text or self.tts is None or not (play or collect):
            return result
        self.bus.set_state(State.SPEAKING)
        timer.start("reply", EventType.REPLY_START)
        reply_start = self._clock.monotonic()
        pcm: list[bytes] = []
        first = True

        async def chunks() -> AsyncIterator[bytes]:
            nonlocal first
            async for chunk in self.tts.stream(text):
                if first:
                    first = False
                    event = self.bus.emit(EventType.REPLY_AUDIO)
                    result.extra["first_audio_at"] = event.timestamp
                    timer.timings_ms["reply_first_audio"] = round(
                        (event.timestamp - reply_start) * 1000, 3)
                if collect:
                    pcm.append(chunk)
                yield scale(chunk, self.voice_volume)

        self._replying = True
        try:
            if play and self.sink is not None:
                await self.sink.play(chunks(), self.tts.sample_rate)
            else:
                async for _ in chunks():
                    pass
        except asyncio.CancelledError:
            raise
        except Exception:  # a broken speaker must not lose the action that already happened
            log.exception("could not speak the reply")
        finally:
            self._replying = False
        timer.end("reply", EventType.REPLY_END)
        result.reply_pcm = b"".join(pcm)
        result.reply_sample_rate = self.tts.sample_rate
        result.reply_source = getattr(self.tts, "last_source", "")
        return result

    async def say(self, text: str) -> None:
        """Speak a sentence that is not the answer to a turn (e.g. the pairing code)."""
        if self.tts is None or self.sink is None:
            return
        chunks = (scale(chunk, self.voice_volume) async for chunk in self.tts.stream(text))
        await self.sink.play(chunks, self.tts.sample_rate)

    def stop_reply(self) -> None:
        """Barge-in: stop speaking now."""
        if self._replying and self.sink is not None:
            self.sink.stop()


def _no_speech(reason: str) -> TurnResult:
    return TurnResult("CHAT", {}, "", "no_speech", {},
                      error={"code": "no_speech", "message": f"Nothing was said ({reason})."})
