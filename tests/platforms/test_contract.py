"""What every streaming platform adapter does alike, run against Spotify's and SoundCloud's fakes
over real HTTP with the real SDK clients: searching, being a :class:`MusicPlatform`, token
refresh (once, also for concurrent calls, and before a token expires by the clock), losing the
pairing, and failing within its timeout when the platform does not answer.

Behaviour only one platform has stays in ``test_spotify_adapter.py`` and
``test_soundcloud_adapter.py``.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from sam_edge.accounts.tokens import MemoryTokenStore, TokenSet
from sam_edge.clock import ManualClock
from sam_edge.errors import NeedsPairing, PlatformError
from sam_edge.platforms.base import MusicPlatform
from sam_edge.platforms.soundcloud.adapter import SoundCloudAdapter
from sam_edge.platforms.spotify.adapter import SpotifyAdapter
from sam_edge.settings import SoundCloudSettings, SpotifySettings
from tests.fakes import soundcloud as sc
from tests.fakes import spotify as sp
from tests.fakes.fixtures import Switch
from tests.fakes.recording import RecordingPlayer


@dataclass
class Platform:
    """One platform as the shared tests see it."""

    name: str
    title: str
    fake: Any
    store: MemoryTokenStore
    clock: ManualClock
    make: Callable[..., Any]
    token: tuple[str, str]
    """The token endpoint's method and path, as the fake records it."""
    search: tuple[str, str]
    lifetime_s: int
    """How long the fake's access tokens live."""
    user: tuple[str, str]
    refresh_form: dict[str, str]
    """What the adapter sends with a refresh token, beyond the grant type and the token."""

    @property
    def adapter(self) -> Any:
        return self.make()

    def calls(self, endpoint: tuple[str, str]) -> list[Any]:
        return list(self.fake.calls(*endpoint))


def _spotify(base: str, store: MemoryTokenStore, clock: ManualClock,
             **overrides: Any) -> SpotifyAdapter:
    values: dict[str, Any] = {"client_id": sp.CLIENT_ID, "api_url": f"{base}/v1",
                              "accounts_url": base, "timeout_s": 2.0, **overrides}
    return SpotifyAdapter(SpotifySettings(**values), store, clock=clock)


def _soundcloud(base: str, store: MemoryTokenStore, clock: ManualClock,
                **overrides: Any) -> SoundCloudAdapter:
    values: dict[str, Any] = {"client_id": sc.CLIENT_ID, "client_secret": sc.CLIENT_SECRET,
                              "api_url": base, "auth_url": f"{base}/auth", "timeout_s": 2.0,
                              **overrides}
    return SoundCloudAdapter(SoundCloudSettings(**values), store, RecordingPlayer(), clock=clock)


BUILDERS: dict[str, Callable[..., Any]] = {"spotify": _spotify, "soundcloud": _soundcloud}


@pytest.fixture(params=["spotify", "soundcloud"])
async def platform(request: pytest.FixtureRequest,
                   fake_server: tuple[Switch, str]) -> AsyncIterator[Platform]:
    name: str = request.param
    fake: Any = (sp.FakeSpotify if name == "spotify" else sc.FakeSoundCloud).with_demo_catalog()
    fake_server[0].fake = fake
    clock = ManualClock()
    minted = fake.issue_tokens()
    store = MemoryTokenStore({name: TokenSet(minted["access_token"], minted["refresh_token"],
                                             clock.now() + minted["expires_in"],
                                             minted.get("scope", ""))})
    made: list[Any] = []

    def make(base: str = fake_server[1], **overrides: Any) -> Any:
        made.append(BUILDERS[name](base, store, clock, **overrides))
        return made[-1]

    if name == "spotify":
        yield Platform(name, "Spotify", fake, store, clock, make, ("POST", "/api/token"),
                       ("GET", "search"), 3600, ("samtester", "Sam Tester"),
                       {"client_id": sp.CLIENT_ID})
    else:
        yield Platform(name, "SoundCloud", fake, store, clock, make,
                       ("POST", "/auth/oauth/token"), ("GET", "/tracks"), 3599,
                       (fake.me.urn, "Sam Tester"),
                       {"client_id": sc.CLIENT_ID, "client_secret": sc.CLIENT_SECRET})
    for adapter in made:
        await adapter.aclose()


