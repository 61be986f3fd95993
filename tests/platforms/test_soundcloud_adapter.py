"""SoundCloudAdapter and SoundCloudPairing against the fake SoundCloud over real HTTP; playback
through RecordingPlayer, and once through a real mpv (``--ao=null``) fetching the CDN audio."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet

from sam_edge.accounts.pairing import SoundCloudPairing
from sam_edge.accounts.secrets import Cipher
from sam_edge.accounts.tokens import MemoryTokenStore, TokenSet
from sam_edge.clock import ManualClock
from sam_edge.errors import NeedsPairing, NotFound, PairingError, PlatformError
from sam_edge.platforms.base import Track
from sam_edge.platforms.soundcloud import adapter as soundcloud_module
from sam_edge.platforms.soundcloud.adapter import SoundCloudAdapter
from sam_edge.player.mpv import MpvPlayer
from sam_edge.settings import PlayerSettings, SoundCloudSettings, load_settings
from tests.fakes.fixtures import Switch
from tests.fakes.recording import RecordingPlayer
from tests.fakes.soundcloud import CLIENT_ID, CLIENT_SECRET, FakeSoundCloud


@pytest.fixture
def base(fake_server: tuple[Switch, str]) -> str:
    return fake_server[1]


@pytest.fixture
def fake(fake_server: tuple[Switch, str]) -> FakeSoundCloud:
    fake_server[0].fake = FakeSoundCloud.with_demo_catalog()
    return fake_server[0].fake


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def store(fake: FakeSoundCloud, clock: ManualClock) -> MemoryTokenStore:
    minted = fake.issue_tokens()
    tokens = TokenSet(minted["access_token"], minted["refresh_token"],
                      clock.now() + minted["expires_in"])
    return MemoryTokenStore({"soundcloud": tokens})


@pytest.fixture
def player() -> RecordingPlayer:
    return RecordingPlayer()


def settings_for(base: str, **overrides: Any) -> SoundCloudSettings:
    values: dict[str, Any] = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                              "api_url": base, "auth_url": f"{base}/auth", "timeout_s": 2.0,
                              **overrides}
    return SoundCloudSettings(**values)


@pytest.fixture
async def make(base: str, store: MemoryTokenStore, clock: ManualClock,
               player: RecordingPlayer) -> AsyncIterator[Any]:
    made: list[SoundCloudAdapter] = []

    def build(*, with_player: Any = None, **overrides: Any) -> SoundCloudAdapter:
        made.append(SoundCloudAdapter(settings_for(base, **overrides), store,
                                      with_player or player, clock=clock))
        return made[-1]

    yield build
    for adapter in made:
        await adapter.aclose()


@pytest.fixture
def soundcloud(make: Any) -> SoundCloudAdapter:
    return make()


def track_of(fake: FakeSoundCloud, title: str, username: str | None = None) -> Track:
    song = fake.track(title, username)
    return Track(song.urn, song.title, song.user.username, "soundcloud", "track", "",
                 song.duration_ms)


def stream_calls(fake: FakeSoundCloud) -> list[Any]:
    return [r for r in fake.requests if r.path.endswith("/hls")]


# ---- search -----------------------------------------------------------------------------------


async def test_search_asks_for_playable_tracks_only(soundcloud: SoundCloudAdapter,
                                                    fake: FakeSoundCloud) -> None:
    found = await soundcloud.search("hello")

    assert found == [track_of(fake, "Hello", "Nina Covers")]  # Adele's is a preview
    assert found[0].uri.startswith("soundcloud:tracks:")
    query = fake.calls("GET", "/tracks")[0].query
    assert query == {"q": "hello", "limit": "5", "linked_partitioning": "true",
                     "access": "playable"}


async def test_previews_are_dropped_even_when_soundcloud_sends_them(
        soundcloud: SoundCloudAdapter, fake: FakeSoundCloud, base: str) -> None:
    token = fake.issue_tokens()["access_token"]
    everything = httpx.get(f"{base}/tracks", params={"q": "hello", "linked_partitioning": "1"},
                           headers={"Authorization": f"OAuth {token}"}).json()
    fake.fail_next("GET", "/tracks", 200, json_body=everything)

    assert [t.artist for t in await soundcloud.search("hello")] == ["Nina Covers"]


async def test_search_with_an_artist(soundcloud: SoundCloudAdapter, fake: FakeSoundCloud) -> None:
    found = await soundcloud.search("Nuvvu Nenantu", artist="Karthik")

    assert [t.describe() for t in found] == ["Nuvvu Nenantu by Karthik"]
    assert fake.calls("GET", "/tracks")[0].query["q"] == "Nuvvu Nenantu Karthik"


@pytest.mark.parametrize(("kind", "query", "expected"), [
    ("album", "telugu", ("Telugu Melodies", "Karthik", "album", "soundcloud:playlists:")),
    ("playlist", "lo-fi", ("Late Night Lo-Fi", "Sam Tester", "playlist",
                           "soundcloud:playlists:")),
    ("artist", "lo-fi lab", ("Lo-Fi Lab", "", "artist", "soundcloud:users:")),
])
async def test_search_other_kinds(soundcloud: SoundCloudAdapter, kind: str, query: str,
                                  expected: tuple[str, str, str, str]) -> None:
    [found] = await soundcloud.search(query, kind=kind, limit=1)

    assert (found.title, found.artist, found.kind) == expected[:3]
    assert found.uri.startswith(expected[3])


async def test_search_nothing(soundcloud: SoundCloudAdapter, fake: FakeSoundCloud) -> None:
    assert await soundcloud.search("zzzz qqqq") == []
    assert await soundcloud.search("  ") == []
    with pytest.raises(PlatformError, match="cannot search for podcast"):
        await soundcloud.search("x", kind="podcast")


# ---- playback -----------------------------------------------------------------------------


async def test_play_resolves_the_redirect_with_auth(soundcloud: SoundCloudAdapter,
                                                    fake: FakeSoundCloud, base: str,
                                                    player: RecordingPlayer,
                                                    store: MemoryTokenStore) -> None:
    song = track_of(fake, "Nuvvu Nenantu")

    await soundcloud.play(song)

    [location] = player.queue
    assert location.startswith(f"{base}/cdn/{song.uri}.mp3?Expires=")
    assert fake.calls("GET", f"/tracks/{song.uri}/streams")
    [resolve] = stream_calls(fake)
    assert resolve.authorization == f"OAuth {store.tokens['soundcloud'].access_token}"
    assert not [r for r in fake.requests if r.path.startswith("/cdn/")]  # left to the player
    state = await soundcloud.now_playing()
    assert state is not None
    assert (state.title, state.artist, state.uri, state.platform, state.is_playing) == (
        "Nuvvu Nenantu", "Karthik", song.uri, "soundcloud", True)


async def test_play_prefers_aac_160_then_aac_96(soundcloud: SoundCloudAdapter,
                                                fake: FakeSoundCloud, base: str,
                                                player: RecordingPlayer) -> None:
    song = track_of(fake, "Monsoon Raga")
    token = fake.issue_tokens()["access_token"]
    streams = httpx.get(f"{base}/tracks/{song.uri}/streams",
                        headers={"Authorization": f"Bearer {token}"}).json()
    fake.fail_next("GET", f"/tracks/{song.uri}/streams", 200,
                   json_body={k: v for k, v in streams.items() if k != "hls_aac_160_url"})

    await soundcloud.play(song)

    assert stream_calls(fake)[0].path == httpx.URL(streams["hls_aac_96_url"]).path
    assert player.current.startswith(f"{base}/cdn/{song.uri}.mp3?")


async def test_a_preview_only_track_is_not_played(soundcloud: SoundCloudAdapter,
                                                  fake: FakeSoundCloud,
                                                  player: RecordingPlayer) -> None:
    with pytest.raises(PlatformError) as raised:
        await soundcloud.play(track_of(fake, "Golden Hour"))

    assert raised.value.code == "preview_only"
    assert raised.value.message == ("SoundCloud only has a 30-second preview of Golden Hour by "
                                    "Major Label Star.")
    assert player.calls == [] and stream_calls(fake) == []


async def test_play_with_mpv_plays_the_cdn_audio(make: Any, fake: FakeSoundCloud, base: str,
                                                 tmp_path: Path) -> None:
    mpv = MpvPlayer(PlayerSettings(audio_output="null"), tmp_path / "run")
    try:
        soundcloud = make(with_player=mpv)
        song = track_of(fake, "Nuvvu Nenantu")

        await soundcloud.play(song)

        state = await mpv.state()
        for _ in range(50):
            if state.position_s > 0:
                break
            await asyncio.sleep(0.05)
            state = await mpv.state()
        assert state.is_playing and state.path.startswith(f"{base}/cdn/{song.uri}.mp3?")
        assert state.position_s > 0
        fetched = [r for r in fake.requests if r.path == f"/cdn/{song.uri}.mp3"]
        assert fetched and fetched[0].authorization == ""  # the player never sees the token
        playing = await soundcloud.now_playing()
        assert playing is not None and playing.title == "Nuvvu Nenantu" and playing.is_playing
        await soundcloud.pause()
        assert not (await mpv.state()).is_playing
    finally:
        await mpv.aclose()


async def test_play_a_playlist_queues_its_playable_tracks(soundcloud: SoundCloudAdapter,
                                                          fake: FakeSoundCloud,
                                                          player: RecordingPlayer) -> None:
    [lofi] = await soundcloud.search("late night lo-fi", kind="playlist", limit=1)

    await soundcloud.play(lofi)

    wanted = ["Midnight Drive", "Rainy Window", "Sunrise Loop"]  # "Golden Hour" is a preview
    assert [fake.find(q.split("/cdn/")[1].split(".mp3")[0], "tracks").title  # type: ignore[union-attr]
            for q in player.queue] == wanted
    assert fake.calls("GET", f"/playlists/{lofi.uri}/tracks")[0].query["access"] == "playable"
    assert player.methods()[:1] == ["play"] and player.methods()[1:] == ["enqueue"] * 2
    state = await soundcloud.now_playing()
    assert state is not None and (state.title, state.context_uri) == ("Midnight Drive", lofi.uri)
    await soundcloud.next()
    state = await soundcloud.now_playing()
    assert state is not None and state.title == "Rainy Window"


async def test_play_liked_follows_next_href(soundcloud: SoundCloudAdapter, fake: FakeSoundCloud,
                                            player: RecordingPlayer,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(soundcloud_module, "PAGE", 1)
    fake.add_liked(fake.track("Sunrise Loop"))

    first = await soundcloud.play_liked()

    assert first is not None and first.title == "Sunrise Loop" and first.artist == "Lo-Fi Lab"
    pages = fake.calls("GET", "/me/likes/tracks")
    assert len(pages) == 3  # Sunrise Loop, Nuvvu Nenantu, Midnight Drive; no fourth page
    assert pages[0].query == {"access": "playable", "limit": "1", "linked_partitioning": "true"}
    assert all("cursor" in page.query for page in pages[1:])
    assert len(player.queue) == 3 and fake.calls("GET", "/tracks") == []


async def test_play_liked_with_no_likes(soundcloud: SoundCloudAdapter, fake: FakeSoundCloud,
                                        player: RecordingPlayer) -> None:
    fake.liked.clear()

    assert await soundcloud.play_liked() is None
    assert player.calls == []


async def test_an_item_from_another_platform_is_looked_up(soundcloud: SoundCloudAdapter,
                                                          fake: FakeSoundCloud,
                                                          player: RecordingPlayer) -> None:
    await soundcloud.play(Track("spotify:track:abc", "Nuvvu Nenantu", "Karthik", "spotify"))
    assert len(player.queue) == 1

    with pytest.raises(NotFound, match="couldn't find Nope by Nobody on SoundCloud"):
        await soundcloud.play(Track("spotify:track:x", "Nope", "Nobody", "spotify"))


async def test_player_controls(soundcloud: SoundCloudAdapter, fake: FakeSoundCloud,
                               player: RecordingPlayer) -> None:
    await soundcloud.play(track_of(fake, "Midnight Drive"))
    await soundcloud.queue(track_of(fake, "Rainy Window"))
    assert len(player.queue) == 2

    await soundcloud.pause()
    assert not (await player.state()).is_playing
    await soundcloud.resume()
    await soundcloud.next()
    state = await soundcloud.now_playing()
    assert state is not None and state.title == "Rainy Window"
    await soundcloud.previous()
    await soundcloud.set_volume(130)
    assert await soundcloud.get_volume() == 100
    await soundcloud.shuffle(True)
    await soundcloud.repeat("context")
    assert player.shuffled and player.repeat_state == "context"
    with pytest.raises(PlatformError, match="track, context or off"):
        await soundcloud.repeat("sometimes")
    with pytest.raises(PlatformError) as raised:
        await soundcloud.queue(track_of(fake, "Golden Hour"))
    assert raised.value.code == "preview_only"


async def test_like_an_item_and_what_is_playing(soundcloud: SoundCloudAdapter,
                                                fake: FakeSoundCloud) -> None:
    raga = track_of(fake, "Monsoon Raga")
    assert await soundcloud.like(raga) == raga
    assert fake.liked[0] is fake.track("Monsoon Raga")
    assert fake.calls("POST", f"/likes/tracks/{raga.uri}")

    assert await soundcloud.like(None) is None  # nothing playing
    await soundcloud.play(track_of(fake, "Rainy Window"))
    current = await soundcloud.like(None)
    assert current is not None and current.title == "Rainy Window"
    assert fake.liked[0] is fake.track("Rainy Window")


async def test_now_playing_ignores_what_it_did_not_start(soundcloud: SoundCloudAdapter,
                                                         player: RecordingPlayer) -> None:
    assert await soundcloud.now_playing() is None
    await player.play(["/music/song.mp3"])
    assert await soundcloud.now_playing() is None


# ---- tokens -------------------------------------------------------------------------------


async def test_refresh_rotates_the_single_use_refresh_token(
        soundcloud: SoundCloudAdapter, fake: FakeSoundCloud, store: MemoryTokenStore,
        base: str) -> None:
    old = store.tokens["soundcloud"]
    fake.expire_access_tokens()

    assert [t.title for t in await soundcloud.search("midnight drive")] == ["Midnight Drive"]

    new = store.tokens["soundcloud"]
    assert store.saves == 1
    assert new.refresh_token != old.refresh_token and new.access_token != old.access_token
    assert fake.refresh_token_valid(new.refresh_token)
    assert not fake.refresh_token_valid(old.refresh_token)
    [refresh] = fake.calls("POST", "/auth/oauth/token")
    assert refresh.form == {"grant_type": "refresh_token", "refresh_token": old.refresh_token,
                            "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    assert len(fake.calls("GET", "/tracks")) == 2
    replay = httpx.post(f"{base}/auth/oauth/token", data=refresh.form)
    assert (replay.status_code, replay.json()) == (400, {"error": "invalid_grant"})

    fake.expire_access_tokens()  # the stored new refresh token works the next time
    await soundcloud.search("rainy window")
    assert store.saves == 2 and fake.refresh_token_valid(store.tokens["soundcloud"].refresh_token)


async def test_public_client_refreshes_without_a_secret(make: Any, fake: FakeSoundCloud) -> None:
    fake.require_secret = False
    soundcloud = make(client_secret="")
    fake.expire_access_tokens()

    await soundcloud.search("hello")

    assert "client_secret" not in (fake.calls("POST", "/auth/oauth/token")[0].form or {})


async def test_legacy_token_error_body_is_understood(soundcloud: SoundCloudAdapter,
                                                     fake: FakeSoundCloud) -> None:
    fake.token_error_style = "soundcloud"
    fake.expire_access_tokens()
    fake.revoke_refresh_tokens()

    with pytest.raises(NeedsPairing):
        await soundcloud.search("hello")


async def test_401_after_a_refresh_needs_pairing(soundcloud: SoundCloudAdapter,
                                                 fake: FakeSoundCloud) -> None:
    fake.fail_next("GET", "/tracks", 401)
    fake.fail_next("GET", "/tracks", 401)

    with pytest.raises(NeedsPairing, match="paired again"):
        await soundcloud.search("hello")
    assert len(fake.calls("POST", "/auth/oauth/token")) == 1


# ---- errors -------------------------------------------------------------------------------


async def test_429_backs_off_exponentially(soundcloud: SoundCloudAdapter, fake: FakeSoundCloud,
                                           clock: ManualClock) -> None:
    fake.rate_limit_next("GET", "/tracks", group="search")

    with pytest.raises(PlatformError) as raised:
        await soundcloud.search("hello")
    assert (raised.value.code, raised.value.message) == (
        "rate_limited", "SoundCloud is busy, try again in 2 seconds.")

    with pytest.raises(PlatformError, match="try again in 2 seconds"):
        await soundcloud.search("hello")  # refused here, during the back-off
    assert len(fake.calls("GET", "/tracks")) == 1

    clock.advance(2)
    fake.rate_limit_next("GET", "/tracks", group="search")
    with pytest.raises(PlatformError, match="try again in 4 seconds"):
        await soundcloud.search("hello")
    clock.advance(4)
    assert await soundcloud.search("hello")
    fake.rate_limit_next("GET", "/tracks", group="search")
    with pytest.raises(PlatformError, match="try again in 2 seconds"):  # reset by the success
        await soundcloud.search("hello")


async def test_play_limit(soundcloud: SoundCloudAdapter, fake: FakeSoundCloud,
                          player: RecordingPlayer) -> None:
    fake.play_limit = 0

    with pytest.raises(PlatformError) as raised:
        await soundcloud.play(track_of(fake, "Nuvvu Nenantu"))

    assert raised.value.code == "rate_limited" and "play limit" in raised.value.message
    assert player.calls == []


async def test_server_errors_are_retried_once(soundcloud: SoundCloudAdapter,
                                              fake: FakeSoundCloud) -> None:
    fake.fail_next("GET", "/tracks", 503)
    assert await soundcloud.search("hello")
    assert len(fake.calls("GET", "/tracks")) == 2

    fake.fail_next("GET", "/tracks", 503)
    fake.fail_next("GET", "/tracks", 503)
    with pytest.raises(PlatformError) as raised:
        await soundcloud.search("hello")
    assert (raised.value.code, raised.value.message) == (
        "server_error", "SoundCloud is having trouble right now (HTTP 503).")
    assert len(fake.calls("GET", "/tracks")) == 4


async def test_forbidden_and_not_found(soundcloud: SoundCloudAdapter,
                                       fake: FakeSoundCloud) -> None:
    with pytest.raises(PlatformError) as raised:
        await soundcloud.play(track_of(fake, "Region Locked"))
    assert raised.value.code == "forbidden"

    with pytest.raises(NotFound):
        await soundcloud.play(Track("soundcloud:tracks:1", "", platform="soundcloud"))

    fake.fail_next("GET", "/tracks", 400, json_body={"code": 400, "message": "Bad query"})
    with pytest.raises(PlatformError, match=r"^SoundCloud said: Bad query\.$"):
        await soundcloud.search("hello")


async def test_links_to_other_hosts_are_not_followed(soundcloud: SoundCloudAdapter,
                                                     fake: FakeSoundCloud) -> None:
    fake.fail_next("GET", "/me/likes/tracks", 200, json_body={
        "collection": [], "next_href": "https://elsewhere.example/me/likes/tracks?cursor=x"})

    with pytest.raises(PlatformError) as raised:
        await soundcloud.play_liked()

    assert raised.value.code == "bad_response"


# ---- pairing --------------------------------------------------------------------------------


def pairing_settings(tmp_path: Path, base: str, **env: str) -> Any:
    values = {"SAM_DATA_DIR": str(tmp_path / "data"), "SAM_SOUNDCLOUD_CLIENT_ID": CLIENT_ID,
              "SAM_SOUNDCLOUD_CLIENT_SECRET": CLIENT_SECRET, "SAM_SOUNDCLOUD_API_URL": base,
              "SAM_SOUNDCLOUD_AUTH_URL": f"{base}/auth", **env}
    return load_settings(tmp_path / "absent.toml", values)


@pytest.fixture
def pairing(tmp_path: Path, base: str, fake: FakeSoundCloud) -> SoundCloudPairing:
    return SoundCloudPairing(pairing_settings(tmp_path, base), MemoryTokenStore(), cipher())


def cipher() -> Cipher:
    return Cipher(Fernet.generate_key())


def browser(url: str) -> str:
    """Where the browser is sent once the user allows (or refuses) access."""
    response = httpx.get(url, follow_redirects=False, timeout=5)
    assert response.status_code == 302, response.text
    return response.headers["location"]


async def test_pairing_start_and_complete(pairing: SoundCloudPairing, fake: FakeSoundCloud,
                                          base: str, clock: ManualClock) -> None:
    authorize = httpx.URL(pairing.start())

    assert str(authorize.copy_with(query=None)) == f"{base}/auth/authorize"
    query = dict(authorize.params)
    assert query.keys() == {"client_id", "response_type", "redirect_uri", "code_challenge_method",
                            "code_challenge", "state"}
    assert (query["client_id"], query["response_type"], query["code_challenge_method"]) == (
        CLIENT_ID, "code", "S256")
    assert query["redirect_uri"] == "http://127.0.0.1:8080/v1/adapter/soundcloud/callback"
    assert pairing.pending_path.name == "soundcloud.json" and pairing.pending_path.exists()

    tokens = await pairing.complete(browser(str(authorize)))

    assert (tokens.display_name, tokens.account_id) == ("Sam Tester", fake.me.urn)
    assert await pairing.stored() == tokens and not pairing.pending_path.exists()
    [exchange] = fake.calls("POST", "/auth/oauth/token")
    assert exchange.form is not None and exchange.form["client_secret"] == CLIENT_SECRET
    assert exchange.form["code_verifier"] and exchange.form["grant_type"] == "authorization_code"
    assert fake.calls("GET", "/me")[0].authorization == f"OAuth {tokens.access_token}"
    paired = SoundCloudAdapter(settings_for(base), MemoryTokenStore({"soundcloud": tokens}),
                               RecordingPlayer(), clock=clock)
    try:
        assert (await paired.current_user())[1] == "Sam Tester"
    finally:
        await paired.aclose()


async def test_pairing_refuses_a_wrong_state(pairing: SoundCloudPairing,
                                             fake: FakeSoundCloud) -> None:
    redirect = httpx.URL(browser(pairing.start()))
    forged = redirect.copy_merge_params({"state": "forged"})

    with pytest.raises(PairingError) as raised:
        await pairing.complete(str(forged))

    assert raised.value.code == "state_mismatch" and "state" in raised.value.message
    assert await pairing.stored() is None and fake.calls("POST", "/auth/oauth/token") == []
    assert pairing.pending_path.exists()  # the real redirect can still finish it
    assert (await pairing.complete(str(redirect))).display_name == "Sam Tester"


async def test_pairing_access_denied(pairing: SoundCloudPairing, fake: FakeSoundCloud) -> None:
    fake.deny = True

    with pytest.raises(PairingError) as raised:
        await pairing.complete(browser(pairing.start()))

    assert (raised.value.code, raised.value.message) == (
        "access_denied", "SoundCloud access was denied, so nothing was paired.")
    assert await pairing.stored() is None


async def test_pairing_token_error(tmp_path: Path, base: str, fake: FakeSoundCloud) -> None:
    settings = pairing_settings(tmp_path, base, SAM_SOUNDCLOUD_CLIENT_SECRET="wrong")
    pairing = SoundCloudPairing(settings, MemoryTokenStore(), cipher())

    with pytest.raises(PairingError) as raised:
        await pairing.complete(browser(pairing.start()))

    assert (raised.value.code, raised.value.message) == (
        "token_error", "SoundCloud refused the code: invalid_client.")


def test_pairing_needs_a_client_id(tmp_path: Path, base: str) -> None:
    settings = pairing_settings(tmp_path, base, SAM_SOUNDCLOUD_CLIENT_ID="")

    with pytest.raises(PairingError, match="SAM_SOUNDCLOUD_CLIENT_ID") as raised:
        SoundCloudPairing(settings, MemoryTokenStore(), cipher())
    assert raised.value.code == "no_client_id"
