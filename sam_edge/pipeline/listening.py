"""A microphone turn while it listens: opened at the wake word (or the talk button), it emits
``wake`` and ``listen``, and hands the utterance to the rest of the turn when the endpointer
decides (or ends the turn with ``no_speech`` when nothing was said)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..audio.format import Clip
from ..events import EventType
from ..listen.endpoint import EndpointResult
from ..speech.stt import SpeechToText
from .turn import Turn, no_speech

if TYPE_CHECKING:
    from .runner import TurnRunner


class ListeningTurn:
    def __init__(self, runner: TurnRunner, turn: Turn) -> None:
        self._runner = runner
        self.turn = turn

    def speech_detected(self) -> None:
        self.turn.emit(EventType.SPEECH_DETECTED)

    async def listened(self, result: EndpointResult, stt: SpeechToText | None) -> None:
        self.turn.end("listen", kind=result.kind, reason=result.reason,
                      voiced_ms=result.voiced_ms)
        if result.kind == "speech":
            await self._runner.voice(Clip(result.audio), turn=self.turn, play=True, stt=stt)
        else:
            await self._nothing(result.reason)

    async def cancelled(self) -> None:
        self.turn.end("listen", kind="cancelled", reason="cancelled")
        await self._nothing("cancelled")

    async def _nothing(self, reason: str) -> None:
        if self._runner.ducker is not None:
            await self._runner.ducker.restore()
        self._runner.finish(self.turn, no_speech(reason))
