"""Buttons and the status LED through gpiozero; mock pins when there is no Raspberry Pi.

``build_gpio`` wires the parts: a pin factory (:mod:`.factory`), the :class:`ButtonPanel`
calling a :class:`DeviceController`, and :class:`LedPatterns` following the event bus.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from gpiozero import Factory

from ..events import EventBus
from ..listen.loop import ListenLoop
from ..pipeline.runner import TurnRunner
from .buttons import BINDINGS, BUTTONS, ButtonPanel, GpioConfig
from .controller import DeviceController, Press
from .factory import GpioUnavailable, PinFactoryChoice, make_pin_factory, mock_factory
from .leds import PATTERNS, LedPatterns

__all__ = [
    "BINDINGS",
    "BUTTONS",
    "PATTERNS",
    "ButtonPanel",
    "DeviceController",
    "GpioConfig",
    "GpioRuntime",
    "GpioUnavailable",
    "LedPatterns",
    "PinFactoryChoice",
    "Press",
    "build_gpio",
    "make_pin_factory",
    "mock_factory",
]

log = logging.getLogger(__name__)


@dataclass
class GpioRuntime:
    panel: ButtonPanel
    leds: LedPatterns
    factory: Factory
    mode: str
    """``mock`` (virtual pins, pressable from the status page) or ``pi``."""
    controller: DeviceController
    reason: str = ""

    @property
    def simulated(self) -> bool:
        return self.mode == "mock"

    def status(self) -> dict[str, Any]:
        last = self.controller.last
        return {
            "mode": self.mode,
            "reason": self.reason,
            "leds": self.leds.snapshot(),
            "buttons": self.panel.names,
            "last_press": None if last is None else {
                "button": last.button, "command": last.command, "status": last.status,
                "message": last.message, "latency_ms": last.latency_ms},
        }

    def close(self) -> None:
        self.panel.close()
        self.leds.close()
        factory_close = getattr(self.factory, "close", None)
        if callable(factory_close):
            factory_close()


def build_gpio(config: GpioConfig, turns: TurnRunner, listener: ListenLoop | None,
               bus: EventBus, loop: asyncio.AbstractEventLoop | None = None, *,
               choice: PinFactoryChoice | None = None) -> GpioRuntime:
    """Everything GPIO, ready; call from the running loop (or pass it). ``choice`` replaces
    the factory picked from ``config.mode`` (tests)."""
    choice = choice or make_pin_factory(config.mode)
    loop = loop or asyncio.get_running_loop()
    controller = DeviceController(turns, listener)
    leds = LedPatterns(config, choice.factory, bus)
    try:
        panel = ButtonPanel(config, choice.factory, controller, loop)
    except Exception:
        leds.close()
        raise
    mode = "mock" if choice.simulated else "pi"
    log.info("GPIO: %s (%s); buttons %s; LED %s", mode, choice.reason,
             ", ".join(panel.names) or "none", leds.kind)
    return GpioRuntime(panel=panel, leds=leds, factory=choice.factory, mode=mode,
                       controller=controller, reason=choice.reason)
