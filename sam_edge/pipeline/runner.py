"""``TurnRunner``: the one runner for every turn — voice, upload, chat text and button press.

Stages, in order: ``wake`` and ``listen`` (the microphone's turns, see :mod:`.listening`),
``stt`` (voice and upload), ``understand`` (the grammar, then the LLM), ``act`` (the platform
command), ``verify`` (the platform shows it happened), ``reply`` (spoken). Each is emitted by
the turn's :class:`~.turn.Turn`; nothing here measures time beside the events.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from ..actions.ducking import Ducker
from ..actions.service import ActionResult, MusicActionService
from ..audio.format import Clip
from ..dialog.device import parse_device_command
from ..dialog.intents import Action, Intent
from ..dialog.manager import DialogManager, Understanding
from ..errors import SamError
from ..events import EventBus, State
from ..listen.mute import MicrophoneSwitch
from ..speech.stt import SpeechToText, Transcript
from .deadline import Budget, timed_out
from .hints import CachedHints
from .listening import ListeningTurn
from .reply import Replier
from .turn import STATUSES, Source, Turn, TurnResult, VoiceResult, no_speech

log = logging.getLogger(__name__)

VOLUME_ACTIONS = (Action.VOLUME_UP, Action.VOLUME_DOWN, Action.SET_VOLUME)
NO_STT = "Speech-to-text is not set up: set SAM_GROQ_API_KEY."

Trimmer = Callable[[bytes], tuple[int, bytes]]
"""PCM → (voiced milliseconds, the speech without the silence around it)."""


class SttMissing(SamError):
    code = "stt_unavailable"


class TurnRunner:
    def __init__(self, dialog: DialogManager, actions: MusicActionService, bus: EventBus, *,
                 replier: Replier, stt: SpeechToText | None = None,
                 trim: Trimmer | None = None, hints: CachedHints | None = None,
                 ducker: Ducker | None = None, microphone: MicrophoneSwitch | None = None,
                 min_voiced_ms: int = 250, budget: Budget | None = None) -> None:
        self.dialog = dialog
        self.actions = actions
        self.bus = bus
        self.replier = replier
        self.stt = stt
        self.ducker = ducker
        self.microphone = microphone
        self._trim = trim
        self._hints = hints
        self._min_voiced_ms = min_voiced_ms
        self.budget = budget or Budget()
        self._active: set[Turn] = set()
        self.last: dict[str, Any] = {}
        """The last finished turn, as ``/v1/state`` shows it."""

    # ---------------------------------------------------------------- turns

    def begin(self, source: Source, *, session_id: str = "default", **data: Any) -> Turn:
        turn = Turn(self.bus, source, session_id=session_id, **data)
        self._active.add(turn)
        return turn

    def finish(self, turn: Turn, result: TurnResult, *, transcript: str | None = None,
               reply_source: str = "") -> TurnResult:
        self._active.discard(turn)
        turn.finish(result, transcript=transcript)
        self.last = {"turn_id": turn.id, "source": turn.source.value,
                     "transcript": turn.transcript, **result.to_dict(),
                     "reply_source": reply_source, "at": time.time()}
        if not self._active:
            self.bus.set_state(State.ERROR if result.status == "error" else State.IDLE)
        return result

    def forget_words(self) -> None:
        """``sam-edge forget``: the last turn keeps its outcome, not what was said."""
        for key in ("transcript", "parameters", "response_text"):
            self.last.pop(key, None)
        error = self.last.get("error")
        if isinstance(error, dict):  # its message may quote the request
            self.last["error"] = {"code": error.get("code", "")}

    async def chat(self, text: str, session_id: str = "default", *,
                   source: Source = Source.CHAT) -> TurnResult:
        """A typed command: understand → act → verify (no speech)."""
        turn = self.begin(source, session_id=session_id, text=text)
        turn.deadline = turn.began + self.budget.chat_s
        try:
            result = await self._understand_and_act(turn, text)
        except BaseException as exc:
            self.finish(turn, _failure(exc))
            raise
        return self.finish(turn, result)

    async def voice(self, clip: Clip, *, source: Source = Source.UPLOAD,
                    turn: Turn | None = None, session_id: str = "default", play: bool = True,
                    collect: bool = False, stt: SpeechToText | None = None,
                    heard: Transcript | TurnResult | None = None) -> VoiceResult:
        """A whole utterance (endpointed by the microphone loop, or an uploaded file) to a
        spoken reply. ``stt`` replaces the configured speech-to-text for this turn;
        ``heard`` is what a speculative :meth:`hear` already made of it."""
        turn = turn or self.begin(source, session_id=session_id)
        try:
            result = await self._voice(turn, clip, play, collect, stt or self.stt, heard)
        except BaseException as exc:
            self.finish(turn, _failure(exc))
            raise
        finally:
            if self.ducker is not None:
                await self.ducker.restore()
        self.finish(turn, result.turn, transcript=result.transcript,
                    reply_source=result.reply_source)
        return result

    async def perform(self, turn: Turn, intent: Intent) -> ActionResult:
        """The ``act`` and ``verify`` stages of one intent, within what is left of the turn's
        deadline (all of it for the platform)."""
        try:
            async with asyncio.timeout(self._left(turn)):
                with turn.stage("act", action=intent.action.value) as end:
                    outcome = await self.actions.act(intent)
                    end["status"] = outcome.status
                if outcome.check is not None and outcome.status == "ok":
                    with turn.stage("verify") as end:
                        outcome = await self.actions.verify(outcome)
                        end["status"] = outcome.status
        except TimeoutError:
            late = timed_out("act")
            log.info("the platform did not answer within the turn's deadline")
            return ActionResult("error", dict(intent.parameters), late.message,
                                error_code=late.code)
        return outcome

    def _left(self, turn: Turn, *, keep: float = 0.0, at_most: float | None = None
              ) -> float | None:
        """Seconds ``turn`` may still spend (``None``: no deadline), ``keep`` held back."""
        if turn.deadline is None:
            return at_most
        left = max(0.0, turn.deadline - self.bus.clock.monotonic() - keep)
        return left if at_most is None else min(left, at_most)

    def open_voice_turn(self, by: str) -> ListeningTurn:
        """The wake word or the talk button: a new microphone turn, listening. A reply still
        playing is stopped (barge-in); the music is lowered while listening."""
        if self.replying:
            self.stop_reply()
        turn = self.begin(Source.VOICE, by=by)
        with turn.stage("wake", by=by):
            pass
        turn.start("listen")
        if self.ducker is not None:
            self.ducker.start_duck()
        return ListeningTurn(self, turn)

    async def say(self, text: str) -> None:
        await self.replier.say(text)

    @property
    def replying(self) -> bool:
        return self.replier.replying

    def stop_reply(self) -> None:
        self.replier.stop()

    # ---------------------------------------------------------------- stages

    async def hear(self, turn: Turn, clip: Clip, stt: SpeechToText | None, *,
                   hold: dict[str, Any] | None = None) -> Transcript | TurnResult:
        """The ``stt`` stage: the transcript, or the result the turn ends with. With ``hold``
        the stage stays open (speculative speech-to-text): what ``stt_end`` would carry goes
        into ``hold`` and the caller ends the stage when it commits or discards the words."""
        voiced, speech = self._trim(clip.pcm) if self._trim else (len(clip.pcm) // 32, clip.pcm)
        if voiced < self._min_voiced_ms:
            return no_speech(f"only {voiced} ms of speech")
        if stt is None:
            raise SttMissing(NO_STT)
        turn.deadline = self.bus.clock.monotonic() + self.budget.voice_s
        hints = await self._hints() if self._hints is not None else []
        end: dict[str, Any] = hold if hold is not None else {}
        turn.start("stt", **({"speculative": True} if hold is not None else {}))
        try:
            # Long silences cost upload time and invite Whisper's hallucinations.
            async with asyncio.timeout(self._left(turn, at_most=self.budget.stt_s)):
                transcript: Transcript = await stt.transcribe(
                    Clip(speech, clip.sample_rate), hints=hints)
        except (SamError, TimeoutError) as raised:
            exc = raised if isinstance(raised, SamError) else timed_out("stt")
            end.update(ok=False, code=exc.code)
            if hold is None:
                turn.end("stt", **end)
            return TurnResult.failed(exc.code, exc.message)
        except BaseException:
            turn.end("stt", discarded=True)
            raise
        end.update(ok=True, text=transcript.text)
        if hold is None:
            turn.end("stt", **end)
        return transcript

    async def _voice(self, turn: Turn, clip: Clip, play: bool, collect: bool,
                     stt: SpeechToText | None, heard: Transcript | TurnResult | None = None
                     ) -> VoiceResult:
        if heard is None:
            heard = await self.hear(turn, clip, stt)
        if isinstance(heard, TurnResult):
            if heard.status == "no_speech":
                return VoiceResult("", heard)
            return await self._reply(turn, VoiceResult("", heard), play, collect)
        text = heard.text.strip()
        if heard.no_speech or not text:
            return VoiceResult("", no_speech(heard.rejected_reason or "no words"))
        turn.transcript = text
        result = await self._understand_and_act(turn, text, voice=True)
        return await self._reply(turn, VoiceResult(text, result), play, collect)

    async def _understand_and_act(self, turn: Turn, text: str, *,
                                  voice: bool = False) -> TurnResult:
        device = parse_device_command(text)
        if device is not None:
            return self._mute(turn)
        with turn.stage("understand") as end:
            try:
                async with asyncio.timeout(
                        self._left(turn, keep=self.budget.platform_reserve_s)):
                    understanding = await self.dialog.understand(text, turn.session_id,
                                                                 self.actions.now_playing)
            except TimeoutError:
                late = timed_out("understand")
                understanding = Understanding(None, late.code, late.message)
            intent = understanding.intent
            end.update(action=intent.action.value if intent else None,
                       by=intent.source if intent else None)
        if intent is None:
            code = understanding.error_code or "not_understood"
            result = TurnResult.failed(
                code, understanding.message,
                status="not_understood" if code == "not_understood" else "error")
        else:
            if voice and self.ducker is not None and intent.action in VOLUME_ACTIONS:
                # "Turn it up" is relative to the real volume, not the ducked one.
                await self.ducker.restore()
            outcome = await self.perform(turn, intent)
            status = outcome.status if outcome.status in STATUSES else "error"
            result = TurnResult(intent.action.value, outcome.parameters,
                                outcome.response_text, status, source=intent.source,
                                cache_tier=outcome.cache_tier)
            if status != "ok":
                result.error = {"code": outcome.error_code or status,
                                "message": outcome.response_text}
        self.dialog.remember(turn.session_id, text, result.action, result.parameters,
                             result.response_text, result.status)
        return result

    def _mute(self, turn: Turn) -> TurnResult:
        with turn.stage("act", action="mute_microphone"):
            if self.microphone is None:
                text = "There is no microphone to turn off."
                return TurnResult("CHAT", {"device": "microphone", "muted": False}, text,
                                  "error", error={"code": "no_microphone", "message": text},
                                  source="grammar")
            self.microphone.set(True)
            self.replier.stop()
        return TurnResult("CHAT", {"device": "microphone", "muted": True},
                          "Microphone off. Press the mute button to turn it back on.", "ok",
                          source="grammar")

    async def _reply(self, turn: Turn, result: VoiceResult, play: bool,
                     collect: bool) -> VoiceResult:
        spoken = await self.replier.speak(turn, result.turn.response_text, play=play,
                                          collect=collect)
        if spoken is not None:
            result.reply_pcm = spoken.pcm
            result.reply_sample_rate = spoken.sample_rate
            result.reply_source = spoken.source
        return result


def _failure(exc: BaseException) -> TurnResult:
    """The result a turn ends with when it raised (the caller decides the HTTP answer)."""
    if isinstance(exc, SamError):
        return TurnResult.failed(exc.code, exc.message)
    return TurnResult.failed("internal", "Something went wrong on the device; please try again.")
