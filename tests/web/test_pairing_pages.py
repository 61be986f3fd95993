"""What ``/pair`` says: a pasted address that cannot finish a pairing gets steps on the page
(never the command line's wording), and the QR code only ever holds a reachable address."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from sam_edge.app.runtime import build_runtime
from sam_edge.settings import Settings
from sam_edge.web.app import create_app
from sam_edge.web.pairing_page import lan_address
from tests.fakes.spotify import FakeSpotify
from tests.web.test_adapters import LAN, World, _code, _csrf, _env, spotify, start

__all__ = ["spotify"]


@pytest.fixture
async def world(settings: Settings, spotify: tuple[FakeSpotify, str]) -> AsyncIterator[World]:
    fake, url = spotify
    rt = await build_runtime(_env(settings, url, SAM_SOUNDCLOUD_CLIENT_ID="sc-client"))
    yield World(fake, url, rt, create_app(rt.settings, rt))
    await rt.aclose()


async def _paste(phone: httpx.AsyncClient, url: str, platform: str = "spotify") -> httpx.Response:
    form = {"platform": platform, "redirect_url": url, "csrf": await _csrf(phone)}
    return await phone.post("/pair/complete", data=form)


async def test_paste_errors_are_steps_on_the_page(world: World) -> None:
    async with world.browser(client=LAN, base="http://192.168.1.5:8080") as phone:
        await phone.post("/login", data={"code": _code(world)})
        port = world.runtime.settings.http.port
        callback = f"http://127.0.0.1:{port}/v1/adapter/spotify/callback?code=abc&state=xyz"

        early = await _paste(phone, callback)
        assert early.status_code == 409
        assert "Press Connect first, then paste the address you were sent to" in early.text
        assert "sam-edge pair" not in early.text

        empty = await _paste(phone, "   ")
        assert empty.status_code == 400 and "Paste the whole address" in empty.text

        elsewhere = await _paste(phone, "https://example.com/callback?code=abc&state=xyz")
        assert elsewhere.status_code == 400
        assert "That address is not from Spotify&#39;s sign-in" in elsewhere.text
        other = await _paste(phone, "https://example.com/?code=abc&state=xyz", "soundcloud")
        assert other.status_code == 400
        assert "That address is not from SoundCloud&#39;s sign-in" in other.text

        redirect = await start(phone)
        done = await _paste(phone, redirect)
        assert done.status_code == 200 and "Spotify paired as Sam Tester" in done.text
        again = await _paste(phone, redirect)
    assert again.status_code == 409
    assert "Spotify is already paired as Sam Tester; nothing changed" in again.text


async def test_loopback_only_shows_the_ssh_tunnel_instead_of_a_qr_code(world: World) -> None:
    async with world.browser() as b:
        page = (await b.get("/pair")).text
    assert "<svg" not in page and "127.0.0.1" in page
    port = world.runtime.settings.http.port
    assert f"ssh -L {port}:127.0.0.1:{port} YOUR-USER@" in page
    assert "your user on this device" in page


async def test_the_qr_code_holds_the_network_address(settings: Settings,
                                                     spotify: tuple[FakeSpotify, str]) -> None:
    if lan_address().startswith("127."):
        pytest.skip("this machine has no network address")
    rt = await build_runtime(_env(settings, spotify[1], SAM_HTTP_HOST="0.0.0.0"))
    try:
        transport = httpx.ASGITransport(app=create_app(rt.settings, rt),
                                        client=("127.0.0.1", 41000))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8080") as b:
            page = (await b.get("/pair")).text
    finally:
        await rt.aclose()
    address = f"http://{lan_address()}:{rt.settings.http.port}/pair"
    assert f'aria-label="QR code of {address}"' in page and "<svg" in page
    assert 'id="tunnel"' not in page


async def test_the_sign_in_page_says_where_the_code_is_and_how_many_tries_are_left(
        world: World) -> None:
    wrong = "000000" if _code(world) != "000000" else "111111"
    async with world.browser(client=LAN, base="http://192.168.1.5:8080") as phone:
        page = (await phone.get("/login")).text
        for where in ("spoken by the device when it starts", "sam-edge status",
                      "journalctl -u sam-edge", "/pair"):
            assert where in page
        assert "5 tries left before a pause" in page
        first = await phone.post("/login", data={"code": wrong})
        assert first.status_code == 401 and "4 tries left before a pause" in first.text
        for _ in range(3):
            await phone.post("/login", data={"code": wrong})
        last = await phone.post("/login", data={"code": wrong})
        assert last.status_code == 401
        assert "Each wrong code now makes this browser pause" in last.text
        paused = await phone.post("/login", data={"code": _code(world)})
    assert paused.status_code == 429 and "wait" in paused.text
