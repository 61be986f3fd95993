"""Native-script titles on Spotify and in the synced library, through the chat API: the real
spotipy client against the fake Spotify over HTTP, with catalog entries in Telugu and Hindi."""

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

World = tuple[httpx.AsyncClient, FakeSpotify, Runtime]


@pytest.fixture
def spotify() -> Iterator[tuple[FakeSpotify, str]]:
    fake = FakeSpotify.with_demo_catalog()
    fake.add_track("మనసా మనసా", "Sid Sriram", "Most Eligible Bachelor")
    fake.add_track("दिल से", "ए. आर. रहमान", "दिल से")
    fake.add_track("Dil Se Dil Tak", "Cover Band", "Covers")
    with serve(fake.app) as url:
        yield fake, url


async def open_world(settings: Settings, spotify: tuple[FakeSpotify, str],
                     languages: str) -> AsyncIterator[World]:
    fake, url = spotify
    rt = await build_runtime(spotify_settings(settings, url, SAM_SPEECH_LANGUAGES=languages))
    await pair_directly(rt, fake)
    app = create_app(rt.settings, rt)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://sam") as client:
        yield client, fake, rt
    await rt.aclose()


@pytest.fixture
async def world(settings: Settings, spotify: tuple[FakeSpotify, str]) -> AsyncIterator[World]:
    async for opened in open_world(settings, spotify, "te,hi"):
        yield opened


@pytest.fixture
async def english_only(settings: Settings, spotify: tuple[FakeSpotify, str]
                       ) -> AsyncIterator[World]:
    async for opened in open_world(settings, spotify, ""):
        yield opened


async def say(client: httpx.AsyncClient, text: str) -> dict[str, Any]:
    response = await client.post("/v1/chat/message", json={"text": text})
    assert response.status_code == 200, response.text
    return dict(response.json())


def searched(fake: FakeSpotify) -> list[str]:
    return [call.query["q"] for call in fake.calls("GET", "/v1/search")]


async def test_a_latin_request_finds_a_telugu_catalog_title(world: World) -> None:
    client, fake, _ = world
    body = await say(client, "play manasaa manasaa")
    assert body["status"] == "ok", body
    assert body["parameters"]["title"] == "మనసా మనసా"
    assert fake.state.item.name == "మనసా మనసా"
    assert searched(fake)[1:] == ["మనసా మనసా", "मनसा मनसा"]
    native = await say(client, "play మనసా మనసా")
    assert native["status"] == "ok" and searched(fake)[3:] == ["మనసా మనసా"]
    latin = await say(client, "play manasa manasa")  # its Latin spelling: the same cache entry
    assert latin["parameters"]["title"] == "మనసా మనసా" and len(searched(fake)) == 4


async def test_native_and_latin_results_are_judged_together(world: World) -> None:
    client, fake, _ = world
    body = await say(client, "play dil se")
    assert body["status"] == "ok", body
    assert body["parameters"]["title"] == "दिल से"
    assert "दिल से" in searched(fake)


async def test_an_unclear_native_result_is_not_played(world: World) -> None:
    client, fake, _ = world
    body = await say(client, "play manasaa")
    assert body["status"] == "not_found", body
    assert "మనసా" in searched(fake)
    assert not fake.calls("PUT", "/v1/me/player/play")


async def test_without_languages_only_the_latin_form_is_searched(english_only: World) -> None:
    client, fake, _ = english_only
    body = await say(client, "play manasaa manasaa")
    assert body["status"] == "not_found", body
    assert searched(fake) == ["manasaa manasaa"]


async def test_the_synced_library_answers_in_any_script_without_a_search(world: World) -> None:
    client, fake, rt = world
    fake.add_liked(fake.track("మనసా మనసా"), fake.track("दिल से"))
    summary = await rt.sync.sync("spotify")
    assert all(s.ok for s in summary), summary
    for text, title in (("play manasa manasa", "మనసా మనసా"), ("play dil se song", "दिल से"),
                        ("play Manasaa Manasaa", "మనసా మనసా")):
        body = await say(client, text)
        assert body["status"] == "ok", body
        assert body["parameters"]["title"] == title
        assert body["parameters"]["uri"] == fake.track(title).uri
    assert searched(fake) == []
