"""The library sync against the fake SoundCloud over real HTTP: ``next_href`` pagination, only
playable tracks, incremental runs, changed playlists, resuming, single-use refresh tokens
rotating mid-sync, and the resolver finding what was synced."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from sam_edge.accounts.secrets import Cipher
from sam_edge.accounts.store import DbTokenStore
from sam_edge.accounts.tokens import TokenSet
from sam_edge.app.library_sources import library_sources
from sam_edge.cache.library import LibraryResolver
from sam_edge.clock import ManualClock
from sam_edge.db.engine import make_engine, make_sessionmaker, migrate
from sam_edge.platforms.soundcloud.adapter import SoundCloudAdapter
from sam_edge.platforms.soundcloud.library import PAGE, SoundCloudSource
from sam_edge.settings import Settings, load_settings
from sam_edge.sync.service import LibrarySyncService, SyncProgress
from tests.fakes.recording import RecordingPlayer
from tests.fakes.server import serve
from tests.fakes.soundcloud import CLIENT_ID, CLIENT_SECRET, FakeSoundCloud

BEATS = 205
"""Liked tracks added to the demo catalog: more than one page of 200."""
LIKED = BEATS + 2
"""The beats and the demo's two playable likes (its third, "Golden Hour", is a preview)."""
ITEMS = 3 + 1 + BEATS
"""Late Night Lo-Fi without its preview, Covers, and Beat Tape (two pages)."""


def seeded_fake() -> FakeSoundCloud:
    fake = FakeSoundCloud.with_demo_catalog()
    beats = [fake.add_track(f"Beat {i:03d}", "Tape Deck") for i in range(BEATS)]
    fake.add_liked(*beats)
    fake.add_playlist("Beat Tape", beats)
    return fake


@pytest.fixture
def served() -> Iterator[tuple[FakeSoundCloud, str]]:
    fake = seeded_fake()
    with serve(fake.app) as url:
        yield fake, url


