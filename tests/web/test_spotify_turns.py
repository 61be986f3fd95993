"""Text turns that control Spotify end to end: the ASGI app, the real spotipy client, and the
fake Spotify over real HTTP."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from sam_edge.accounts.tokens import TokenSet
from sam_edge.app.runtime import Runtime, build_runtime
from sam_edge.settings import Settings, load_settings
from sam_edge.web.app import create_app
from tests.fakes.server import serve
from tests.fakes.spotify import CLIENT_ID, FakeSpotify


@pytest.fixture
def spotify() -> Iterator[tuple[FakeSpotify, str]]:
    fake = FakeSpotify.with_demo_catalog()
    with serve(fake.app) as url:
        yield fake, url


def spotify_settings(settings: Settings, url: str, **env: str) -> Settings:
    base = {
        "SAM_DATA_DIR": str(settings.data.dir),
        "SAM_MUSIC_DIR": str(settings.music.dir),
        "SAM_PLAYER_AUDIO_OUTPUT": "null",
        "SAM_SPOTIFY_CLIENT_ID": CLIENT_ID,
        "SAM_SPOTIFY_API_URL": f"{url}/v1",
        "SAM_SPOTIFY_ACCOUNTS_URL": url,
        "SAM_SPOTIFY_TIMEOUT_S": "2",
    }
    return load_settings(settings.data.dir / "absent.toml", {**base, **env})


async def pair_directly(runtime: Runtime, fake: FakeSpotify) -> TokenSet:
    issued = fake.issue_tokens()
    tokens = TokenSet(issued["access_token"], issued["refresh_token"],
                      time.time() + issued["expires_in"], issued["scope"], "samtester",
                      "Sam Tester")
    await runtime.tokens.save("spotify", tokens)
    return tokens


@pytest.fixture
async def world(settings: Settings, spotify: tuple[FakeSpotify, str]
                ) -> AsyncIterator[tuple[httpx.AsyncClient, FakeSpotify, Runtime]]:
    fake, url = spotify
    rt = await build_runtime(spotify_settings(settings, url))
    await pair_directly(rt, fake)
    app = create_app(rt.settings, rt)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://sam") as client:
        yield client, fake, rt
    await rt.aclose()


async def say(client: httpx.AsyncClient, text: str) -> dict[str, Any]:
    response = await client.post("/v1/chat/message", json={"text": text})
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_play_by_artist_on_spotify_then_cache_hit(
        world: tuple[httpx.AsyncClient, FakeSpotify, Runtime]) -> None:
    client, fake, _ = world
    body = await say(client, "play Hello by Adele")
    assert body["status"] == "ok", body
    assert body["parameters"]["platform"] == "spotify"
    assert body["response_text"] == "Playing Hello by Adele."
    assert fake.state.is_playing and fake.state.item.name == "Hello"
    assert fake.state.item.artist == "Adele"
    searches = len(fake.calls("GET", "/v1/search"))
    again = await say(client, "Play Hello by Adele!")
    assert again["status"] == "ok"
    assert len(fake.calls("GET", "/v1/search")) == searches  # answered by the cache


async def test_normalized_phrasings_share_one_search(
        world: tuple[httpx.AsyncClient, FakeSpotify, Runtime]) -> None:
    client, fake, _ = world
    for text in ("Play Nuvvu-Nenantu", "play nuvvu nenantu song",
                 "could you play nuvvu nenantu please"):
        body = await say(client, text)
        assert body["status"] == "ok", body
        assert body["parameters"]["title"] == "Nuvvu Nenantu"
    assert len(fake.calls("GET", "/v1/search")) == 1


async def test_liked_songs_are_the_users_own(
        world: tuple[httpx.AsyncClient, FakeSpotify, Runtime]) -> None:
    client, fake, _ = world
    body = await say(client, "play my liked songs")
    assert body["status"] == "ok", body
    play = fake.calls("PUT", "/v1/me/player/play")[-1]
    assert play.json["uris"][:3] == [t.uri for t, _added in fake.liked[:3]]
    assert not fake.calls("GET", "/v1/search")


async def test_controls_and_now_playing(
        world: tuple[httpx.AsyncClient, FakeSpotify, Runtime]) -> None:
    client, fake, _ = world
    await say(client, "play the album 25")
    assert fake.state.context_uri.startswith("spotify:album:")
    assert (await say(client, "skip this one"))["status"] == "ok"
    now = await say(client, "what's playing")
    assert now["action"] == "NOW_PLAYING"
    assert now["parameters"]["title"] == fake.state.item.name
    assert now["parameters"]["is_playing"] is True
    assert (await say(client, "set the volume to 40"))["status"] == "ok"
    assert fake.state.volume == 40
    assert (await say(client, "turn it up"))["parameters"]["level"] == 50
    assert (await say(client, "shuffle on"))["status"] == "ok" and fake.state.shuffle
    assert (await say(client, "repeat this song"))["status"] == "ok"
    assert fake.state.repeat == "track"
    queued = await say(client, "add Yellow to the queue")
    assert queued["status"] == "ok", queued
    assert (await say(client, "pause"))["status"] == "ok" and not fake.state.is_playing


async def test_expired_token_is_refreshed_and_rotated(
        world: tuple[httpx.AsyncClient, FakeSpotify, Runtime]) -> None:
    client, fake, rt = world
    before = await rt.tokens.load("spotify")
    assert before is not None
    fake.expire_access_tokens()
    body = await say(client, "play Yellow")
    assert body["status"] == "ok", body
    after = await rt.tokens.load("spotify")
    assert after is not None and after.refresh_token != before.refresh_token
    assert not fake.refresh_token_valid(before.refresh_token)
    assert fake.refresh_token_valid(after.refresh_token)


async def test_revoked_account_asks_to_pair_again(
        world: tuple[httpx.AsyncClient, FakeSpotify, Runtime]) -> None:
    client, fake, _ = world
    fake.expire_access_tokens()
    fake.revoke_refresh_tokens()
    body = await say(client, "pause")
    assert body["status"] == "needs_pairing"
    assert "sam-edge pair spotify" in body["error"]["message"]


async def test_errors_become_sentences(
        world: tuple[httpx.AsyncClient, FakeSpotify, Runtime]) -> None:
    client, fake, _ = world
    fake.rate_limit_next(30)
    busy = await say(client, "play Doxy")
    assert busy["status"] == "error"
    assert busy["response_text"] == "Spotify is busy, try again in 30 seconds."
    fake.premium = False
    premium = await say(client, "play Doxy")
    assert premium["status"] == "error"
    assert premium["error"]["code"] == "premium_required"
    fake.premium = True
    fake.registered = False
    blocked = await say(client, "pause")
    assert "Developer Dashboard" in blocked["response_text"]


async def test_no_device_at_all(world: tuple[httpx.AsyncClient, FakeSpotify, Runtime]) -> None:
    client, fake, _ = world
    fake.devices.clear()
    body = await say(client, "play Doxy")
    assert body["status"] == "no_device"
    assert "Open Spotify" in body["response_text"]


async def test_named_platform_is_for_that_command_only(
        world: tuple[httpx.AsyncClient, FakeSpotify, Runtime]) -> None:
    client, _fake, _ = world
    local = await say(client, "play Doxy on my local music")
    assert local["parameters"]["platform"] == "local"
    assert local["status"] == "not_found"
    auto = await say(client, "play Doxy")
    assert auto["parameters"]["platform"] == "spotify"
    switched = await say(client, "switch to local music")
    assert switched["status"] == "ok"
    assert (await say(client, "play Doxy"))["parameters"]["platform"] == "local"
    await say(client, "switch to spotify")
    assert (await say(client, "play Doxy"))["parameters"]["platform"] == "spotify"
