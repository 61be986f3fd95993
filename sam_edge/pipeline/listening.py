"""A microphone turn while it listens: opened at the wake word (or the talk button), it emits
``wake`` and ``listen``, and hands the utterance to the rest of the turn when the endpointer
decides (or ends the turn with ``no_speech`` when nothing was said).

Speculative speech-to-text: at the endpointer's provisional end (:meth:`provisional`) the
``stt`` stage starts on the audio so far, marked ``"speculative": true``. When the silence
holds, :meth:`listened` commits those words and the turn goes on without a new upload; when
speech resumes, :meth:`withdraw` cancels it and its ``stt_end`` says ``"discarded": true``
(the next endpoint starts a new one). A short, complete grammar command ("pause", "next")
is acted on as soon as its words are back: :meth:`taken` tells the loop the listen is over.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from ..audio.format import Clip
from ..dialog.grammar import parse
from ..dialog.intents import Action
from ..events import EventType, State
from ..listen.endpoint import EndpointResult
from ..speech.stt import SpeechToText, Transcript
from .turn import Turn, TurnResult, no_speech

if TYPE_CHECKING:
    from .runner import TurnRunner

log = logging.getLogger(__name__)

EARLY_ACTIONS = frozenset({Action.PAUSE, Action.RESUME, Action.NEXT, Action.PREVIOUS})
"""Commands complete in themselves: nothing the speaker could add would change them."""
EARLY_MAX_WORDS = 3
OPENERS = frozenset({"play", "put"})
"""Words that alone read as a command ("play": resume) but usually open a longer one
("play … hotel california"): never acted on before the silence holds."""

Heard = Transcript | TurnResult


def short_command(text: str, languages: tuple[str, ...] = ()) -> bool:
    """True for a short utterance the grammar reads as a command that takes no slot."""
    words = [w.strip(".,!?").lower() for w in text.split()]
    if not words or len(words) > EARLY_MAX_WORDS or words[0] in OPENERS:
        return False
    match = parse(text, languages)
    return (match is not None and match.intent.action in EARLY_ACTIONS
            and not match.intent.parameters)


class ListeningTurn:
    def __init__(self, runner: TurnRunner, turn: Turn, *, act_early: bool = True) -> None:
        self._runner = runner
        self.turn = turn
        self.act_early = act_early
        self._spec: asyncio.Task[Heard] | None = None
        self._hold: dict[str, Any] = {}
        self._taken: asyncio.Task[None] | None = None
        self._echo: dict[str, Any] = {}

    def speech_detected(self) -> None:
        self.turn.emit(EventType.SPEECH_DETECTED)

    def provisional(self, result: EndpointResult, stt: SpeechToText | None) -> None:
        """The endpointer offers an end: start speech-to-text on the audio so far."""
        self.withdraw()
        stt = stt or self._runner.stt
        if stt is None or result.kind != "speech":
            return
        self._hold = {}
        self._spec = asyncio.get_running_loop().create_task(
            self._speculate(result, stt, self._hold))

    def withdraw(self) -> None:
        """Speech resumed: drop the speculative words (their ``stt_end`` is discarded)."""
        spec, self._spec = self._spec, None
        if spec is None:
            return
        if not spec.done():
            spec.cancel()  # ``hear`` ends the stage as discarded
            return
        if not spec.cancelled() and spec.exception() is None:
            self.turn.end("stt", discarded=True, **self._hold)

    async def _speculate(self, result: EndpointResult, stt: SpeechToText,
                         hold: dict[str, Any]) -> Heard:
        heard = await self._runner.hear(self.turn, Clip(result.audio), stt, hold=hold)
        if (self.act_early and self._spec is asyncio.current_task()
                and isinstance(heard, Transcript) and not heard.no_speech
                and short_command(heard.text, self._runner.dialog.languages)):
            # Go on at once; the loop learns it at its next frame (taken()).
            self._spec = None
            self._taken = asyncio.get_running_loop().create_task(
                self._go_on(result, stt, heard, hold))
        return heard

    def taken(self) -> asyncio.Task[None] | None:
        """The task finishing the turn when it went on at a provisional end (a short
        command): the listen is over."""
        return self._taken

    async def _go_on(self, result: EndpointResult, stt: SpeechToText, heard: Heard,
                     hold: dict[str, Any]) -> None:
        self.turn.end("listen", kind=result.kind, reason=result.reason,
                      voiced_ms=result.voiced_ms, **self._echo)
        self._runner.bus.set_state(State.THINKING)
        self.turn.end("stt", **hold)
        await self._runner.voice(Clip(result.audio), turn=self.turn, play=True, stt=stt,
                                 heard=heard)

    def echo(self, erle_db: float | None) -> None:
        """The echo removed while this turn listened; ``listen_end`` carries it."""
        if erle_db is not None:
            self._echo = {"erle_db": round(erle_db, 1)}

    async def listened(self, result: EndpointResult, stt: SpeechToText | None) -> None:
        self.turn.end("listen", kind=result.kind, reason=result.reason,
                      voiced_ms=result.voiced_ms, **self._echo)
        heard: Heard | None = None
        spec, self._spec = self._spec, None
        if spec is not None and result.kind == "speech" and result.reason in (
                "silence", "provisional"):
            self._runner.bus.set_state(State.THINKING)  # no longer listening
            try:
                heard = await spec
            except Exception:  # the words are lost, not the turn: transcribe again below
                log.warning("speculative speech-to-text failed", exc_info=True)
                self.turn.end("stt", discarded=True)
            else:
                self.turn.end("stt", **self._hold)
        elif spec is not None:
            self._spec = spec
            self.withdraw()
        if result.kind == "speech":
            await self._runner.voice(Clip(result.audio), turn=self.turn, play=True, stt=stt,
                                     heard=heard)
        else:
            await self._nothing(result.reason)

    async def cancelled(self) -> None:
        self.withdraw()
        self.turn.end("listen", kind="cancelled", reason="cancelled")
        await self._nothing("cancelled")

    async def _nothing(self, reason: str) -> None:
        if self._runner.ducker is not None:
            await self._runner.ducker.restore()
        self._runner.finish(self.turn, no_speech(reason))

