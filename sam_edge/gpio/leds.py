"""``LedPatterns``: the status LED as a subscriber to pipeline events.

The core never calls the LEDs: this object listens to ``STATE`` and ``ERROR`` events on the
:class:`EventBus` and shows one pattern at a time. The pipeline's activity wins while it lasts
(listening, thinking, speaking); at rest the LED shows the most important standing condition:

    error (a ~2 s flash) > listening > thinking > speaking > muted > no audio > offline >
    household store offline > pairing > idle

=================  =====================  =================================
pattern            RGB LED                single LED (PWM; plain on/off)
=================  =====================  =================================
idle               off                    off
listening          solid blue             on
thinking           blue-cyan pulse        pulse (plain: fast blink)
speaking           solid green            slow blink
error              fast red blink         fast blink
offline            slow amber blink       short flash every 2 s
muted              solid red              dim (plain: mostly on)
no_audio           yellow blink           a short flash every second
household_offline  slow cyan blink        long flash every 2 s
pairing_needed     purple double blink    double blink
=================  =====================  =================================
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from itertools import cycle
from typing import Any

from gpiozero import LED, PWMLED, RGBLED, Factory

from ..events import Event, EventBus, EventType, State
from .buttons import GpioConfig

log = logging.getLogger(__name__)

Color = tuple[float, float, float]
OFF: Color = (0.0, 0.0, 0.0)
ACTIVE = (State.LISTENING, State.THINKING, State.SPEAKING)
DOUBLE_STEP_S = 0.15


@dataclass(frozen=True, slots=True)
class Look:
    style: str
    """``off``, ``solid``, ``pulse``, ``blink`` or ``double``."""
    color: Color = OFF
    on_s: float = 0.0
    off_s: float = 0.0
    level: float = 1.0
    """Brightness of a solid single LED."""


RGB_LOOKS: dict[str, Look] = {
    "idle": Look("off"),
    "listening": Look("solid", (0.0, 0.0, 1.0)),
    "thinking": Look("pulse", (0.0, 0.5, 1.0), 0.6, 0.6),
    "speaking": Look("solid", (0.0, 1.0, 0.0)),
    "error": Look("blink", (1.0, 0.0, 0.0), 0.1, 0.1),
    "offline": Look("blink", (1.0, 0.5, 0.0), 1.0, 1.0),
    "muted": Look("solid", (1.0, 0.0, 0.0)),
    "no_audio": Look("blink", (1.0, 1.0, 0.0), 0.5, 0.5),
    "household_offline": Look("blink", (0.0, 1.0, 1.0), 1.0, 1.0),
    "pairing_needed": Look("double", (0.6, 0.0, 1.0)),
}
SINGLE_LOOKS: dict[str, Look] = {
    "idle": Look("off"),
    "listening": Look("solid"),
    "thinking": Look("pulse", on_s=0.6, off_s=0.6),
    "speaking": Look("blink", on_s=0.5, off_s=0.5),
    "error": Look("blink", on_s=0.1, off_s=0.1),
    "offline": Look("blink", on_s=0.2, off_s=1.8),
    "muted": Look("solid", level=0.15),
    "no_audio": Look("blink", on_s=0.1, off_s=0.9),
    "household_offline": Look("blink", on_s=1.0, off_s=1.0),
    "pairing_needed": Look("double"),
}
PATTERNS: tuple[str, ...] = tuple(RGB_LOOKS)


def hex_color(color: Color) -> str:
    return "#" + "".join(f"{round(c * 255):02x}" for c in color)


class LedPatterns:
    def __init__(self, config: GpioConfig, factory: Factory, bus: EventBus, *,
                 error_s: float | None = None) -> None:
        self.config = config
        self.error_s = config.error_flash_s if error_s is None else error_s
        self._lock = threading.RLock()
        self.device: RGBLED | PWMLED | LED | None = None
        self.kind = "none"
        if config.rgb_led is not None:
            r, g, b = config.rgb_led
            self.device = RGBLED(r, g, b, active_high=config.led_active_high,
                                 pin_factory=factory)
            self.kind = "rgb"
        elif config.status_led is not None:
            single = PWMLED if config.status_led_pwm else LED
            self.device = single(config.status_led, active_high=config.led_active_high,
                                 pin_factory=factory)
            self.kind = "pwm" if config.status_led_pwm else "led"
        self._activity = bus.state if bus.state in ACTIVE else State.IDLE
        self._last_state = bus.state
        self._muted = self._offline = self._pairing = self._flashing = False
        self._no_audio = self._household_offline = False
        self._timer: threading.Timer | None = None
        self._pattern = ""
        self._show()
        self._unsubscribe: Callable[[], None] | None = bus.subscribe(self.on_event)

    # ---------------------------------------------------------------- inputs

    @property
    def state(self) -> str:
        """The pattern shown now (one of :data:`PATTERNS`)."""
        return self._pattern

    def on_event(self, event: Event) -> None:
        if event.type is EventType.ERROR:
            self.flash_error()
            return
        if event.type is not EventType.STATE:
            return
        with self._lock:
            if "muted" in event.data:
                self._muted = bool(event.data["muted"])
            try:
                state = State(event.data.get("state", State.IDLE.value))
            except ValueError:
                state = State.IDLE
            changed, self._last_state = state is not self._last_state, state
            if state is State.ERROR:
                self._activity = State.IDLE
                if changed:
                    self.flash_error()
                    return
            elif state in ACTIVE:
                self._activity = state
                self._end_flash_locked()
            else:
                self._activity = State.IDLE
            self._show()

    def set_muted(self, muted: bool) -> None:
        self._set("_muted", muted)

    def set_offline(self, offline: bool) -> None:
        self._set("_offline", offline)

    def set_no_audio(self, missing: bool) -> None:
        """The sound card is gone (a USB card unplugged)."""
        self._set("_no_audio", missing)

    def set_household_offline(self, offline: bool) -> None:
        """The household's shared store does not answer (the device plays from its cache)."""
        self._set("_household_offline", offline)

    def set_pairing_needed(self, needed: bool) -> None:
        self._set("_pairing", needed)

    def _set(self, flag: str, value: bool) -> None:
        with self._lock:
            setattr(self, flag, bool(value))
            self._show()

    def flash_error(self) -> None:
        """Show the error pattern for ``error_s``, then whatever is due."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            self._flashing = True
            self._timer = threading.Timer(self.error_s, self._end_flash)
            self._timer.daemon = True
            self._timer.start()
            self._show()

    def _end_flash(self) -> None:
        with self._lock:
            self._end_flash_locked()
            self._show()

    def _end_flash_locked(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._flashing = False

    # ---------------------------------------------------------------- output

    def _resolve(self) -> str:
        if self._flashing:
            return "error"
        if self._activity in ACTIVE:
            return self._activity.value
        if self._muted:
            return "muted"
        if self._no_audio:
            return "no_audio"
        if self._offline:
            return "offline"
        if self._household_offline:
            return "household_offline"
        if self._pairing:
            return "pairing_needed"
        return "idle"

    def _show(self) -> None:
        pattern = self._resolve()
        if pattern == self._pattern:
            return  # restarting a blink would make it stutter
        self._pattern = pattern
        log.debug("LED pattern %s", pattern)
        if self.device is not None:
            looks = RGB_LOOKS if self.kind == "rgb" else SINGLE_LOOKS
            try:
                self._apply(looks[pattern])
            except Exception:  # a broken LED must never stop the pipeline's events
                log.exception("could not show the %s LED pattern", pattern)

    def _apply(self, look: Look) -> None:
        device = self.device
        assert device is not None
        device.source = None  # stops a double blink
        rgb = isinstance(device, RGBLED)
        pwm = rgb or isinstance(device, PWMLED)
        lit: Any = look.color if rgb else (look.level if pwm else 1)
        dark: Any = OFF if rgb else 0
        color = {"on_color": look.color} if rgb else {}
        if look.style == "off":
            device.off()
        elif look.style == "solid" and not pwm and look.level < 0.5:
            device.blink(1.8, 0.2)  # a plain LED cannot dim: "mostly on" instead
        elif look.style == "solid":
            device.value = lit
        elif look.style == "pulse" and pwm:
            device.pulse(look.on_s, look.off_s, **color)
        elif look.style in ("pulse", "blink"):
            on, off = (0.15, 0.15) if look.style == "pulse" else (look.on_s, look.off_s)
            device.blink(on, off, **color)
        else:
            device.source_delay = DOUBLE_STEP_S
            device.source = cycle([lit, dark, lit, dark, dark, dark, dark, dark])

    # ---------------------------------------------------------------- reading

    def values(self) -> dict[str, float]:
        """What each LED shows right now (0-1)."""
        device = self.device
        if isinstance(device, RGBLED):
            return dict(zip(("red", "green", "blue"), map(float, device.value), strict=True))
        if device is not None:
            return {"status": float(device.value)}
        return {}

    def snapshot(self) -> dict[str, Any]:
        look = RGB_LOOKS[self._pattern]
        return {"pattern": self._pattern, "kind": self.kind, "style": look.style,
                "color": hex_color(look.color),
                "values": self.values()}

    def close(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        with self._lock:
            self._end_flash_locked()
            if self.device is not None:
                self.device.close()
                self.device = None
