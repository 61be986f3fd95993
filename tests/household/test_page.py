"""Each device's page shows the household's devices: ``GET /v1/household`` over the real ASGI
app (two devices on the real servers, their heartbeats, what each plays) and the page that
reads it; a device outside a household answers no household."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from sam_edge.app.runtime import Runtime, build_runtime
from sam_edge.settings import load_settings
from sam_edge.web.app import create_app
from tests.audio_files import make_song
from tests.household.devices import device


@pytest.fixture
def songs(tmp_path: Path) -> Path:
    folder = tmp_path / "music"
    make_song(folder, "Adele/25/01 Hello.mp3", title="Hello", artist="Adele", album="25",
              track=1)
    return folder


async def _get(rt: Runtime, path: str) -> httpx.Response:
    app = create_app(rt.settings, rt)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://sam") as client:
        return await client.get(path)


async def test_the_page_lists_the_households_devices(fresh_database: str, redis_url: str,
                                                     tmp_path: Path, songs: Path) -> None:
    kitchen = await device(tmp_path, "kitchen", fresh_database, redis_url, songs)
    living = await device(tmp_path, "living room", fresh_database, redis_url, songs)
    try:
        assert kitchen.household is not None and living.household is not None
        assert (await kitchen.runner.chat("play hello")).status == "ok"
        await kitchen.household.beat_once()
        await living.household.beat_once()

        body: dict[str, Any] = (await _get(living, "/v1/household")).json()
        assert body["household"] == "home" and body["device"] == "living room"
        assert [d["name"] for d in body["devices"]] == ["living room", "kitchen"]
        here, there = body["devices"]
        assert here["this"] and not there["this"]
        assert "Hello" in there["playing"] and "Adele" in there["playing"]
        assert here["playing"] == ""
        assert 0 <= there["seen_s"] < 60

        page = (await _get(living, "/")).text
        assert 'id="household"' in page and "/assets/household.js" in page
        script = await _get(living, "/assets/household.js")
        assert script.status_code == 200 and "/v1/household" in script.text

        await kitchen.household.aclose()  # a device leaving drops off the list
        body = (await _get(living, "/v1/household")).json()
        assert [d["name"] for d in body["devices"]] == ["living room"]
    finally:
        await kitchen.aclose()
        await living.aclose()


async def test_a_device_outside_a_household(tmp_path: Path) -> None:
    (tmp_path / "music").mkdir()
    settings = load_settings(tmp_path / "absent.toml", {
        "SAM_DATA_DIR": str(tmp_path / "data"), "SAM_MUSIC_DIR": str(tmp_path / "music"),
        "SAM_PLAYER_AUDIO_OUTPUT": "null"})
    rt = await build_runtime(settings)
    try:
        body = (await _get(rt, "/v1/household")).json()
        assert body == {"household": None, "device": None, "devices": [], "message": ""}
    finally:
        await rt.aclose()