@dataclass
class World:
    fake: FakeSoundCloud
    settings: Settings
    sessions: Any
    tokens: DbTokenStore
    adapter: SoundCloudAdapter
    service: LibrarySyncService
    clock: ManualClock

    def rows(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        conn = sqlite3.connect(self.settings.database_path)
        try:
            return conn.execute(sql, args).fetchall()
        finally:
            conn.close()

    def count(self, sql: str, *args: Any) -> int:
        return int(self.rows(sql, *args)[0][0])

    def new_service(self) -> LibrarySyncService:
        return LibrarySyncService(self.sessions, library_sources({"soundcloud": self.adapter}),
                                  self.clock, data_dir=self.settings.data.dir)

    def made(self, since: int) -> list[tuple[str, str | None]]:
        return [(r.path, r.query.get("limit")) for r in self.fake.requests[since:]]


@pytest.fixture
async def world(settings: Settings, served: tuple[FakeSoundCloud, str]) -> AsyncIterator[World]:
    fake, url = served
    cfg = load_settings(settings.data.dir / "absent.toml", {
        "SAM_DATA_DIR": str(settings.data.dir), "SAM_MUSIC_DIR": str(settings.music.dir),
        "SAM_SOUNDCLOUD_CLIENT_ID": CLIENT_ID, "SAM_SOUNDCLOUD_CLIENT_SECRET": CLIENT_SECRET,
        "SAM_SOUNDCLOUD_API_URL": url, "SAM_SOUNDCLOUD_AUTH_URL": f"{url}/auth",
        "SAM_SOUNDCLOUD_TIMEOUT_S": "5"})
    cfg.data.dir.mkdir(parents=True, exist_ok=True)
    migrate(cfg.database_path)
    engine = make_engine(cfg.database_path)
    sessions = make_sessionmaker(engine)
    tokens = DbTokenStore.in_data_dir(sessions, Cipher.from_data_dir(cfg.data.dir), cfg.data.dir)
    clock = ManualClock(wall=time.time())
    issued = fake.issue_tokens()
    await tokens.save("soundcloud", TokenSet(
        issued["access_token"], issued["refresh_token"], clock.now() + issued["expires_in"],
        issued["scope"], fake.me.urn, fake.me.username))
    adapter = SoundCloudAdapter(cfg.soundcloud, tokens, RecordingPlayer(), clock=clock)
    sources = library_sources({"soundcloud": adapter})
    assert isinstance(sources["soundcloud"], SoundCloudSource)
    service = LibrarySyncService(sessions, sources, clock, data_dir=cfg.data.dir)
    yield World(fake, cfg, sessions, tokens, adapter, service, clock)
    await adapter.aclose()
    await engine.dispose()


def tracks_path(fake: FakeSoundCloud, title: str) -> str:
    return f"/playlists/{fake.playlist(title).urn}/tracks"


def liked_titles(world: World) -> set[str]:
    return {t for (t,) in world.rows("SELECT title FROM library_tracks WHERE liked")}


async def test_a_full_sync_follows_next_href_and_keeps_only_playable_tracks(
        world: World) -> None:
    [summary] = await world.service.sync()
    assert summary.ok, summary.error
    assert (summary.liked, summary.playlists, summary.skipped, summary.items) == (
        LIKED, 3, 0, ITEMS)
    fake = world.fake
    likes = fake.calls("GET", "/me/likes/tracks")
    assert len(likes) == 2  # the first page is read once, for the summary and the sync
    assert likes[0].query == {"limit": str(PAGE), "linked_partitioning": "true",
                              "access": "playable"}
    assert "cursor" in likes[1].query and likes[1].query["access"] == "playable"
    assert [r.query.get("show_tracks") for r in fake.calls("GET", "/me/playlists")] == ["false"]
    assert len(fake.calls("GET", tracks_path(fake, "Beat Tape"))) == 2
    assert not fake.calls("GET", tracks_path(fake, "Telugu Melodies"))  # not the user's
    # Preview-only tracks are neither liked nor playlist items.
    assert world.count("SELECT count(*) FROM library_tracks WHERE title = 'Golden Hour'") == 0
    assert liked_titles(world) >= {"Nuvvu Nenantu", "Midnight Drive", "Beat 000", "Beat 204"}
    nuvvu = fake.track("Nuvvu Nenantu")
    assert world.rows("SELECT uri, artist, duration_ms FROM library_tracks WHERE title = ?",
                      "Nuvvu Nenantu") == [(nuvvu.urn, "Karthik", nuvvu.duration_ms)]
    assert world.rows(
        "SELECT i.position, t.title FROM library_playlist_items i "
        "JOIN library_playlists p ON p.id = i.playlist_id "
        "JOIN library_tracks t ON t.uri = i.track_uri WHERE p.name = 'Late Night Lo-Fi' "
        "ORDER BY i.position") == [(0, "Midnight Drive"), (1, "Rainy Window"),
                                   (2, "Sunrise Loop")]
    assert world.rows("SELECT DISTINCT owned, owner FROM library_playlists") == [
        (1, fake.me.username)]
    assert world.rows("SELECT status, cursor FROM sync_runs") == [("ok", "{}")]


async def test_an_unchanged_library_costs_three_requests(world: World) -> None:
    before = len(world.fake.requests)
    await world.service.sync()
    first = len(world.fake.requests) - before
    before = len(world.fake.requests)
    [again] = await world.service.sync()
    assert again.ok and (again.liked, again.playlists, again.items) == (LIKED, 3, ITEMS)
    assert world.made(before) == [("/me/likes/tracks", str(PAGE)), ("/me", None),
                                  ("/me/playlists", str(PAGE))]
    assert first == 8 and (again.added, again.updated, again.removed) == (0, 0, 0)


async def test_new_likes_and_unlikes_past_the_first_page_are_noticed(world: World) -> None:
    await world.service.sync()
    fake = world.fake
    fake.liked.remove(fake.track("Beat 000"))  # on the second page: the first one is the same
    [summary] = await world.service.sync()
    assert summary.ok and summary.liked == LIKED - 1
    assert "Beat 000" not in liked_titles(world)
    fake.add_liked(fake.track("Monsoon Raga"))
    [summary] = await world.service.sync()
    assert summary.ok and summary.liked == LIKED
    assert "Monsoon Raga" in liked_titles(world)
    assert world.count("SELECT count(*) FROM library_tracks WHERE title = 'Beat 000'") == 1


async def test_a_changed_playlist_alone_is_read_again(world: World) -> None:
    await world.service.sync()
    fake = world.fake
    fake.playlist("Covers").tracks.append(fake.track("Monsoon Raga"))
    before = len(fake.requests)
    [summary] = await world.service.sync()
    assert summary.ok and summary.items == ITEMS + 1
    assert {r.path for r in fake.requests[before:] if r.path.startswith("/playlists/")} == {
        tracks_path(fake, "Covers")}
    assert world.rows("SELECT track_count FROM library_playlists WHERE name = 'Covers'") == [
        (2,)]
    assert world.count("SELECT count(*) FROM library_tracks WHERE title = 'Monsoon Raga' "
                       "AND NOT liked") == 1


async def test_a_playlist_soundcloud_refuses_is_skipped(world: World) -> None:
    world.fake.fail_next("GET", tracks_path(world.fake, "Covers"), 403)
    [summary] = await world.service.sync()
    assert summary.ok and (summary.skipped, summary.items) == (1, ITEMS - 1)
    assert world.rows("SELECT skipped_reason FROM library_playlists WHERE name = 'Covers'") == [
        ("forbidden",)]


async def test_an_interrupted_sync_resumes_at_the_stored_next_href(world: World) -> None:
    def shutdown(event: SyncProgress) -> None:
        if event.phase == "liked":
            world.service.interrupt()

    [stopped] = await world.service.sync(progress=shutdown)
    assert stopped.status == "interrupted"
    assert world.count("SELECT count(*) FROM library_tracks WHERE liked") == PAGE
    before = len(world.fake.requests)
    [resumed] = await world.new_service().sync()
    assert resumed.ok and resumed.resumed and (resumed.liked, resumed.items) == (LIKED, ITEMS)
    likes = [r.query.get("cursor") for r in world.fake.requests[before:]
             if r.path == "/me/likes/tracks"]
    assert len(likes) == 2 and likes[0] is None and likes[1]  # the summary, then page two


async def test_single_use_refresh_tokens_rotate_during_a_sync(world: World) -> None:
    expired = False

    def expire_once(event: SyncProgress) -> None:
        nonlocal expired
        if not expired and event.phase == "liked":
            expired = True
            world.fake.expire_access_tokens()

    old = await world.tokens.load("soundcloud")
    [summary] = await world.service.sync(progress=expire_once)
    assert summary.ok and (summary.liked, summary.items) == (LIKED, ITEMS)
    assert len(world.fake.calls("POST", "/auth/oauth/token")) == 1
    new = await world.tokens.load("soundcloud")
    assert old is not None and new is not None and new.refresh_token != old.refresh_token
    assert not world.fake.refresh_token_valid(old.refresh_token)  # spent
    assert world.fake.refresh_token_valid(new.refresh_token)  # the rotated one was saved
    world.fake.expire_access_tokens()  # the next refresh needs the rotated token
    [again] = await world.service.sync()
    assert again.ok and len(world.fake.calls("POST", "/auth/oauth/token")) == 2


async def test_the_resolver_finds_a_synced_soundcloud_title(world: World) -> None:
    await world.service.sync()
    resolver = LibraryResolver.in_data_dir(world.sessions, world.settings.data.dir)
    found = await resolver.find("nuvu nenantu", platform="soundcloud")
    assert found is not None
    assert (found.uri, found.artist, found.platform) == (
        world.fake.track("Nuvvu Nenantu").urn, "Karthik", "soundcloud")
    rainy = await resolver.find("Rainy Window", artist="Lo-Fi Lab", platform="soundcloud")
    assert rainy is not None and rainy.uri == world.fake.track("Rainy Window").urn
    assert await resolver.find("Golden Hour", platform="soundcloud") is None  # preview only
    assert await resolver.find("Nuvvu Nenantu", platform="spotify") is None
