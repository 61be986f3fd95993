"""From settings to the GPIO parts, and what lights the offline and pairing-needed LEDs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

from ..events import Event, EventBus, EventType
from ..gpio import GpioConfig, GpioRuntime
from ..platforms.base import MusicPlatform
from ..settings import Settings

log = logging.getLogger(__name__)

OFFLINE_CODES = frozenset({"unreachable", "stt_unavailable", "llm_unavailable", "server_error",
                           "tts_unavailable"})


def gpio_config(settings: Settings) -> GpioConfig:
    g = settings.gpio
    rgb = tuple(g.rgb_led) if len(g.rgb_led) == 3 else None
    return GpioConfig(
        mode=g.mode, play_pause=g.play_pause_pin, next=g.next_pin, previous=g.previous_pin,
        talk=g.talk_pin, volume_up=g.volume_up_pin, volume_down=g.volume_down_pin,
        like=g.like_pin, mic_mute=g.mic_mute_pin,
        status_led=g.status_led_pin if g.status_led_pin >= 0 else None,
        status_led_pwm=g.status_led_pwm, rgb_led=rgb,  # type: ignore[arg-type]
        led_active_high=g.led_active_high, bounce_time_s=g.bounce_time_s,
        hold_time_s=g.hold_time_s, volume_repeat_s=g.volume_repeat_s,
        error_flash_s=g.error_flash_s,
    )


def device_leds(gpio: GpioRuntime, bus: EventBus,
                platforms: Mapping[str, MusicPlatform]) -> None:
    """Offline when a turn failed for want of a network service, back when one succeeds;
    pairing needed while a configured platform has no usable account."""

    async def check_pairing() -> None:
        needed = False
        for adapter in platforms.values():
            try:
                needed = needed or not await adapter.is_paired()
            except Exception:  # a broken store reads as "pair again"
                needed = True
        gpio.leds.set_pairing_needed(needed)

    tasks: set[asyncio.Task[None]] = set()

    def on_event(event: Event) -> None:
        if event.type is not EventType.TURN_END:
            return
        code = event.data.get("code", "")
        if event.data.get("status") == "ok":
            gpio.leds.set_offline(False)
        elif code in OFFLINE_CODES:
            gpio.leds.set_offline(True)
        try:
            task = asyncio.get_running_loop().create_task(check_pairing())
        except RuntimeError:
            return
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    bus.subscribe(on_event)
    gpio.pairing_check = check_pairing  # type: ignore[attr-defined]
