"""Buttons end to end: a mock pin's edge → gpiozero's callbacks → the asyncio loop → the real
MusicActionService → the local platform → the player; plus the page's virtual buttons."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from gpiozero import Button, Device
from gpiozero.pins.mock import MockFactory

from sam_edge.app.runtime import Runtime, build_runtime
from sam_edge.events import Event, EventType
from sam_edge.gpio import (
    GpioConfig,
    GpioRuntime,
    GpioUnavailable,
    PinFactoryChoice,
    build_gpio,
    make_pin_factory,
    mock_factory,
)
from sam_edge.settings import Settings, load_settings
from sam_edge.web.gpio import router as gpio_router
from tests.fakes.recording import RecordingPlayer
from tests.voice_world import DATA

PINS = GpioConfig()
SONGS = ["/music/a.mp3", "/music/b.mp3", "/music/c.mp3"]


class World:
    def __init__(self, rt: Runtime, gpio: GpioRuntime, player: RecordingPlayer,
                 factory: MockFactory) -> None:
        self.rt, self.gpio, self.player, self.factory = rt, gpio, player, factory
        self.events: list[Event] = []
        rt.bus.subscribe(self.events.append)

    def tap(self, name: str) -> None:
        pin = self.factory.pin(getattr(PINS, name))
        pin.drive_low()
        pin.drive_high()

    async def settle(self) -> None:
        await self.gpio.panel.idle(timeout=2)

    async def press(self, name: str) -> None:
        """A tap, its command finished, and the debounce window over (0.06 s)."""
        self.tap(name)
        await self.settle()
        await asyncio.sleep(self.gpio.panel.config.bounce_time_s + 0.01)


async def until(check: Callable[[], bool], timeout: float = 10.0) -> None:
    async def poll() -> None:
        while not check():
            await asyncio.sleep(0.005)

    await asyncio.wait_for(poll(), timeout)


@pytest.fixture
async def world(settings: Settings) -> AsyncIterator[World]:
    env = {"SAM_DATA_DIR": str(settings.data.dir), "SAM_MUSIC_DIR": str(settings.music.dir),
           "SAM_PLAYER_AUDIO_OUTPUT": "null", "SAM_AUDIO_OUTPUT": "none",
           "SAM_AUDIO_SIMULATED_INPUT": str(DATA / "pause.wav")}
    player = RecordingPlayer(volume=60)
    rt = await build_runtime(load_settings(settings.data.dir / "absent.toml", env),
                             player=player)
    factory = mock_factory()
    config = GpioConfig(mode="mock", hold_time_s=0.1, volume_repeat_s=0.05)
    gpio = build_gpio(config, rt.runner, rt.listener, rt.bus,
                      choice=PinFactoryChoice(factory, True, "tests"))
    rt.gpio = gpio  # type: ignore[attr-defined]
    yield World(rt, gpio, player, factory)
    gpio.close()
    await rt.aclose()


async def test_play_pause_pauses_then_resumes_the_player(world: World) -> None:
    await world.player.play(SONGS)
    await world.press("play_pause")
    assert world.player.paused and world.player.calls[-1] == ("pause",)
    await world.press("play_pause")
    assert not world.player.paused and world.player.calls[-1] == ("resume",)
    last = world.gpio.controller.last
    assert last is not None and (last.command, last.status) == ("RESUME", "ok")
    assert last.latency_ms is not None and 0 <= last.latency_ms < 1000


async def test_next_fires_on_the_press_edge_and_previous_goes_back(world: World) -> None:
    await world.player.play(SONGS)
    pin = world.factory.pin(PINS.next)
    pin.drive_low()
    await until(lambda: world.player.index == 1)  # before the release
    pin.drive_high()
    world.tap("previous")
    await world.settle()
    assert world.player.methods()[-2:] == ["next", "previous"] and world.player.index == 0


async def test_volume_steps_and_repeats_while_held(world: World) -> None:
    await world.player.play(SONGS)
    world.tap("volume_up")
    await world.settle()
    assert world.player.volume == 70
    pin = world.factory.pin(PINS.volume_down)
    pin.drive_low()
    await until(lambda: world.player.volume <= 40)
    pin.drive_high()
    await world.settle()
    assert [c for c in world.player.calls if c[0] == "set_volume"][:4] == [
        ("set_volume", 70), ("set_volume", 60), ("set_volume", 50), ("set_volume", 40)]


async def test_holding_play_pause_stops_without_a_tap_first(world: World) -> None:
    await world.player.play(SONGS)
    await world.player.pause()
    world.player.calls.clear()
    pin = world.factory.pin(PINS.play_pause)
    pin.drive_low()
    await until(lambda: world.player.calls == [("pause",)])
    pin.drive_high()
    await world.settle()
    # A tap would have resumed (the music was paused): the hold only pauses.
    assert world.player.calls == [("pause",)]
    assert [p.command for p in world.gpio.controller.history] == ["PAUSE"]


async def test_talk_runs_a_voice_turn_that_reaches_the_player(world: World) -> None:
    await world.player.play(SONGS)
    world.tap("talk")
    await until(lambda: any(e.type is EventType.TURN_END and e.data["source"] == "voice"
                            for e in world.events), timeout=20)
    assert world.player.paused  # the demo request says "pause"
    states = [e.data["state"] for e in world.events if e.type is EventType.STATE]
    assert states[0] == "listening" and "thinking" in states


async def test_holding_talk_cancels_instead_of_listening(world: World) -> None:
    pin = world.factory.pin(PINS.talk)
    pin.drive_low()
    await until(lambda: bool(world.gpio.controller.history))
    pin.drive_high()
    await world.settle()
    assert [(p.command, p.status) for p in world.gpio.controller.history] == [("cancel", "ok")]
    assert not any(e.type is EventType.WAKE_START for e in world.events)


async def test_mic_mute_toggles_the_listener(world: World) -> None:
    assert world.rt.listener is not None and not world.rt.listener.muted
    await world.press("mic_mute")
    assert world.rt.listener.muted and world.gpio.leds.state == "muted"
    await world.press("mic_mute")
    assert not world.rt.listener.muted and world.gpio.leds.state == "idle"


async def test_a_failed_command_is_an_error_event_never_an_exception(world: World) -> None:
    world.tap("next")  # nothing is playing
    await world.settle()
    errors = [e for e in world.events if e.type is EventType.ERROR]
    assert len(errors) == 1 and errors[0].data["code"] == "nothing_playing"
    assert errors[0].data["source"] == "button"
    ends = [e for e in world.events if e.type is EventType.TURN_END]
    assert ends[-1].data["status"] == "error" and ends[-1].data["action"] == "NEXT"
    assert world.gpio.leds.state == "error"


async def test_contact_chatter_is_one_press(world: World) -> None:
    await world.player.play(SONGS)
    pin = world.factory.pin(PINS.next)
    for _ in range(3):  # within bounce_time_s
        pin.drive_low()
        pin.drive_high()
    await world.settle()
    assert world.player.methods().count("next") == 1


async def test_an_edge_from_another_thread_reaches_the_loop(world: World) -> None:
    await world.player.play(SONGS)
    thread = threading.Thread(target=world.tap, args=("next",))
    thread.start()
    thread.join(1)
    await until(lambda: world.player.index == 1)


async def test_close_releases_the_pins(world: World) -> None:
    world.gpio.close()
    again = Button(PINS.next, pin_factory=world.factory)  # GPIOPinInUse if still held
    again.close()
    assert world.gpio.panel.names == []


# ------------------------------------------------------------ the page's virtual buttons

@pytest.fixture
async def client(world: World) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    app.include_router(gpio_router)
    app.state.runtime = world.rt
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://sam") as c:
        yield c


async def test_gpio_status_lists_buttons_and_leds(client: httpx.AsyncClient) -> None:
    body = (await client.get("/v1/gpio")).json()
    assert body["mode"] == "mock"
    assert body["buttons"] == ["play_pause", "next", "previous", "talk", "volume_up",
                               "volume_down", "like", "mic_mute"]
    assert body["leds"]["pattern"] == "idle"
    assert set(body["leds"]["values"]) == {"red", "green", "blue"}


async def test_virtual_press_drives_the_mock_pin(world: World,
                                                client: httpx.AsyncClient) -> None:
    await world.player.play(SONGS)
    body = (await client.post("/v1/gpio/buttons/play_pause/press")).json()
    assert world.player.paused and body["last_press"]["command"] == "PAUSE"
    assert world.factory.pin(PINS.play_pause).state  # released again
    body = (await client.post("/v1/gpio/buttons/play_pause/press?hold=true")).json()
    assert body["last_press"]["command"] == "PAUSE" and world.player.paused
    response = await client.post("/v1/gpio/buttons/eject/press")
    assert response.status_code == 404 and response.json()["code"] == "unknown_button"


async def test_two_virtual_presses_at_once_are_two_presses(world: World,
                                                            client: httpx.AsyncClient) -> None:
    await world.player.play(SONGS)
    first, second = await asyncio.gather(client.post("/v1/gpio/buttons/next/press"),
                                         client.post("/v1/gpio/buttons/next/press"))
    assert first.status_code == second.status_code == 200
    await world.settle()
    assert world.player.methods().count("next") == 2 and world.player.index == 2


async def test_virtual_press_is_refused_on_real_pins(world: World,
                                                   client: httpx.AsyncClient) -> None:
    world.gpio.mode = "pi"
    response = await client.post("/v1/gpio/buttons/next/press")
    assert response.status_code == 409 and world.player.calls == []


# ------------------------------------------------------------ the factory and the config

def test_mock_factory_accepts_pwm_and_leaves_the_global_alone() -> None:
    before = Device.pin_factory
    choice = make_pin_factory("mock")
    assert choice.simulated and isinstance(choice.factory, MockFactory)
    assert Device.pin_factory is before


def test_auto_off_a_pi_is_mock(tmp_path: Path) -> None:
    choice = make_pin_factory("auto", model_path=tmp_path / "absent")
    assert choice.simulated and "not a Raspberry Pi" in choice.reason


def test_auto_on_a_pi_without_a_pin_library_is_mock(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    model = tmp_path / "model"
    model.write_bytes(b"Raspberry Pi 4 Model B Rev 1.4\0")
    monkeypatch.setattr("sam_edge.gpio.factory.PI_FACTORIES",
                        (("lgpio", "no_such_module_here:LGPIOFactory"),))
    choice = make_pin_factory("auto", model_path=model)
    assert choice.simulated and "Raspberry Pi 4" in choice.reason
    with pytest.raises(GpioUnavailable, match="no_such_module_here"):
        make_pin_factory("pi")
    with pytest.raises(GpioUnavailable):
        make_pin_factory("gpio")


def test_config_treats_negative_pins_as_unwired_and_refuses_shared_pins() -> None:
    config = GpioConfig(like=-1, rgb_led=(), status_led=13)
    assert config.like is None and config.rgb_led is None
    assert "like" not in config.button_pins()
    assert GpioConfig(rgb_led=(-1, -1, -1)).rgb_led is None
    with pytest.raises(ValueError, match="GPIO 22"):
        GpioConfig(previous=22)
    with pytest.raises(ValueError, match="three pins"):
        GpioConfig(rgb_led=(16, 26))


async def test_talk_while_muted_says_so_and_stays_idle(world: World) -> None:
    await world.press("mic_mute")
    assert world.rt.listener.muted
    await world.press("talk")
    last = world.gpio.controller.last
    assert last is not None and last.status == "muted" and "muted" in last.message
    ends = [e for e in world.events if e.type is EventType.TURN_END]
    assert ends[-1].data["status"] == "error" and "muted" in ends[-1].data["response_text"]
    assert not any(e.type is EventType.WAKE_START for e in world.events)
    assert world.rt.bus.state.value in ("idle", "error")
