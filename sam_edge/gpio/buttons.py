"""The button panel: gpiozero ``Button``s → :class:`DeviceController` on the asyncio loop.

gpiozero calls back on its own threads (the pin's edge thread, the hold thread); each callback
only notes the time and hands the command to the loop with ``call_soon_threadsafe``.

What each button does (a tap fires on release when the button also has a hold action, so a
long press never sends the tap's command first; otherwise it fires on the press edge):

============  ===================  ==============================================
button        tap                  hold (``hold_time_s``)
============  ===================  ==============================================
play_pause    pause / resume       stop: silence the reply, stop listening, pause
next          next track           –
previous      previous track       –
talk          listen now           cancel: stop the reply and stop listening
volume_up     +10                  repeats every ``volume_repeat_s``
volume_down   −10                  repeats every ``volume_repeat_s``
like          save the song        –
mic_mute      mute / unmute mic    –
============  ===================  ==============================================
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from gpiozero import DigitalInputDevice, Factory
from gpiozero.pins.mock import MockPin

from ..settings import GpioSettings
from .controller import DeviceController

log = logging.getLogger(__name__)

BUTTONS: tuple[str, ...] = ("play_pause", "next", "previous", "talk", "volume_up",
                            "volume_down", "like", "mic_mute")


@dataclass(frozen=True, slots=True)
class Binding:
    tap: str
    """The :class:`DeviceController` method a tap calls."""
    hold: str | None = None
    """The method a long press calls instead of the tap."""
    repeat: bool = False
    """Holding repeats the tap."""


BINDINGS: dict[str, Binding] = {
    "play_pause": Binding("play_pause", hold="stop"),
    "next": Binding("next"),
    "previous": Binding("previous"),
    "talk": Binding("talk", hold="cancel"),
    "volume_up": Binding("volume_up", repeat=True),
    "volume_down": Binding("volume_down", repeat=True),
    "like": Binding("like"),
    "mic_mute": Binding("toggle_mute"),
}


_DEFAULTS = GpioSettings()


@dataclass(frozen=True, slots=True)
class GpioConfig:
    """Pins are BCM numbers; ``None`` (or a negative number) means "not wired". The defaults
    are :class:`~sam_edge.settings.GpioSettings`' own (see :meth:`from_settings`)."""

    mode: str = _DEFAULTS.mode
    """``auto`` (the Pi's pins on a Raspberry Pi, else virtual), ``pi`` or ``mock``."""
    play_pause: int | None = _DEFAULTS.play_pause_pin
    next: int | None = _DEFAULTS.next_pin
    previous: int | None = _DEFAULTS.previous_pin
    talk: int | None = _DEFAULTS.talk_pin
    volume_up: int | None = _DEFAULTS.volume_up_pin
    volume_down: int | None = _DEFAULTS.volume_down_pin
    like: int | None = _DEFAULTS.like_pin
    mic_mute: int | None = _DEFAULTS.mic_mute_pin
    status_led: int | None = _DEFAULTS.status_led_pin
    """A single LED (used when no RGB LED is wired)."""
    status_led_pwm: bool = _DEFAULTS.status_led_pwm
    """Dim and pulse the single LED (any pin can; ``False`` for plain on/off)."""
    rgb_led: tuple[int, ...] | None = tuple(_DEFAULTS.rgb_led)
    """Red, green, blue pins of a common-cathode RGB LED; ``None`` or empty: not wired."""
    led_active_high: bool = _DEFAULTS.led_active_high
    """``False`` for a common-anode RGB LED (or an LED wired to 3V3)."""
    bounce_time_s: float = _DEFAULTS.bounce_time_s
    hold_time_s: float = _DEFAULTS.hold_time_s
    volume_repeat_s: float = _DEFAULTS.volume_repeat_s
    error_flash_s: float = _DEFAULTS.error_flash_s

    @classmethod
    def from_settings(cls, g: GpioSettings) -> GpioConfig:
        return cls(
            mode=g.mode, play_pause=g.play_pause_pin, next=g.next_pin,
            previous=g.previous_pin, talk=g.talk_pin, volume_up=g.volume_up_pin,
            volume_down=g.volume_down_pin, like=g.like_pin, mic_mute=g.mic_mute_pin,
            status_led=g.status_led_pin, status_led_pwm=g.status_led_pwm,
            rgb_led=tuple(g.rgb_led) if len(g.rgb_led) == 3 else None,
            led_active_high=g.led_active_high,
            bounce_time_s=g.bounce_time_s, hold_time_s=g.hold_time_s,
            volume_repeat_s=g.volume_repeat_s, error_flash_s=g.error_flash_s,
        )

    def __post_init__(self) -> None:
        for name in (*BUTTONS, "status_led"):
            value = getattr(self, name)
            if value is not None and value < 0:
                object.__setattr__(self, name, None)
        if self.rgb_led is not None:
            rgb = tuple(self.rgb_led)
            if rgb and len(rgb) != 3:
                raise ValueError("rgb_led needs three pins: red, green, blue")
            object.__setattr__(self, "rgb_led", rgb if rgb and min(rgb) >= 0 else None)
        used = [p for p in self.pins().values() if p is not None]
        if self.rgb_led is not None:
            used += list(self.rgb_led)
        duplicates = sorted({p for p in used if used.count(p) > 1})
        if duplicates:
            raise ValueError(f"GPIO {', '.join(map(str, duplicates))} is given to more than "
                             "one button or LED")

    def pins(self) -> dict[str, int | None]:
        """Button and status-LED pins by name."""
        return {n: getattr(self, n) for n in (*BUTTONS, "status_led")}

    def button_pins(self) -> dict[str, int]:
        return {n: p for n in BUTTONS if (p := getattr(self, n)) is not None}


