"""Pairing over HTTP and who may use the service, through the ASGI app (a contract).

The browser is an httpx client on the ASGI app (with its own cookie jar and client address);
the token exchange and ``/me`` go to a fake Spotify over real HTTP.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import httpx
import pytest

import sam_edge.accounts.pairing
from sam_edge.accounts.pairing import SpotifyPairing
from sam_edge.app.runtime import Runtime, build_runtime
from sam_edge.errors import NeedsPairing
from sam_edge.settings import Settings, load_settings
from sam_edge.web.app import create_app
from tests.fakes.server import serve
from tests.fakes.spotify import CLIENT_ID, FakeSpotify

DEVICE = "http://127.0.0.1:8080"
LAN = ("192.168.1.20", 5000)


@dataclass
class World:
    fake: FakeSpotify
    accounts: str
    runtime: Runtime
    app: Any

    def browser(self, client: tuple[str, int] = ("127.0.0.1", 41000),
                base: str = DEVICE) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=self.app, client=client)
        return httpx.AsyncClient(transport=transport, base_url=base)

    def secrets(self) -> list[str]:
        return [*self.fake._access, *self.fake._refresh]


@pytest.fixture
def spotify() -> Iterator[tuple[FakeSpotify, str]]:
    fake = FakeSpotify()
    with serve(fake.app) as url:
        yield fake, url


def _env(settings: Settings, url: str | None, **extra: str) -> Settings:
    env = {"SAM_DATA_DIR": str(settings.data.dir), "SAM_MUSIC_DIR": str(settings.music.dir),
           "SAM_PLAYER_AUDIO_OUTPUT": "null", "SAM_AUDIO_OUTPUT": "none", **extra}
    if url:
        env |= {"SAM_SPOTIFY_CLIENT_ID": CLIENT_ID, "SAM_SPOTIFY_API_URL": f"{url}/v1",
                "SAM_SPOTIFY_ACCOUNTS_URL": url}
    return load_settings(settings.data.dir / "absent.toml", env)


@pytest.fixture
async def world(settings: Settings, spotify: tuple[FakeSpotify, str]) -> AsyncIterator[World]:
    fake, url = spotify
    rt = await build_runtime(_env(settings, url))
    yield World(fake, url, rt, create_app(rt.settings, rt))
    await rt.aclose()


async def authorize(url: str) -> str:
    """The user allows access on the (fake) Spotify page: where Spotify sends the browser."""
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.get(url)
    assert response.status_code == 302, response.text
    return response.headers["location"]


async def start(browser: httpx.AsyncClient) -> str:
    """Connect: the callback URL the browser comes back to."""
    login = await browser.get("/v1/adapter/spotify/login")
    assert login.status_code == 302, login.text
    return await authorize(login.headers["location"])


def with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()} | changes
    return urlunsplit(parts._replace(query=urlencode(query)))


async def status(world: World) -> dict[str, Any]:
    async with world.browser() as b:
        response = await b.get("/v1/adapter/spotify/status")
    assert response.status_code == 200
    return dict(response.json())


async def test_login_redirects_with_pkce_and_a_state_bound_to_a_cookie(world: World) -> None:
    async with world.browser() as b:
        login = await b.get("/v1/adapter/spotify/login")
    assert login.status_code == 302
    parts = urlsplit(login.headers["location"])
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{world.accounts}/authorize"
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query["client_id"] == CLIENT_ID and query["response_type"] == "code"
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) == 43 and "=" not in query["code_challenge"]
    assert len(query["state"]) >= 20
    assert query["redirect_uri"] == f"{DEVICE}/v1/adapter/spotify/callback"
    cookie = login.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie


async def test_callback_from_the_same_browser_pairs(world: World) -> None:
    async with world.browser() as b:
        landing = await b.get(await start(b))
        assert landing.status_code == 200, landing.text
        assert "Spotify paired as Sam Tester" in landing.text
        page = (await b.get("/pair")).text
    assert "connected</span> as Sam Tester" in page
    body = await status(world)
    assert body["platform"] == "spotify" and body["connected"] is True
    assert body["account"] == {"id": "samtester", "display_name": "Sam Tester"}
    assert body["token_expires_at"].endswith("Z") and body["last_sync_at"] is None
    assert "user-modify-playback-state" in body["scopes"] and isinstance(body["scopes"], list)
    for token in world.secrets():
        assert token not in landing.text + page + str(body)


async def test_a_wrong_state_stores_nothing(world: World) -> None:
    async with world.browser() as b:
        landing = await b.get(with_query(await start(b), state="forged"))
    assert landing.status_code == 400 and "state" in landing.text
    assert (await status(world))["connected"] is False


async def test_a_state_from_another_browser_session_stores_nothing(world: World) -> None:
    async with world.browser() as victim, world.browser() as attacker:
        callback = await start(attacker)
        landing = await victim.get(callback)
        assert landing.status_code == 400 and "another browser" in landing.text
        assert (await status(world))["connected"] is False
        assert (await attacker.get(callback)).status_code == 200  # the starter still can


async def test_a_redirect_for_a_pairing_the_cli_started_completes_without_a_cookie(
        world: World) -> None:
    rt = world.runtime
    callback = await authorize(SpotifyPairing(rt.settings, rt.tokens, rt.cipher).start())
    async with world.browser() as b:
        landing = await b.get(callback)
    assert landing.status_code == 200 and "Spotify paired as Sam Tester" in landing.text


async def test_access_denied(world: World) -> None:
    world.fake.deny = True
    async with world.browser() as b:
        landing = await b.get(await start(b))
    assert landing.status_code == 400 and "denied" in landing.text
    assert (await status(world))["connected"] is False


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/v1/adapter/deezer/login"), ("GET", "/v1/adapter/deezer/callback?code=x&state=y"),
    ("GET", "/v1/adapter/deezer/status"), ("POST", "/v1/adapter/deezer/disconnect"),
    ("GET", "/v1/adapter/local/status")])
async def test_unknown_platform_is_404(world: World, method: str, path: str) -> None:
    async with world.browser() as b:
        assert (await b.request(method, path)).status_code == 404


async def test_disconnect_needs_the_csrf_token_of_the_session(world: World) -> None:
    async with world.browser() as b:
        await b.get(await start(b))
        url = "/v1/adapter/spotify/disconnect"
        assert (await b.post(url)).status_code == 403
        assert (await b.post(url, headers={"X-CSRF-Token": "nope"})).status_code == 403
        async with world.browser() as other:
            await other.get("/pair")
            csrf_elsewhere = await _csrf(other)
        assert (await b.post(url, data={"csrf": csrf_elsewhere})).status_code == 403
        assert (await status(world))["connected"] is True
        done = await b.post(url, data={"csrf": await _csrf(b)})
        assert done.status_code == 303
        assert done.headers["location"] == "/pair?done=disconnected&platform=spotify"
        assert "Spotify was disconnected" in (await b.get(done.headers["location"])).text
    assert (await status(world)) | {"last_sync_at": None} == {
        "platform": "spotify", "connected": False, "account": None, "token_expires_at": None,
        "last_sync_at": None, "scopes": []}


async def test_disconnect_as_json_with_the_header(world: World) -> None:
    async with world.browser() as b:
        await b.get(await start(b))
        done = await b.post("/v1/adapter/spotify/disconnect",
                            headers={"X-CSRF-Token": await _csrf(b)})
    assert done.status_code == 200 and done.json() == {"platform": "spotify", "connected": False}


async def _csrf(browser: httpx.AsyncClient) -> str:
    page = (await browser.get("/pair")).text
    return page.split('name="csrf" value="', 1)[1].split('"', 1)[0]


async def test_no_open_redirect(world: World) -> None:
    evil = "https://evil.example/x"
    async with world.browser() as b:
        for path in (f"/v1/adapter/spotify/login?next={evil}&redirect_uri={evil}",
                     f"/login?next={evil}", "/login?next=//evil.example"):
            response = await b.get(path)
            where = response.headers.get("location", "")
            assert "evil" not in where and (where.startswith((world.accounts, "/")) or not where)
            assert not where.startswith("//")
        callback = with_query(await start(b), next=evil, return_to=evil)
        landing = await b.get(callback)
        assert landing.status_code == 200 and "location" not in landing.headers
        assert 'href="/pair"' in landing.text and "evil" not in landing.text
    async with world.browser(client=LAN) as phone:
        for next_path in (evil, "//evil.example", "/\\evil.example"):
            code = _code(world)
            done = await phone.post("/login", data={"code": code, "next": next_path})
            assert done.status_code == 303 and done.headers["location"] == "/"


def _code(world: World) -> str:
    return (world.runtime.settings.data.dir / "pairing-code").read_text().strip()


async def test_loopback_needs_no_login_and_sees_the_code(world: World) -> None:
    async with world.browser() as b:
        page = await b.get("/pair")
    assert page.status_code == 200 and _code(world) in page.text
    assert "Pairing code for other devices" in page.text and "ssh -L" in page.text


async def test_lan_browser_signs_in_with_the_pairing_code(world: World) -> None:
    async with world.browser(client=LAN, base="http://192.168.1.5:8080") as phone:
        page = await phone.get("/pair", headers={"Accept": "text/html"})
        assert page.status_code == 401 and 'action="/login"' in page.text
        api = await phone.get("/v1/adapter/spotify/status")
        assert api.status_code == 401 and api.json()["code"] == "unauthorized"
        assert (await phone.get("/health")).status_code == 200
        wrong = await phone.post("/login", data={"code": "000000" if _code(world) != "000000"
                                                 else "111111", "next": "/pair"})
        assert wrong.status_code == 401
        done = await phone.post("/login", data={"code": _code(world), "next": "/pair"})
        assert done.status_code == 303 and done.headers["location"] == "/pair"
        page = await phone.get("/pair")
        assert page.status_code == 200 and _code(world) not in page.text
        assert (await phone.get("/v1/adapter/spotify/status")).status_code == 200


async def test_lan_phone_pairs_by_pasting_the_redirect_url(world: World) -> None:
    async with world.browser(client=LAN, base="http://192.168.1.5:8080") as phone:
        await phone.post("/login", data={"code": _code(world)})
        callback = await start(phone)  # 127.0.0.1 on the phone does not load: it is pasted
        form = {"platform": "spotify", "redirect_url": callback}
        assert (await phone.post("/pair/complete", data=form)).status_code == 403
        done = await phone.post("/pair/complete", data=form | {"csrf": await _csrf(phone)})
    assert done.status_code == 200 and "Spotify paired as Sam Tester" in done.text


async def test_guessing_the_code_locks_out(world: World) -> None:
    wrong = "000000" if _code(world) != "000000" else "111111"
    async with world.browser(client=LAN) as phone:
        for _ in range(5):
            assert (await phone.post("/login", data={"code": wrong})).status_code == 401
        assert (await phone.post("/login", data={"code": _code(world)})).status_code == 429


async def test_loopback_with_a_foreign_host_name_must_sign_in(world: World) -> None:
    async with world.browser(base="http://rebound.example.com:8080") as b:
        assert (await b.get("/v1/adapter/spotify/status")).status_code == 401


async def test_cross_site_posts_are_refused(world: World) -> None:
    async with world.browser() as b:
        response = await b.post("/v1/chat/message", json={"text": "pause"},
                                headers={"Origin": "https://evil.example"})
    assert response.status_code == 403


@dataclass(frozen=True)
class _Http:
    host: str = "127.0.0.1"
    port: int = 8080
    token: str = "s3cret-api-token"


async def test_api_token_lets_a_lan_client_in(world: World) -> None:
    rt = world.runtime
    settings = rt.settings.model_copy(update={"http": _Http()})
    app = create_app(settings, rt)
    transport = httpx.ASGITransport(app=app, client=LAN)
    async with httpx.AsyncClient(transport=transport, base_url="http://192.168.1.5:8080") as c:
        assert (await c.get("/v1/adapter/spotify/status")).status_code == 401
        bad = await c.get("/v1/adapter/spotify/status", headers={"Authorization": "Bearer x"})
        assert bad.status_code == 401 and "s3cret" not in bad.text
        ok = await c.get("/v1/adapter/spotify/status",
                         headers={"Authorization": "Bearer s3cret-api-token"})
        assert ok.status_code == 200 and "s3cret" not in ok.text


async def test_not_configured(settings: Settings) -> None:
    rt = await build_runtime(_env(settings, None))
    try:
        app = create_app(rt.settings, rt)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=DEVICE) as b:
            spotify = await b.get("/v1/adapter/spotify/login")
            assert spotify.status_code == 409 and "SAM_SPOTIFY_CLIENT_ID" in spotify.text
            soundcloud = await b.get("/v1/adapter/soundcloud/login",
                                     headers={"Accept": "application/json"})
            assert soundcloud.status_code == 409
            assert soundcloud.json()["code"] == "not_configured"
            page = (await b.get("/pair")).text
            assert "not configured" in page
    finally:
        await rt.aclose()


def test_the_code_and_key_files_are_private(world: World) -> None:
    for name in ("pairing-code", "web.key"):
        path: Path = world.runtime.settings.data.dir / name
        assert path.stat().st_mode & 0o077 == 0


async def test_soundcloud_login_starts_pkce_at_its_auth_url(settings: Settings) -> None:
    if getattr(sam_edge.accounts.pairing, "SoundCloudPairing", None) is None:
        pytest.skip("this version has no SoundCloudPairing yet")
    auth = "http://127.0.0.1:9/sc-auth"
    rt = await build_runtime(_env(settings, None, SAM_SOUNDCLOUD_CLIENT_ID="sc-client",
                                  SAM_SOUNDCLOUD_AUTH_URL=auth))
    try:
        transport = httpx.ASGITransport(app=create_app(rt.settings, rt))
        async with httpx.AsyncClient(transport=transport, base_url=DEVICE) as b:
            login = await b.get("/v1/adapter/soundcloud/login")
    finally:
        await rt.aclose()
    assert login.status_code == 302
    parts = urlsplit(login.headers["location"])
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{auth}/authorize"
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query["client_id"] == "sc-client" and query["code_challenge_method"] == "S256"
    assert query["state"] and query["redirect_uri"] == f"{DEVICE}/v1/adapter/soundcloud/callback"


async def test_a_refused_refresh_shows_as_not_connected_with_the_reason(world: World) -> None:
    async with world.browser() as b:
        assert (await b.get(await start(b))).status_code == 200
    assert (await status(world))["connected"] is True
    world.fake.expire_access_tokens()
    world.fake.revoke_refresh_tokens()

    with pytest.raises(NeedsPairing, match="paired again"):
        await world.runtime.platforms["spotify"].current_user()

    after = await status(world)
    assert after["connected"] is False and after["token_expires_at"] is None
    assert "Refresh token revoked" in after["reason"] and "sam-edge pair spotify" in after["reason"]
    await world.runtime.account_leds.check_pairing()  # what the runtime does after each turn
    assert world.runtime.gpio.leds.state == "pairing_needed"


@pytest.mark.parametrize("state", ["%C3%A9t%C3%A9", "a%00b", "x" * 300, ""])
async def test_a_malformed_state_on_the_callback_is_400(world: World, state: str) -> None:
    async with world.browser() as b:
        back = await start(b)
        forged = back.split("state=")[0] + f"state={state}"
        response = await b.get(forged)
    assert response.status_code == 400
    assert "state" in response.text and not await world.runtime.tokens.paired("spotify")
