"""One turn: its id, where it came from, its stages as events, its timings and its result.

A :class:`Turn` is the only thing that emits a turn's events. ``start``/``end`` pair up every
stage (an ``_end`` says ``"discarded": true`` when its work was thrown away, e.g. a reply cut
by barge-in); ``timings_ms`` is read off the events' timestamps, never measured beside them.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ..audio.format import pcm_to_wav
from ..events import Event, EventBus, EventType, State

STATUSES = ("ok", "not_understood", "not_found", "needs_pairing", "no_device", "error",
            "no_speech")

_STATE_OF_STAGE = {"listen": State.LISTENING, "stt": State.THINKING,
                   "understand": State.THINKING, "act": State.THINKING,
                   "reply": State.SPEAKING}


class Source(StrEnum):
    """What started a turn (the ``source`` of its events and of ``turn_end``)."""

    VOICE = "voice"
    UPLOAD = "upload"
    CHAT = "chat"
    BUTTON = "button"


@dataclass(slots=True)
class TurnResult:
    """The result object the chat API returns (and ``turn_end`` carries)."""

    action: str
    parameters: dict[str, Any]
    response_text: str
    status: str
    timings_ms: dict[str, float] = field(default_factory=dict)
    error: dict[str, str] | None = None
    source: str = ""
    """How it was understood: ``grammar``, ``llm`` … (not the turn's source)."""
    cache_tier: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "action": self.action,
            "parameters": self.parameters,
            "response_text": self.response_text,
            "status": self.status,
            "timings_ms": self.timings_ms,
        }
        if self.error is not None:
            out["error"] = self.error
        out.update(self.extra)
        return out

    @classmethod
    def failed(cls, code: str, message: str, *, status: str = "error",
               action: str = "CHAT") -> TurnResult:
        return cls(action, {}, message, status, error={"code": code, "message": message})


def no_speech(reason: str) -> TurnResult:
    return TurnResult("CHAT", {}, "", "no_speech",
                      error={"code": "no_speech", "message": f"Nothing was said ({reason})."})


@dataclass(slots=True)
class VoiceResult:
    """A voice or upload turn: what was heard, the turn's result and the reply's audio."""

    transcript: str
    turn: TurnResult
    reply_pcm: bytes = b""
    reply_sample_rate: int = 16_000
    reply_source: str = ""

    def to_dict(self, *, reply_audio: bool = False) -> dict[str, Any]:
        out = {"transcript": self.transcript, **self.turn.to_dict()}
        if reply_audio:
            wav = pcm_to_wav(self.reply_pcm, self.reply_sample_rate) if self.reply_pcm else b""
            out["reply_audio"] = {"content_type": "audio/wav",
                                  "base64": base64.b64encode(wav).decode("ascii")}
        return out


class Turn:
    """Emits one turn's events; created by :class:`~.runner.TurnRunner`."""

    def __init__(self, bus: EventBus, source: Source, *, session_id: str = "default",
                 **data: Any) -> None:
        self.id = uuid.uuid4().hex[:12]
        self.source = source
        self.session_id = session_id
        self._bus = bus
        self._open: dict[str, float] = {}
        self.timings_ms: dict[str, float] = {}
        self.result: TurnResult | None = None
        self.transcript = ""
        self.deadline: float | None = None
        """Monotonic time by which the answer must be known (see :mod:`.deadline`)."""
        self.began = self._emit(EventType.TURN_START, **data).timestamp

    @property
    def finished(self) -> bool:
        return self.result is not None

    def _emit(self, type_: EventType, **data: Any) -> Event:
        return self._bus.emit(type_, turn_id=self.id, source=self.source.value, **data)

    def emit(self, type_: EventType, **data: Any) -> Event:
        """An event inside a stage (``speech_detected``, ``reply_audio``)."""
        return self._emit(type_, **data)

    def start(self, stage: str, **data: Any) -> None:
        if stage in self._open:
            return
        self._open[stage] = self._emit(EventType.start_of(stage), **data).timestamp
        state = _STATE_OF_STAGE.get(stage)
        if state is not None and not data.get("speculative"):  # still listening
            self._bus.set_state(state)

    def end(self, stage: str, *, discarded: bool = False, **data: Any) -> float | None:
        began = self._open.pop(stage, None)
        if began is None:
            return None
        if discarded:
            data["discarded"] = True
        event = self._emit(EventType.end_of(stage), **data)
        ms = round((event.timestamp - began) * 1000, 3)
        if not discarded:
            self.timings_ms[stage] = ms
        return ms

    def mark(self, name: str, since_stage_start: str) -> None:
        """Record the time from a stage's start to now under ``name`` (first reply audio)."""
        began = self._open.get(since_stage_start)
        if began is not None:
            self.timings_ms[name] = round((self._bus.clock.monotonic() - began) * 1000, 3)

    @contextmanager
    def stage(self, stage: str, **data: Any) -> Iterator[dict[str, Any]]:
        """``with turn.stage("act") as end:`` — what is put in ``end`` goes on ``act_end``."""
        end: dict[str, Any] = {}
        self.start(stage, **data)
        try:
            yield end
        except BaseException:
            self.end(stage, discarded=True, **end)
            raise
        self.end(stage, **end)

    def finish(self, result: TurnResult, *, transcript: str | None = None) -> TurnResult:
        """Close what is still open (as discarded), then ``turn_end`` (and ``error``)."""
        if self.result is not None:
            return self.result
        for stage in list(self._open):
            self.end(stage, discarded=True)
        if transcript is not None:
            self.transcript = transcript
        now = self._bus.clock.monotonic()
        result.timings_ms = {**self.timings_ms, **result.timings_ms,
                             "total": round((now - self.began) * 1000, 3)}
        self.result = result
        data = result.to_dict()
        if self.source in (Source.VOICE, Source.UPLOAD):
            data = {"transcript": self.transcript, **data}
        self._emit(EventType.TURN_END, at=now, **data)
        if result.status not in ("ok", "no_speech"):
            error = result.error or {"code": result.status, "message": result.response_text}
            self._emit(EventType.ERROR, code=error.get("code", result.status),
                       message=error.get("message", ""))
        return result