class ButtonPanel:
    """Owns one gpiozero :class:`Button` per wired button; :meth:`close` frees the pins."""

    def __init__(self, config: GpioConfig, factory: Factory, controller: DeviceController,
                 loop: asyncio.AbstractEventLoop) -> None:
        self.config = config
        self.factory = factory
        self.controller = controller
        self._loop = loop
        self._held: dict[str, bool] = {}
        self._last_fired: dict[str, float] = {}
        self._tasks: set[asyncio.Task[object]] = set()
        self._pending = 0
        self._pending_lock = threading.Lock()
        self._fingers: dict[str, asyncio.Lock] = {}
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self.buttons: dict[str, DigitalInputDevice] = {}
        try:
            for name, pin in config.button_pins().items():
                self.buttons[name] = self._make(name, pin)
        except Exception:
            self.close()
            raise

    def _make(self, name: str, pin: int) -> DigitalInputDevice:
        # A plain input, not gpiozero's Button: its hold detection is a thread per button that
        # wakes ten times a second for ever. Holds are timers on the event loop instead.
        button = DigitalInputDevice(pin, pull_up=True,
                                    bounce_time=self.config.bounce_time_s or None,
                                    pin_factory=self.factory)
        button.when_activated = lambda: self._pressed(name)
        button.when_deactivated = lambda: self._released(name)
        return button

    def hold_time(self, name: str) -> float:
        """How long ``name`` must stay pressed to count as held (or to repeat)."""
        binding = BINDINGS[name]
        return self.config.volume_repeat_s if binding.repeat else self.config.hold_time_s

    @property
    def names(self) -> list[str]:
        return list(self.buttons)

    # ------------------------------------------------------- gpiozero's threads

    def _pressed(self, name: str) -> None:
        self._held[name] = False
        binding = BINDINGS[name]
        if binding.hold is not None or binding.repeat:
            self._soon(self._arm, name)
        if binding.hold is None:
            self._tap(name)

    def _released(self, name: str) -> None:
        self._soon(self._disarm, name)
        if BINDINGS[name].hold is not None and not self._held.get(name, False):
            self._tap(name)

    def _soon(self, callback: Callable[[str], None], name: str) -> None:
        with contextlib.suppress(RuntimeError):  # the loop has closed: shutting down
            self._loop.call_soon_threadsafe(callback, name)

    # ------------------------------------------------------- holds, on the loop

    def _arm(self, name: str) -> None:
        self._disarm(name)
        button = self.buttons.get(name)
        if button is not None and button.is_active:
            self._timers[name] = self._loop.call_later(self.hold_time(name), self._hold, name)

    def _disarm(self, name: str) -> None:
        timer = self._timers.pop(name, None)
        if timer is not None:
            timer.cancel()

    def _hold(self, name: str) -> None:
        self._timers.pop(name, None)
        button = self.buttons.get(name)
        if button is None or not button.is_active:
            return
        self._on_held(name)
        if BINDINGS[name].repeat:
            self._timers[name] = self._loop.call_later(self.hold_time(name), self._hold, name)

    def _on_held(self, name: str) -> None:
        binding = BINDINGS[name]
        self._held[name] = True
        if binding.hold is not None:
            self._dispatch(name, binding.hold, time.perf_counter())
        elif binding.repeat:
            self._dispatch(name, binding.tap, time.perf_counter())

    def _tap(self, name: str) -> None:
        now = time.perf_counter()
        # Contacts chatter; lgpio filters it at the pin, this also covers factories that don't.
        last = self._last_fired.get(name)
        if last is not None and now - last < self.config.bounce_time_s:
            return
        self._last_fired[name] = now
        self._dispatch(name, BINDINGS[name].tap, now)

    def _dispatch(self, name: str, method: str, pressed_at: float) -> None:
        command: Callable[..., Coroutine[Any, Any, object]] = getattr(self.controller, method)

        def start() -> None:
            task = self._loop.create_task(command(button=name, pressed_at=pressed_at))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            self._count(-1)

        self._count(1)
        try:
            self._loop.call_soon_threadsafe(start)
        except RuntimeError:  # the loop has closed: the device is shutting down
            self._count(-1)
            log.warning("the %s button was pressed while shutting down", name)

    def _count(self, delta: int) -> None:
        with self._pending_lock:
            self._pending += delta

    # ---------------------------------------------------------------- control

    def pin(self, name: str) -> MockPin:
        """The mock pin behind a button (mock mode only)."""
        pin = self.buttons[name].pin
        if not isinstance(pin, MockPin):
            raise TypeError("only mock pins can be driven")
        return pin

    async def press(self, name: str, *, hold: bool = False, tap_s: float = 0.05) -> None:
        """Drive a mock button as a finger would: low, wait, high (held past the hold time
        when ``hold``), then released past the debounce time. The callbacks take the same path
        as a real button's. Presses of one button take turns: at once, they'd share an edge."""
        pin = self.pin(name)
        async with self._fingers.setdefault(name, asyncio.Lock()):
            pin.drive_low()
            try:
                await asyncio.sleep(self.hold_time(name) + 0.1 if hold else tap_s)
            finally:
                pin.drive_high()
            await asyncio.sleep(self.config.bounce_time_s + 0.01)

    async def idle(self, timeout: float = 2.0) -> None:
        """Wait until every command started by a press has finished."""
        async def drain() -> None:
            while self._pending or self._tasks:
                if self._tasks:
                    await asyncio.gather(*list(self._tasks), return_exceptions=True)
                else:
                    await asyncio.sleep(0)

        await asyncio.wait_for(drain(), timeout)

    def close(self) -> None:
        for name in list(self._timers):
            self._disarm(name)
        for button in self.buttons.values():
            button.close()
        self.buttons.clear()
        for task in list(self._tasks):
            task.cancel()
