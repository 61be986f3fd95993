"""``DeviceController``: what each physical button does, as plain async methods.

The same methods serve the real buttons, the virtual ones on the status page and tests. Music
commands go through :class:`MusicActionService` (so the platform choice, the error sentences
and the verification are the voice path's own); voice commands go to the :class:`ListenLoop`.
No method raises: a failure is logged and emitted as an ``ERROR`` event, which the LEDs show.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from ..actions.service import ActionResult, MusicActionService
from ..dialog.intents import Action, Intent
from ..events import EventBus, EventType
from ..listen.loop import ListenLoop

log = logging.getLogger(__name__)

HISTORY = 20


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
    def __init__(self, actions: MusicActionService, listener: ListenLoop | None,
                 bus: EventBus, *, clock: Callable[[], float] = time.perf_counter) -> None:
        self.actions = actions
        self.listener = listener
        self.bus = bus
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

        async def toggle() -> tuple[str, ActionResult]:
            state = await self._execute(Action.NOW_PLAYING)
            action = Action.PAUSE if state.parameters.get("is_playing") else Action.RESUME
            return action.value, await self._execute(action)

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

        async def start() -> tuple[str, None]:
            source = self._listener().talk()
            if source == "nothing":
                raise CommandFailed("no_audio_input", "There is no microphone to listen with.")
            return "talk", None

        return await self._run(button, "talk", pressed_at, start, music=False)

    async def cancel(self, *, button: str = "talk", pressed_at: float | None = None) -> Press:
        """Stop the reply and stop listening, without doing anything else."""

        async def cancel() -> tuple[str, None]:
            self._cancel_voice()
            return "cancel", None

        return await self._run(button, "cancel", pressed_at, cancel, music=False)

    async def toggle_mute(self, *, button: str = "mic_mute",
                          pressed_at: float | None = None) -> Press:
        async def toggle() -> tuple[str, None]:
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
        if self.listener is None:
            return
        self.listener.pipeline.stop_reply()
        # ListenLoop.cancel() (drop the utterance being listened to) is optional: older loops
        # only have barge-in, and stopping the reply is then all a cancel can do.
        cancel = getattr(self.listener, "cancel", None)
        if callable(cancel):
            cancel()

    async def _execute(self, action: Action) -> ActionResult:
        result = await self.actions.execute(Intent(action))
        if result.status != "ok":
            raise CommandFailed(result.error_code or result.status, result.response_text)
        return result

    async def _action(self, button: str, action: Action, pressed_at: float | None) -> Press:
        async def send() -> tuple[str, ActionResult]:
            return action.value, await self._execute(action)

        return await self._run(button, action.value, pressed_at, send)

    async def _run(self, button: str, command: str, pressed_at: float | None,
                   work: Callable[[], Awaitable[tuple[str, ActionResult | None]]], *,
                   music: bool = True) -> Press:
        try:
            if music:
                async with self._music:
                    command, result = await work()
            else:
                command, result = await work()
        except CommandFailed as exc:
            return self._record(button, command, exc.code, exc.message, pressed_at)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # this runs for gpiozero's thread: nothing may escape
            log.exception("the %s button failed", button)
            return self._record(button, command, "internal",
                                f"The {button} button failed ({type(exc).__name__}).",
                                pressed_at)
        text = result.response_text if result is not None else ""
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
            self.bus.emit(EventType.ERROR, source="button", button=press.button,
                          command=press.command, code=press.status, message=press.message)
        return press
