"""``DeviceController``: what each physical button does, as plain async methods.

The same methods serve the real buttons, the virtual ones on the status page and tests. Each
press is a ``button`` turn of the :class:`TurnRunner` (so the platform choice, the error
sentences, the verification and the events are the voice path's own); voice commands go to the
:class:`ListenLoop`. No method raises: a failure ends the turn with its sentence, and the
turn's ``error`` event is what the LEDs show.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from ..actions.service import ActionResult
from ..dialog.intents import Action, Intent
from ..listen.loop import ListenLoop
from ..pipeline.runner import TurnRunner
from ..pipeline.turn import Source, Turn, TurnResult

log = logging.getLogger(__name__)

HISTORY = 20
MUTED = "The microphone is muted: press the mute button to turn it back on."


@dataclass(frozen=True, slots=True)
class Press:
    """One button command and how it ended."""

    button: str
    command: str
    """The action sent (``PAUSE``, ``NEXT`` …) or the voice command (``talk``, ``cancel`` …)."""
    status: str
    """``ok``, or an error code (``needs_pairing``, ``no_audio_input`` …)."""
    message: str = ""
    latency_ms: float | None = None
    """From the pin edge to the platform accepting the command; ``None`` without an edge."""
    finished_at: float = 0.0
    """When the command ended, on the controller's clock."""


