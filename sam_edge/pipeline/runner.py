"""One turn of the assistant for text: understand → act → reply, with per-stage timings."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from ..actions.service import ActionResult, MusicActionService
from ..clock import Clock, SystemClock
from ..dialog.device import DeviceCommand, parse_device_command
from ..dialog.intents import Action, Intent
from ..dialog.manager import DialogManager

log = logging.getLogger(__name__)

BeforeAction = Callable[[Intent], Awaitable[None]]

STATUSES = ("ok", "not_understood", "not_found", "needs_pairing", "no_device", "error")


@dataclass(slots=True)
class TurnResult:
    action: str
    parameters: dict[str, Any]
    response_text: str
    status: str
    timings_ms: dict[str, float]
    error: dict[str, str] | None = None
    source: str = ""
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


class Assistant:
    def __init__(self, dialog: DialogManager, actions: MusicActionService,
                 *, clock: Clock | None = None) -> None:
        self.dialog = dialog
        self.actions = actions
        self._clock = clock or SystemClock()
        self.mute_microphone: Callable[[bool], None] | None = None
        """Set by the composition root when there is a listening loop."""

    async def _device(self, command: DeviceCommand, t0: float) -> TurnResult:
        if command.name == "mute_microphone" and self.mute_microphone is not None:
            self.mute_microphone(True)
            text = "Microphone off. Press the mute button to turn it back on."
            status, error = "ok", None
        else:
            text = "There is no microphone to turn off."
            status, error = "error", {"code": "no_microphone", "message": text}
        return TurnResult("CHAT", {"device": "microphone", "muted": status == "ok"}, text,
                          status, {"total": self._ms(t0)}, error=error, source="grammar")

    def _ms(self, start: float) -> float:
        return round((self._clock.monotonic() - start) * 1000, 3)

    async def handle_text(self, text: str, session_id: str = "default", *,
                          before_action: BeforeAction | None = None,
                          log_turn: bool = True) -> TurnResult:
        """Understand ``text`` and act on it. ``before_action`` runs between the two (the voice
        pipeline restores ducked music there for volume commands)."""
        t0 = self._clock.monotonic()
        timings: dict[str, float] = {}
        device = parse_device_command(text)
        if device is not None:
            return await self._device(device, t0)
        understanding = await self.dialog.understand(text, session_id, self.actions.now_playing)
        timings["understand"] = self._ms(t0)
        intent = understanding.intent
        if intent is None:
            code = understanding.error_code or "not_understood"
            result = TurnResult(
                action=Action.CHAT.value, parameters={}, response_text=understanding.message,
                status="not_understood" if code == "not_understood" else "error",
                timings_ms=timings, error={"code": code, "message": understanding.message},
            )
        else:
            if before_action is not None:
                await before_action(intent)
            t1 = self._clock.monotonic()
            outcome: ActionResult = await self.actions.execute(intent)
            timings["action"] = self._ms(t1)
            status = outcome.status if outcome.status in STATUSES else "error"
            result = TurnResult(
                action=intent.action.value, parameters=outcome.parameters,
                response_text=outcome.response_text, status=status, timings_ms=timings,
                source=intent.source, cache_tier=outcome.cache_tier,
            )
            if status != "ok":
                result.error = {"code": outcome.error_code or status,
                                "message": outcome.response_text}
        self.dialog.remember(session_id, text, result.action, result.parameters,
                             result.response_text, result.status)
        timings["total"] = self._ms(t0)
        # One line per turn: a voice turn logs its own, with every stage in it.
        log.log(logging.INFO if log_turn else logging.DEBUG,
                "turn %s status=%s source=%s cache=%s timings=%s", result.action,
                 result.status, result.source or "-", result.cache_tier or "-",
                 " ".join(f"{k}={v:.1f}" for k, v in timings.items()))
        return result
