"""The status LED follows the event bus: each pattern read back from the mock pins."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

import pytest
from gpiozero.pins.mock import MockFactory, MockPin

from sam_edge.events import EventBus, EventType, State
from sam_edge.gpio import GpioConfig, LedPatterns, mock_factory

RGB = GpioConfig(mode="mock")


async def until(check: Callable[[], bool], timeout: float = 10.0) -> None:
    async def poll() -> None:
        while not check():
            await asyncio.sleep(0.005)

    await asyncio.wait_for(poll(), timeout)


@pytest.fixture
def factory() -> MockFactory:
    return mock_factory()


@pytest.fixture
def bus() -> EventBus:
    return EventBus()


@pytest.fixture
def leds(factory: MockFactory, bus: EventBus) -> Iterator[LedPatterns]:
    patterns = LedPatterns(RGB, factory, bus, error_s=0.15)
    yield patterns
    patterns.close()


def rgb(factory: MockFactory) -> tuple[float, ...]:
    assert RGB.rgb_led is not None
    return tuple(float(factory.pin(p).state) for p in RGB.rgb_led)


def seen(pin: MockPin) -> set[float]:
    return {round(float(s.state), 2) for s in pin.states}


async def test_a_turn_goes_listening_thinking_speaking_idle(
        leds: LedPatterns, bus: EventBus, factory: MockFactory) -> None:
    assert (leds.state, rgb(factory)) == ("idle", (0.0, 0.0, 0.0))
    bus.set_state(State.LISTENING)
    assert (leds.state, rgb(factory)) == ("listening", (0.0, 0.0, 1.0))
    bus.set_state(State.THINKING)
    assert leds.state == "thinking"
    blue = factory.pin(RGB.rgb_led[2])  # type: ignore[index]
    blue.clear_states()
    await until(lambda: len(seen(blue)) >= 3)  # a pulse fades through many levels
    bus.set_state(State.SPEAKING)
    assert (leds.state, rgb(factory)) == ("speaking", (0.0, 1.0, 0.0))
    bus.set_state(State.IDLE)
    assert (leds.state, rgb(factory)) == ("idle", (0.0, 0.0, 0.0))


async def test_an_error_flashes_red_then_goes_back(
        leds: LedPatterns, bus: EventBus, factory: MockFactory) -> None:
    bus.set_state(State.THINKING)
    bus.set_state(State.ERROR)  # the turn failed
    assert leds.state == "error"
    red = factory.pin(RGB.rgb_led[0])  # type: ignore[index]
    await until(lambda: 1.0 in seen(red))
    await until(lambda: leds.state == "idle")
    assert rgb(factory) == (0.0, 0.0, 0.0)
    bus.emit(EventType.ERROR, source="player", message="The music player stopped.")
    assert leds.state == "error"
    bus.set_state(State.LISTENING)  # pressing talk ends the flash at once
    assert (leds.state, rgb(factory)) == ("listening", (0.0, 0.0, 1.0))


async def test_muted_comes_from_the_bus_and_activity_wins_over_it(
        leds: LedPatterns, bus: EventBus, factory: MockFactory) -> None:
    bus.set_muted(True)
    assert (leds.state, rgb(factory)) == ("muted", (1.0, 0.0, 0.0))
    bus.set_state(State.SPEAKING)
    assert leds.state == "speaking"
    bus.set_state(State.IDLE)
    assert leds.state == "muted"
    leds.set_muted(False)
    assert leds.state == "idle"


async def test_offline_and_pairing_needed_at_rest(
        leds: LedPatterns, factory: MockFactory) -> None:
    red, green, blue = (factory.pin(p) for p in RGB.rgb_led)  # type: ignore[union-attr]
    leds.set_pairing_needed(True)
    assert leds.state == "pairing_needed"
    await until(lambda: 0.6 in seen(red) and 1.0 in seen(blue))  # purple
    leds.set_offline(True)
    assert leds.state == "offline"
    await until(lambda: 0.5 in seen(green))  # amber
    leds.set_offline(False)
    assert leds.state == "pairing_needed"
    leds.set_pairing_needed(False)
    assert (leds.state, rgb(factory)) == ("idle", (0.0, 0.0, 0.0))
    assert leds.snapshot() == {"pattern": "idle", "kind": "rgb", "style": "off",
                               "color": "#000000",
                               "values": {"red": 0.0, "green": 0.0, "blue": 0.0}}


async def test_household_store_offline_between_offline_and_pairing(
        leds: LedPatterns, factory: MockFactory, bus: EventBus) -> None:
    leds.set_pairing_needed(True)
    leds.set_household_offline(True)
    assert leds.state == "household_offline"
    await until(lambda: rgb(factory) == (0.0, 1.0, 1.0))  # cyan, on
    await until(lambda: rgb(factory) == (0.0, 0.0, 0.0))  # then off: a blink
    leds.set_offline(True)
    assert leds.state == "offline"  # no network at all says more
    leds.set_offline(False)
    bus.set_state(State.LISTENING)
    assert leds.state == "listening"  # a turn still shows
    bus.set_state(State.IDLE)
    assert leds.state == "household_offline"
    leds.set_household_offline(False)
    assert leds.state == "pairing_needed"


async def test_a_single_pwm_led_dims_pulses_and_double_blinks(
        factory: MockFactory, bus: EventBus) -> None:
    leds = LedPatterns(GpioConfig(rgb_led=None, status_led=13), factory, bus)
    pin = factory.pin(13)
    try:
        assert leds.kind == "pwm"
        bus.set_state(State.LISTENING)
        assert pin.state == 1.0
        bus.set_state(State.THINKING)
        pin.clear_states()
        await until(lambda: len(seen(pin)) >= 3)
        bus.set_state(State.IDLE)
        leds.set_muted(True)
        assert pin.state == pytest.approx(0.15)
        leds.set_muted(False)
        leds.set_pairing_needed(True)
        pin.clear_states()
        await until(lambda: len(pin.states) >= 7)
        # Each entry's timestamp is how long the state before it lasted: two short gaps
        # (between the two blinks), then a long one.
        gaps = [now.timestamp for before, now in zip(pin.states[1:], pin.states[2:],
                                                     strict=False) if before.state == 0]
        assert min(gaps) < 0.3 < 0.5 < max(gaps)
    finally:
        leds.close()
    assert leds.device is None


async def test_a_plain_led_blinks_where_it_cannot_dim(
        factory: MockFactory, bus: EventBus) -> None:
    leds = LedPatterns(GpioConfig(rgb_led=None, status_led=13, status_led_pwm=False),
                       factory, bus)
    try:
        bus.set_state(State.LISTENING)
        assert (leds.kind, factory.pin(13).state) == ("led", 1)
        bus.set_state(State.THINKING)
        await until(lambda: factory.pin(13).state == 0)
    finally:
        leds.close()


async def test_without_an_led_the_pattern_is_still_known(bus: EventBus,
                                                         factory: MockFactory) -> None:
    leds = LedPatterns(GpioConfig(rgb_led=None), factory, bus)
    bus.set_state(State.LISTENING)
    assert leds.snapshot()["pattern"] == "listening"
    assert leds.snapshot()["values"] == {} and leds.snapshot()["color"] == "#0000ff"
    leds.close()
    bus.set_state(State.THINKING)
    assert leds.state == "listening"  # unsubscribed
