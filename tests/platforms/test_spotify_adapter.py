"""SpotifyAdapter with the real spotipy client against the fake Spotify over real HTTP."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from sam_edge.accounts.tokens import MemoryTokenStore, TokenSet
from sam_edge.clock import ManualClock
from sam_edge.errors import NoDevice, PlatformError
from sam_edge.platforms.base import Track
from sam_edge.platforms.spotify.adapter import SpotifyAdapter
from sam_edge.settings import SpotifySettings
from tests.fakes.fixtures import Switch
from tests.fakes.spotify import CLIENT_ID, FakeSpotify

NO_ACTIVE_DEVICE = {"error": {"status": 404, "reason": "NO_ACTIVE_DEVICE",
                              "message": "Player command failed: No active device found"}}


@pytest.fixture
def fake(fake_server: tuple[Switch, str]) -> FakeSpotify:
    fake_server[0].fake = FakeSpotify.with_demo_catalog()
    return fake_server[0].fake


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def store(fake: FakeSpotify, clock: ManualClock) -> MemoryTokenStore:
    minted = fake.issue_tokens()
    tokens = TokenSet(minted["access_token"], minted["refresh_token"],
                      clock.now() + minted["expires_in"], minted["scope"])
    return MemoryTokenStore({"spotify": tokens})


def settings_for(base: str, **overrides: Any) -> SpotifySettings:
    values: dict[str, Any] = {"client_id": CLIENT_ID, "api_url": f"{base}/v1",
                              "accounts_url": base, "timeout_s": 2.0, **overrides}
    return SpotifySettings(**values)


@pytest.fixture
async def make(fake_server: tuple[Switch, str], store: MemoryTokenStore,
               clock: ManualClock) -> AsyncIterator[Any]:
    made: list[SpotifyAdapter] = []

    def build(**overrides: Any) -> SpotifyAdapter:
        made.append(SpotifyAdapter(settings_for(fake_server[1], **overrides), store, clock=clock))
        return made[-1]

    yield build
    for adapter in made:
        await adapter.aclose()


@pytest.fixture
def spotify(make: Any) -> SpotifyAdapter:
    return make()


# ---- search -----------------------------------------------------------------------------------


async def test_search_returns_tracks_best_first(spotify: SpotifyAdapter, fake: FakeSpotify) -> None:
    found = await spotify.search("hello")

    assert [(t.title, t.artist) for t in found] == [("Hello", "Adele"), ("Hello", "Lionel Richie")]
    adele = fake.track("Hello", "Adele")
    assert found[0] == Track(adele.uri, "Hello", "Adele", "spotify", "track", "25",
                             adele.duration_ms)


async def test_search_with_artist_uses_the_artist_filter(spotify: SpotifyAdapter,
                                                         fake: FakeSpotify) -> None:
    found = await spotify.search("Hello", artist="Lionel Richie")

    assert [t.describe() for t in found] == ["Hello by Lionel Richie"]
    assert fake.calls("GET", "search")[-1].query["q"] == "Hello artist:Lionel Richie"


async def test_search_limit_is_clamped_to_ten(spotify: SpotifyAdapter, fake: FakeSpotify) -> None:
    for n in range(12):
        fake.add_track(f"Echo {n}", "Echoes")

    found = await spotify.search("echo", limit=50)

    assert len(found) == 10
    assert fake.calls("GET", "search")[-1].query["limit"] == "10"


@pytest.mark.parametrize(("kind", "query", "expected"), [
    ("album", "blur", ("Blur", "Blur", "album")),
    ("artist", "adele", ("Adele", "", "artist")),
    ("playlist", "road trip", ("Road Trip", "Sam Tester", "playlist")),
])
async def test_search_other_kinds(spotify: SpotifyAdapter, kind: str, query: str,
                                  expected: tuple[str, str, str]) -> None:
    found = await spotify.search(query, kind=kind)

    assert (found[0].title, found[0].artist, found[0].kind) == expected
    assert found[0].uri.startswith(f"spotify:{kind}:")


# ---- playback -----------------------------------------------------------------------------


async def test_play_track_transfers_to_the_idle_device_then_plays(
        spotify: SpotifyAdapter, fake: FakeSpotify) -> None:
    song = fake.track("Song 2")

    await spotify.play(Track(song.uri, "Song 2", "Blur"))

    kitchen = fake.devices[0]
    assert fake.calls("PUT", "me/player")[0].json == {"device_ids": [kitchen.id], "play": True}
    play = fake.calls("PUT", "me/player/play")[0]
    assert play.query == {"device_id": kitchen.id}
    assert play.json == {"uris": [song.uri]}
    assert fake.state.is_playing and fake.state.item is song and fake.state.device is kitchen


async def test_play_album_plays_the_context(spotify: SpotifyAdapter, fake: FakeSpotify) -> None:
    [album] = await spotify.search("parklife", kind="album")

    await spotify.play(album)

    assert fake.state.context_uri == album.uri
    assert fake.state.item is fake.track("Parklife")
    state = await spotify.now_playing()
    assert state is not None and state.context_uri == album.uri and state.device == "Kitchen"


async def test_play_liked_plays_saved_tracks_not_a_search(spotify: SpotifyAdapter,
                                                          fake: FakeSpotify) -> None:
    first = await spotify.play_liked()

    saved = [t.uri for t, _ in fake.liked]
    assert first is not None and first.uri == saved[0] and first.title == "Nuvvu Nenantu"
    assert fake.calls("GET", "me/tracks")[0].query["limit"] == "50"
    assert fake.calls("PUT", "me/player/play")[0].json == {"uris": saved}
    assert fake.calls("GET", "search") == []


async def test_play_liked_plays_all_of_them_page_by_page(spotify: SpotifyAdapter,
                                                         fake: FakeSpotify) -> None:
    fake.liked[:] = fake.liked * 40  # 120 liked songs: three pages of 50

    await spotify.play_liked()

    pages = fake.calls("GET", "me/tracks")
    assert [p.query.get("offset") for p in pages] == ["0", "50", "100"]
    assert fake.calls("PUT", "me/player/play")[0].json == {"uris": [t.uri for t, _ in fake.liked]}


async def test_play_liked_with_an_empty_library(spotify: SpotifyAdapter, fake: FakeSpotify) -> None:
    fake.liked.clear()

    assert await spotify.play_liked() is None
    assert fake.calls("PUT", "me/player/play") == []


async def test_player_controls(spotify: SpotifyAdapter, fake: FakeSpotify) -> None:
    [road_trip] = await spotify.search("road trip", kind="playlist")
    await spotify.play(road_trip)

    await spotify.pause()
    assert not fake.state.is_playing
    await spotify.resume()
    assert fake.state.is_playing
    await spotify.next()
    assert fake.state.item is fake.track("Don't Stop Me Now")
    await spotify.previous()
    assert fake.state.item is fake.track("Song 2")
    await spotify.set_volume(130)
    assert fake.state.volume == 100
    await spotify.set_volume(35)
    assert fake.state.volume == 35 and await spotify.get_volume() == 35
    await spotify.shuffle(True)
    assert fake.state.shuffle is True
    await spotify.repeat("context")
    assert fake.state.repeat == "context"
    yellow = fake.track("Yellow")
    await spotify.queue(Track(yellow.uri, "Yellow", "Coldplay"))
    assert fake.state.queue == [yellow]
    kitchen = fake.devices[0].id
    commands = [r for r in fake.requests if r.path.startswith("/v1/me/player/")
                and r.method != "GET"]
    assert all(r.query.get("device_id") == kitchen for r in commands)
    assert len(fake.calls("PUT", "me/player")) == 1


async def test_bad_repeat_state_is_refused_without_a_call(spotify: SpotifyAdapter,
                                                          fake: FakeSpotify) -> None:
    with pytest.raises(PlatformError, match="track, context or off"):
        await spotify.repeat("sometimes")
    assert fake.requests == []


async def test_like_an_item_and_what_is_playing(spotify: SpotifyAdapter, fake: FakeSpotify) -> None:
    song = fake.track("Beetlebum")
    liked = await spotify.like(Track(song.uri, "Beetlebum", "Blur"))
    assert liked is not None and fake.liked[0][0] is song
    assert fake.calls("PUT", "me/library")[0].query == {"uris": song.uri}

    assert await spotify.like(None) is None  # nothing playing
    await spotify.play(Track(fake.track("Doxy").uri, "Doxy"))
    current = await spotify.like(None)
    assert current is not None and current.title == "Doxy" and current.artist == "Miles Davis"


async def test_now_playing(spotify: SpotifyAdapter, fake: FakeSpotify) -> None:
    assert await spotify.now_playing() is None

    song = fake.track("Hello", "Lionel Richie")
    await spotify.play(Track(song.uri, "Hello"))
    state = await spotify.now_playing()

    assert state is not None
    assert (state.is_playing, state.title, state.artist, state.uri) == (
        True, "Hello", "Lionel Richie", song.uri)
    assert (state.platform, state.device, state.volume, state.context_uri) == (
        "spotify", "Kitchen", 59, "")


# ---- devices ------------------------------------------------------------------------------


async def test_configured_device_is_chosen_by_name(make: Any, fake: FakeSpotify) -> None:
    fake.activate(fake.devices[0])
    bedroom = fake.add_device("Bedroom")
    spotify = make(device="bedroom")

    await spotify.pause()

    assert fake.calls("PUT", "me/player")[0].json == {"device_ids": [bedroom.id], "play": False}
    assert fake.calls("PUT", "me/player/pause")[0].query == {"device_id": bedroom.id}


async def test_a_device_named_for_one_call_only(make: Any, fake: FakeSpotify) -> None:
    kitchen = fake.devices[0]
    fake.activate(kitchen)
    bedroom = fake.add_device("Bedroom")
    spotify = make(device="kitchen")

    await spotify.pause(device="BEDROOM")
    assert fake.calls("PUT", "me/player/pause")[0].query == {"device_id": bedroom.id}
    assert await spotify.device_names() == ["Kitchen", "Bedroom"]

    await spotify.set_volume(30)  # the next call goes to the configured device again
    assert fake.calls("PUT", "me/player/volume")[0].query["device_id"] == kitchen.id


async def test_active_device_is_used_without_a_transfer(spotify: SpotifyAdapter,
                                                        fake: FakeSpotify) -> None:
    fake.add_device("Phone", active=True, type="Smartphone")

    await spotify.set_volume(20)

    assert fake.calls("PUT", "me/player") == []
    assert fake.calls("PUT", "me/player/volume")[0].query["device_id"] == fake.devices[1].id


async def test_first_unrestricted_device_when_none_is_active(spotify: SpotifyAdapter,
                                                             fake: FakeSpotify) -> None:
    fake.devices.clear()
    fake.add_device("Car", restricted=True)
    tv = fake.add_device("TV")

    await spotify.pause()

    assert fake.calls("PUT", "me/player")[0].json == {"device_ids": [tv.id], "play": False}


async def test_device_list_is_cached_for_thirty_seconds(spotify: SpotifyAdapter,
                                                        fake: FakeSpotify,
                                                        clock: ManualClock) -> None:
    await spotify.pause()
    await spotify.set_volume(10)
    assert len(fake.calls("GET", "me/player/devices")) == 1

    clock.advance(31)
    await spotify.set_volume(20)
    assert len(fake.calls("GET", "me/player/devices")) == 2


async def test_no_active_device_transfers_and_retries_once(spotify: SpotifyAdapter,
                                                           fake: FakeSpotify) -> None:
    await spotify.pause()
    fake.fail_next("PUT", "me/player/pause", 404, json_body=NO_ACTIVE_DEVICE)

    await spotify.pause()

    methods = [(r.method, r.path) for r in fake.requests]
    assert methods[-4:] == [("PUT", "/v1/me/player/pause"), ("GET", "/v1/me/player/devices"),
                            ("PUT", "/v1/me/player"), ("PUT", "/v1/me/player/pause")]


async def test_a_vanished_cached_device_is_replaced(spotify: SpotifyAdapter,
                                                    fake: FakeSpotify) -> None:
    await spotify.pause()
    fake.devices.clear()
    den = fake.add_device("Den")

    await spotify.set_volume(40)

    assert den.volume_percent == 40
    assert fake.calls("PUT", "me/player/volume")[-1].query["device_id"] == den.id
    assert len(fake.calls("GET", "me/player/devices")) == 2


async def test_no_device_does_not_stick_once_the_device_is_back(spotify: SpotifyAdapter,
                                                                 fake: FakeSpotify) -> None:
    devices = list(fake.devices)
    fake.devices.clear()
    with pytest.raises(NoDevice, match="No Spotify device is available"):
        await spotify.pause()

    fake.devices.extend(devices)  # Spotify opened again, within the device list's cache time
    await spotify.pause()

    assert fake.calls("PUT", "me/player/pause")


async def test_no_active_device_rereads_the_list(spotify: SpotifyAdapter,
                                                 fake: FakeSpotify) -> None:
    await spotify.pause()
    fake.devices.clear()
    fake.fail_next("PUT", "me/player/pause", 404, json_body=NO_ACTIVE_DEVICE)
    with pytest.raises(NoDevice):
        await spotify.pause()
    den = fake.add_device("Den")

    await spotify.set_volume(30)

    assert den.volume_percent == 30


async def test_an_html_502_is_never_read_out(spotify: SpotifyAdapter, fake: FakeSpotify) -> None:
    page = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
    for _ in range(2):
        fake.fail_next("GET", "search", 502, text=page)

    with pytest.raises(PlatformError) as raised:
        await spotify.search("hello")

    assert raised.value.message == "Spotify is having trouble right now (HTTP 502)."


async def test_device_lost_twice_gives_no_device(spotify: SpotifyAdapter,
                                                 fake: FakeSpotify) -> None:
    fake.fail_next("PUT", "me/player/pause", 404, json_body=NO_ACTIVE_DEVICE)
    fake.fail_next("PUT", "me/player/pause", 404, json_body=NO_ACTIVE_DEVICE)

    with pytest.raises(NoDevice, match="No Spotify device is available"):
        await spotify.pause()
    assert len(fake.calls("PUT", "me/player/pause")) == 2


async def test_no_device_at_all(spotify: SpotifyAdapter, fake: FakeSpotify) -> None:
    fake.devices.clear()

    with pytest.raises(NoDevice) as raised:
        await spotify.play(Track(fake.track("Yellow").uri, "Yellow"))

    assert raised.value.message == (
        "No Spotify device is available. Open Spotify on a phone, computer or speaker (or start "
        "the Pi's Spotify Connect service) and try again.")
    assert fake.calls("PUT", "me/player/play") == []


# ---- errors -------------------------------------------------------------------------------


async def test_short_rate_limit_is_waited_out(spotify: SpotifyAdapter, fake: FakeSpotify) -> None:
    fake.rate_limit_next(1)
    started = time.monotonic()

    found = await spotify.search("blinding lights")

    assert found[0].title == "Blinding Lights"
    assert time.monotonic() - started >= 0.9
    assert len(fake.calls("GET", "search")) == 2


async def test_long_rate_limit_is_reported_without_waiting(spotify: SpotifyAdapter,
                                                           fake: FakeSpotify) -> None:
    fake.rate_limit_next(30)
    started = time.monotonic()

    with pytest.raises(PlatformError) as raised:
        await spotify.search("hello")

    assert raised.value.code == "rate_limited"
    assert raised.value.message == "Spotify is busy, try again in 30 seconds."
    assert time.monotonic() - started < 1


async def test_premium_required(spotify: SpotifyAdapter, fake: FakeSpotify) -> None:
    fake.premium = False

    with pytest.raises(PlatformError) as raised:
        await spotify.pause()

    assert raised.value.code == "premium_required"
    assert raised.value.message == "Spotify needs a Premium account to control playback."


async def test_user_not_registered(spotify: SpotifyAdapter, fake: FakeSpotify) -> None:
    fake.registered = False

    with pytest.raises(PlatformError) as raised:
        await spotify.search("hello")

    assert raised.value.code == "not_registered"
    assert "Users Management in the Spotify Developer Dashboard" in raised.value.message


async def test_other_errors_carry_spotifys_message(spotify: SpotifyAdapter,
                                                   fake: FakeSpotify) -> None:
    fake.fail_next("GET", "search", 400,
                   json_body={"error": {"status": 400, "message": "Bad search query"}})

    with pytest.raises(PlatformError, match=r"^Spotify said: Bad search query\.$"):
        await spotify.search("hello")


