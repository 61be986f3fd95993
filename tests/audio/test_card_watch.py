"""A sound card that goes away and comes back is noticed (log, event, LED, /health)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import httpx
import pytest

from sam_edge.app.runtime import build_runtime
from sam_edge.audio.card_watch import SoundCardWatch
from sam_edge.events import EventBus, EventType
from sam_edge.settings import Settings
from sam_edge.web.app import create_app
from tests.fakes.recording import RecordingPlayer

CARD = " 0 [Device         ]: USB-Audio - USB Audio Device\n"


def test_a_card_that_goes_and_comes_back(tmp_path: Path,
                                         caplog: pytest.LogCaptureFixture) -> None:
    cards = tmp_path / "cards"
    cards.write_text(CARD)
    bus, seen, changes = EventBus(), [], []
    bus.subscribe(seen.append)
    watch = SoundCardWatch(bus, cards=cards, on_change=changes.append)
    assert watch.present and watch.status == "ok"

    cards.write_text("--- no soundcards ---\n")
    with caplog.at_level(logging.ERROR):
        assert watch.check() is False
    assert watch.status == "missing" and changes == [False]
    assert [e.data["code"] for e in seen if e.type is EventType.ERROR] == ["no_sound_card"]
    assert "sound card is gone" in caplog.text

    cards.write_text(CARD)
    assert watch.check() is True and changes == [False, True]


def test_a_machine_without_a_card_is_not_watched(tmp_path: Path) -> None:
    watch = SoundCardWatch(EventBus(), cards=tmp_path / "absent")
    assert not watch.present and watch.status == "missing"


async def test_health_and_the_led_say_the_card_is_gone(settings: Settings,
                                                       tmp_path: Path) -> None:
    rt = await build_runtime(settings, player=RecordingPlayer())
    try:
        cards = tmp_path / "cards"
        cards.write_text(CARD)
        rt.sound_card._cards = cards
        rt.sound_card.present = True
        cards.write_text("--- no soundcards ---\n")
        rt.sound_card.check()
        # The error flash first (about 2 s), then the standing "no audio" pattern.
        deadline = asyncio.get_running_loop().time() + 10
        while rt.gpio.leds.state != "no_audio":
            assert asyncio.get_running_loop().time() < deadline, rt.gpio.leds.state
            await asyncio.sleep(0.05)
        transport = httpx.ASGITransport(app=create_app(rt.settings, rt))
        async with httpx.AsyncClient(transport=transport, base_url="http://sam") as client:
            health = (await client.get("/health")).json()
        assert health["sound_card"] == "missing"
        cards.write_text(CARD)
        rt.sound_card.check()
        assert rt.gpio.leds.state != "no_audio"
    finally:
        await rt.aclose()
