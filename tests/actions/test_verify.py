"""Verified actions (a contract): a command is ``ok`` only when the platform's own state shows
it happened, checked against the fake Spotify over real HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from sam_edge.app.runtime import Runtime, build_runtime
from sam_edge.settings import Settings
from sam_edge.web.app import create_app
from tests.fakes.server import serve
from tests.fakes.spotify import FakeSpotify
from tests.web.test_spotify_turns import pair_directly, spotify_settings


@pytest.fixture
def spotify() -> Iterator[tuple[FakeSpotify, str]]:
    fake = FakeSpotify.with_demo_catalog()
    with serve(fake.app) as url:
        yield fake, url


@pytest.fixture
async def world(settings: Settings, spotify: tuple[FakeSpotify, str]
                ) -> AsyncIterator[tuple[httpx.AsyncClient, FakeSpotify, Runtime]]:
    fake, url = spotify
    rt = await build_runtime(spotify_settings(settings, url))
    await pair_directly(rt, fake)
    app = create_app(rt.settings, rt)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://sam", timeout=30) as client:
        yield client, fake, rt
    await rt.aclose()


async def say(client: httpx.AsyncClient, text: str) -> dict[str, Any]:
    response = await client.post("/v1/chat/message", json={"text": text})
    assert response.status_code == 200
    return dict(response.json())


async def test_play_is_checked_against_the_player_state(world: Any) -> None:
    client, fake, _ = world
    body = await say(client, "play Doxy")
    assert body["status"] == "ok"
    plays = [i for i, r in enumerate(fake.requests) if r.path == "/v1/me/player/play"]
    reads = [i for i, r in enumerate(fake.requests) if r.method == "GET"
             and r.path == "/v1/me/player"]
    assert plays and reads and reads[-1] > plays[-1]  # the state was read after the command


async def test_play_that_does_not_happen_is_not_verified(world: Any) -> None:
    client, fake, _ = world
    fake.unresponsive_device = True
    body = await say(client, "play Doxy")
    assert body["status"] == "error"
    assert body["error"]["code"] == "not_verified"
    assert body["response_text"] == ("Spotify accepted the command but nothing is playing on "
                                     "Kitchen.")
    polls = [r for r in fake.requests if r.method == "GET" and r.path == "/v1/me/player"]
    assert 4 <= len(polls) <= 12  # about every 250 ms for 2 s


async def test_pause_that_does_not_happen_is_not_verified(world: Any) -> None:
    client, fake, _ = world
    assert (await say(client, "play Doxy"))["status"] == "ok"
    fake.unresponsive_device = True
    body = await say(client, "pause")
    assert body["error"]["code"] == "not_verified"
    assert "Doxy by Miles Davis is still playing on Kitchen" in body["response_text"]


async def test_next_must_change_the_item(world: Any) -> None:
    client, fake, _ = world
    assert (await say(client, "play the album 25"))["status"] == "ok"
    assert (await say(client, "next"))["status"] == "ok"
    fake.unresponsive_device = True
    body = await say(client, "skip this one")
    assert body["error"]["code"] == "not_verified"


async def test_now_playing_answers_from_the_real_state(world: Any) -> None:
    client, _, _ = world
    await say(client, "play Doxy")
    await say(client, "pause")
    body = await say(client, "what's playing")
    assert body["parameters"] == {"platform": "spotify", "title": "Doxy",
                                  "artist": "Miles Davis", "is_playing": False}
