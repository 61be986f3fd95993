"""Which gpiozero pin factory drives the buttons and LEDs: the Pi's own pins or mock ones.

The factory is passed to every device (``pin_factory=``); the global ``Device.pin_factory`` is
never set, so one runtime's pins (or one test's) never leak into another.
"""

from __future__ import annotations

import importlib
import logging
import warnings
from pathlib import Path
from typing import Literal, NamedTuple

from gpiozero import Factory
from gpiozero.pins.mock import MockFactory, MockPWMPin

from ..errors import SamError

log = logging.getLogger(__name__)

Mode = Literal["auto", "pi", "mock"]
MODES: tuple[str, ...] = ("auto", "pi", "mock")
MODEL_PATH = Path("/proc/device-tree/model")

# gpiozero's own preference order, minus its pure-Python fallback (no PWM, no edge events).
PI_FACTORIES: tuple[tuple[str, str], ...] = (
    ("lgpio", "gpiozero.pins.lgpio:LGPIOFactory"),
    ("RPi.GPIO", "gpiozero.pins.rpigpio:RPiGPIOFactory"),
)


class GpioUnavailable(SamError):
    code = "gpio_unavailable"


class PinFactoryChoice(NamedTuple):
    factory: Factory
    simulated: bool
    """True for mock pins (nothing on the header is touched)."""
    reason: str
    """One sentence saying why this factory was chosen."""


def mock_factory() -> MockFactory:
    """Mock pins that also accept PWM (a plain ``MockFactory`` refuses ``PWMLED``)."""
    return MockFactory(pin_class=MockPWMPin)


def board_model(path: Path = MODEL_PATH) -> str:
    """The device-tree model string ("Raspberry Pi 4 Model B Rev 1.4"), empty elsewhere."""
    try:
        return path.read_bytes().rstrip(b"\0").decode("utf-8", "replace").strip()
    except OSError:
        return ""


def pi_factory() -> Factory:
    """The first pin library that loads; :class:`GpioUnavailable` naming each failure."""
    failures: list[str] = []
    for name, entry in PI_FACTORIES:
        module_name, class_name = entry.split(":")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                module = importlib.import_module(module_name)
                factory: Factory = getattr(module, class_name)()
                return factory
        except Exception as exc:
            failures.append(f"{name}: {exc}")
    raise GpioUnavailable(
        "No GPIO pin library works here (" + "; ".join(failures) + "). On a Raspberry Pi "
        "install it with: pip install 'sam-edge[pi]' (or apt install python3-lgpio), "
        "or set [gpio] mode = \"mock\".")


def make_pin_factory(mode: str = "auto", *, model_path: Path = MODEL_PATH) -> PinFactoryChoice:
    """``mock`` → mock pins; ``pi`` → the Pi's pins or :class:`GpioUnavailable`;
    ``auto`` → the Pi's pins on a Raspberry Pi whose pin library loads, mock pins otherwise."""
    if mode not in MODES:
        raise GpioUnavailable(f"GPIO mode must be auto, pi or mock, not {mode!r}.",
                              code="gpio_mode")
    if mode == "mock":
        return PinFactoryChoice(mock_factory(), True,
                                "GPIO mode is mock: the buttons and LEDs are virtual")
    if mode == "pi":
        factory = pi_factory()
        return PinFactoryChoice(factory, False, f"GPIO mode is pi ({type(factory).__name__})")
    model = board_model(model_path)
    if "Raspberry Pi" not in model:
        return PinFactoryChoice(mock_factory(), True,
                                "not a Raspberry Pi: the buttons and LEDs are virtual")
    try:
        factory = pi_factory()
    except GpioUnavailable as exc:
        log.warning("%s", exc.message)
        return PinFactoryChoice(mock_factory(), True,
                                f"{model} without a working pin library: the buttons and "
                                "LEDs are virtual")
    return PinFactoryChoice(factory, False, f"{model} ({type(factory).__name__})")