async def test_is_a_paired_music_platform(platform: Platform) -> None:
    adapter = platform.adapter

    assert isinstance(adapter, MusicPlatform)
    assert adapter.name == platform.name
    assert await adapter.is_paired()


async def test_a_search_with_no_match_is_empty(platform: Platform) -> None:
    assert await platform.adapter.search("zzzz qqqq") == []


async def test_current_user(platform: Platform) -> None:
    assert await platform.adapter.current_user() == platform.user


async def test_an_expired_access_token_is_refreshed_and_the_call_retried(
        platform: Platform) -> None:
    adapter, store = platform.adapter, platform.store
    old = store.tokens[platform.name]
    platform.fake.expire_access_tokens()

    assert await adapter.search("hello")

    new = store.tokens[platform.name]
    assert store.saves == 1
    assert new.refresh_token != old.refresh_token and new.access_token != old.access_token
    assert platform.fake.refresh_token_valid(new.refresh_token)
    assert not platform.fake.refresh_token_valid(old.refresh_token)
    [refresh] = platform.calls(platform.token)
    assert refresh.form == {"grant_type": "refresh_token", "refresh_token": old.refresh_token,
                            **platform.refresh_form}
    assert len(platform.calls(platform.search)) == 2


async def test_a_token_expiring_by_the_clock_is_refreshed_before_the_call(
        platform: Platform) -> None:
    adapter = platform.adapter
    platform.clock.advance(platform.lifetime_s - 30)

    await adapter.search("hello")

    assert len(platform.calls(platform.token)) == 1
    assert len(platform.calls(platform.search)) == 1
    assert platform.store.tokens[platform.name].expires_at == (
        platform.clock.now() + platform.lifetime_s)


async def test_concurrent_calls_refresh_once(platform: Platform) -> None:
    adapter = platform.adapter
    platform.fake.expire_access_tokens()

    await asyncio.gather(adapter.search("hello"), adapter.search("yellow"),
                         adapter.current_user())

    assert len(platform.calls(platform.token)) == 1


async def test_a_revoked_refresh_token_needs_pairing(platform: Platform) -> None:
    adapter = platform.adapter
    platform.fake.expire_access_tokens()
    platform.fake.revoke_refresh_tokens()

    with pytest.raises(NeedsPairing) as raised:
        await adapter.search("hello")

    assert raised.value.code == "needs_pairing"
    assert raised.value.message == (f"{platform.title} needs to be paired again. Run: "
                                    f"sam-edge pair {platform.name}")


async def test_not_paired_asks_for_pairing_without_a_call(platform: Platform) -> None:
    platform.store.tokens.clear()
    adapter = platform.adapter

    assert not await adapter.is_paired()
    with pytest.raises(NeedsPairing) as raised:
        await adapter.search("hello")
    assert raised.value.message == (f"{platform.title} is not paired. Run: "
                                    f"sam-edge pair {platform.name}")
    assert platform.fake.requests == []


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_an_unreachable_server_is_reported_quickly(platform: Platform) -> None:
    adapter = platform.make(base=f"http://127.0.0.1:{_closed_port()}", timeout_s=0.5)
    started = time.monotonic()

    with pytest.raises(PlatformError) as raised:
        await adapter.search("hello")

    assert (raised.value.code, raised.value.message) == (
        "unreachable", f"{platform.title} is not answering right now.")
    assert time.monotonic() - started < 2  # generous: the timeout is 0.5 s


async def test_a_slow_answer_times_out_after_one_retry(platform: Platform) -> None:
    adapter = platform.make(timeout_s=0.2)
    platform.fake.latency_s = 0.5

    with pytest.raises(PlatformError) as raised:
        await adapter.search("hello")

    assert raised.value.code == "unreachable"
    assert len(platform.calls(platform.search)) == 2