class CommandFailed(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class DeviceController:
    def __init__(self, turns: TurnRunner, listener: ListenLoop | None, *,
                 clock: Callable[[], float] = time.perf_counter) -> None:
        self.turns = turns
        self.listener = listener
        self.clock = clock
        """The clock ``pressed_at`` is read from (``time.perf_counter``)."""
        self.history: deque[Press] = deque(maxlen=HISTORY)
        # Presses run as separate tasks; the lock keeps two quick volume presses from both
        # reading the same starting level, and keeps music commands in the order pressed.
        self._music = asyncio.Lock()

    @property
    def last(self) -> Press | None:
        return self.history[-1] if self.history else None

    @property
    def last_latency_ms(self) -> float | None:
        return self.last.latency_ms if self.last else None

    # ---------------------------------------------------------------- music

    async def play_pause(self, *, button: str = "play_pause",
                         pressed_at: float | None = None) -> Press:
        """Pause when something plays, resume otherwise (asks the platform first: the phone
        may have changed it)."""

        async def toggle(turn: Turn | None) -> tuple[str, ActionResult]:
            assert turn is not None
            state = await self._execute(turn, Action.NOW_PLAYING)
            action = Action.PAUSE if state.parameters.get("is_playing") else Action.RESUME
            return action.value, await self._execute(turn, action)

        return await self._run(button, "PLAY_PAUSE", pressed_at, toggle)

    async def next(self, *, button: str = "next", pressed_at: float | None = None) -> Press:
        return await self._action(button, Action.NEXT, pressed_at)

    async def previous(self, *, button: str = "previous",
                       pressed_at: float | None = None) -> Press:
        return await self._action(button, Action.PREVIOUS, pressed_at)

    async def volume_up(self, *, button: str = "volume_up",
                        pressed_at: float | None = None) -> Press:
        return await self._action(button, Action.VOLUME_UP, pressed_at)

    async def volume_down(self, *, button: str = "volume_down",
                          pressed_at: float | None = None) -> Press:
        return await self._action(button, Action.VOLUME_DOWN, pressed_at)

    async def like(self, *, button: str = "like", pressed_at: float | None = None) -> Press:
        return await self._action(button, Action.LIKE, pressed_at)

    async def stop(self, *, button: str = "play_pause", pressed_at: float | None = None) -> Press:
        """Silence everything: stop the reply, stop listening and pause the music."""

        self._cancel_voice()
        return await self._action(button, Action.PAUSE, pressed_at)

    # ---------------------------------------------------------------- voice

    async def talk(self, *, button: str = "talk", pressed_at: float | None = None) -> Press:
        """Start listening (or stop a reply that is playing: barge-in)."""

        async def start(_turn: Turn | None) -> tuple[str, None]:
            if self._listener().muted:
                raise CommandFailed("muted", MUTED)
            source = self._listener().talk()
            if source == "nothing":
                raise CommandFailed("no_audio_input", "There is no microphone to listen with.")
            return "talk", None

        return await self._run(button, "talk", pressed_at, start, music=False)

    async def cancel(self, *, button: str = "talk", pressed_at: float | None = None) -> Press:
        """Stop the reply and stop listening, without doing anything else."""

        async def cancel(_turn: Turn | None) -> tuple[str, None]:
            self._cancel_voice()
            return "cancel", None

        return await self._run(button, "cancel", pressed_at, cancel, music=False)

    async def toggle_mute(self, *, button: str = "mic_mute",
                          pressed_at: float | None = None) -> Press:
        async def toggle(_turn: Turn | None) -> tuple[str, None]:
            listener = self._listener()
            listener.set_muted(not listener.muted)
            return "mute" if listener.muted else "unmute", None

        return await self._run(button, "toggle_mute", pressed_at, toggle, music=False)

    # ---------------------------------------------------------------- plumbing

    def _listener(self) -> ListenLoop:
        if self.listener is None:
            raise CommandFailed("no_audio_input", "There is no microphone to listen with.")
        return self.listener

    def _cancel_voice(self) -> None:
        self.turns.stop_reply()
        if self.listener is None:
            return
        # ListenLoop.cancel() (drop the utterance being listened to) is optional: older loops
        # only have barge-in, and stopping the reply is then all a cancel can do.
        cancel = getattr(self.listener, "cancel", None)
        if callable(cancel):
            cancel()

    async def _execute(self, turn: Turn, action: Action) -> ActionResult:
        result = await self.turns.perform(turn, Intent(action))
        if result.status != "ok":
            raise CommandFailed(result.error_code or result.status, result.response_text)
        return result

    async def _action(self, button: str, action: Action, pressed_at: float | None) -> Press:
        async def send(turn: Turn | None) -> tuple[str, ActionResult]:
            assert turn is not None
            return action.value, await self._execute(turn, action)

        return await self._run(button, action.value, pressed_at, send)

    async def _run(self, button: str, command: str, pressed_at: float | None,
                   work: Callable[[Turn | None], Awaitable[tuple[str, ActionResult | None]]], *,
                   music: bool = True) -> Press:
        # A music command is a turn; a voice command (talk, cancel, mute) starts or stops
        # one, and is a turn of its own only when it fails.
        turn = self.turns.begin(Source.BUTTON, button=button, command=command) if music \
            else None
        try:
            if music:
                async with self._music:
                    command, result = await work(turn)
            else:
                command, result = await work(turn)
        except CommandFailed as exc:
            turn = turn or self.turns.begin(Source.BUTTON, button=button, command=command)
            self.turns.finish(turn, TurnResult.failed(exc.code, exc.message, action=command))
            return self._record(button, command, exc.code, exc.message, pressed_at)
        except asyncio.CancelledError:
            if turn is not None:
                self.turns.finish(turn, TurnResult.failed("cancelled", "Cancelled.",
                                                          action=command))
            raise
        except Exception as exc:  # this runs for gpiozero's thread: nothing may escape
            log.exception("the %s button failed", button)
            message = f"The {button} button failed ({type(exc).__name__})."
            turn = turn or self.turns.begin(Source.BUTTON, button=button, command=command)
            self.turns.finish(turn, TurnResult.failed("internal", message, action=command))
            return self._record(button, command, "internal", message, pressed_at)
        text = result.response_text if result is not None else ""
        if turn is not None:
            params = dict(result.parameters) if result is not None else {}
            self.turns.finish(turn, TurnResult(command, params, text, "ok", source="button"))
        return self._record(button, command, "ok", text, pressed_at)

    def _record(self, button: str, command: str, status: str, message: str,
                pressed_at: float | None) -> Press:
        now = self.clock()
        latency = None if pressed_at is None else round((now - pressed_at) * 1000, 3)
        press = Press(button, command, status, message, latency, now)
        self.history.append(press)
        if press.status == "ok":
            log.info("button %s → %s (%s ms)", press.button, press.command, press.latency_ms)
        else:
            log.info("button %s → %s failed: %s (%s)", press.button, press.command,
                     press.message, press.status)
        return press
