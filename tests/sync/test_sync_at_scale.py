"""The library sync at scale: 10,000 liked tracks and 50 owned playlists of 20-100 items in the
fake Spotify over real HTTP, read through the real SpotifyAdapter into a real SQLite file.

A full sync stores exactly what the fake holds. A sync stopped half-way (a request failing in
the middle of the liked pages; the ``sam-edge sync`` process killed with SIGKILL between two
pages of a playlist) and then run again ends with the same rows as an uninterrupted sync, having
re-read only what was not yet stored. A re-sync of an unchanged library makes three requests.

The uninterrupted sync runs once per module (:func:`reference`); the other tests compare with
its rows.
"""

from __future__ import annotations

import asyncio
import math
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import pytest

from sam_edge.accounts.secrets import Cipher
from sam_edge.accounts.store import DbTokenStore
from sam_edge.app.library_sources import library_sources
from sam_edge.clock import ManualClock
from sam_edge.db.engine import make_engine, make_sessionmaker, migrate
from sam_edge.platforms.spotify.adapter import SpotifyAdapter
from sam_edge.settings import Settings, load_settings
from sam_edge.sync.service import LibrarySyncService, SyncProgress, SyncSummary
from tests.fakes.server import serve
from tests.fakes.spotify import CLIENT_ID, FakeSpotify, RecordedRequest
from tests.fakes.spotify_catalog import FakeAlbum, FakeArtist, FakePlaylist, FakeTrack, make_id
from tests.sync.conftest import World, pair

REPO = Path(__file__).resolve().parents[2]

LIKED = 10_000
PLAYLISTS = 50
PAGE = 50
"""What the sync asks for per page of liked tracks, playlists and playlist items."""
NEWEST = 1_767_225_600
"""2026-01-01T00:00:00Z: when the newest liked track was added."""

_VOCABULARY = (
    "amber angel april autumn bamboo blue borrowed broken bright candle canyon cedar cherry "
    "cinder city clover cobalt copper coral crimson crystal dancing daylight desert distant "
    "dream dust echo ember empire evening falling feather fever field fire flower forest "
    "fortune frozen garden ghost glass golden gravity harbor heart highway hollow honey horizon "
    "island ivory jasmine jungle kingdom lantern lemon letter lightning lonely lotus lunar "
    "marble meadow melody midnight mirror monsoon moon morning mountain neon night ocean orbit "
    "orchid paper paradise pepper pilgrim pocket prism quiet rain raven river rocket rose ruby "
    "saffron salt scarlet shadow silver sky smoke snow solar spark spring star stone storm "
    "summer sunset thunder tiger timber tulip twilight velvet violet voyage wander water "
    "whisper wild willow winter wolf yellow zephyr"
)
_WORDS = _VOCABULARY.split()
_SUFFIXES = (" - 2011 Remaster", " (Live)", " (feat. Nova)", " - Radio Edit", " (Acoustic)")


def _stamp(at: int) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def unique_titles(rng: random.Random) -> Iterator[str]:
    """Distinct song titles of two to four words, one in twenty with a version suffix."""
    seen: set[str] = set()
    while True:
        title = " ".join(w.title() for w in rng.sample(_WORDS, rng.randint(2, 4)))
        if rng.random() < 0.05:
            title += rng.choice(_SUFFIXES)
        if title not in seen:
            seen.add(title)
            yield title


def artist_names(rng: random.Random, count: int) -> list[str]:
    names: set[str] = set()
    while len(names) < count:
        names.add(f"The {rng.choice(_WORDS).title()} {rng.choice(_WORDS).title()}s")
    return sorted(names)


def big_library(liked: int = LIKED, playlists: int = PLAYLISTS, *,
                seed: int = 2026) -> FakeSpotify:
    """A fake Spotify whose user liked ``liked`` tracks (one every 10 minutes, newest at
    :data:`NEWEST`) and owns ``playlists`` playlists of 20-100 items: half liked tracks, half
    tracks found only there; every tenth holds one track twice and every seventh shares a track
    with the one before.

    The same arguments give the same catalog (ids, titles, snapshots) in every process. Entities
    are built directly rather than through ``add_track``, whose lookups are linear."""
    rng = random.Random(seed)
    fake = FakeSpotify()
    artists = [FakeArtist(make_id(f"artist:{name}"), name)
               for name in artist_names(rng, max(1, liked // 12))]
    albums = [FakeAlbum(make_id(f"album:{i}"), f"{rng.choice(_WORDS).title()} Sessions {i}",
                        rng.choice(artists), str(1970 + i % 56))
              for i in range(max(1, liked // 8))]
    titles = unique_titles(rng)

    def new_track() -> FakeTrack:
        album = rng.choice(albums)
        track = FakeTrack(make_id(f"track:{len(fake.tracks)}"), next(titles), [album.artist],
                          album, rng.randint(90_000, 420_000), len(album.tracks) + 1)
        album.tracks.append(track)
        fake.tracks.append(track)
        return track

    saved = [new_track() for _ in range(liked)]
    fake.liked = [(track, _stamp(NEWEST - i * 600)) for i, track in enumerate(saved)]
    only: list[FakeTrack] = []
    for p in range(playlists):
        size = rng.randint(20, 100)
        own = [new_track() for _ in range(size - size // 2)]
        chosen = rng.sample(saved, size // 2) + own
        rng.shuffle(chosen)
        if p % 10 == 0:
            chosen[-1] = chosen[0]
        if p % 7 == 0 and only:
            chosen[1] = only[-1]
        only = own
        fake.playlists.append(FakePlaylist(
            make_id(f"playlist:{p}"), f"{rng.choice(_WORDS).title()} Mix {p:02d}",
            fake.user_id, fake.display_name, chosen))
    fake.artists.extend(artists)
    fake.albums.extend(albums)
    return fake


# ---- rows -------------------------------------------------------------------------------------

TrackRow = tuple[str, str, str, str, int, bool, float | None]
PlaylistRow = tuple[str, str, str, int, bool, str]
ItemRow = tuple[str, int, str]


@dataclass(frozen=True)
class Rows:
    """The library as stored (or as it should be), without ids, run numbers and times."""

    tracks: frozenset[TrackRow]
    """(uri, title, artist, album, duration_ms, liked, added_at)"""
    playlists: frozenset[PlaylistRow]
    """(uri, name, owner, track_count, owned, skipped_reason)"""
    items: frozenset[ItemRow]
    """(playlist uri, position, track uri)"""

    def liked(self) -> set[tuple[str, bool]]:
        return {(t[0], t[5]) for t in self.tracks}


def expected_rows(fake: FakeSpotify) -> Rows:
    """What a complete sync of ``fake`` must store."""
    liked = {t.uri for t, _ in fake.liked}
    tracks: dict[str, TrackRow] = {}
    for track, at in fake.liked:
        tracks[track.uri] = (track.uri, track.name, track.artist, track.album.name,
                             track.duration_ms, True,
                             datetime.fromisoformat(at.replace("Z", "+00:00")).timestamp())
    for playlist in fake.playlists:
        for track in playlist.tracks:
            if track.uri not in liked:
                tracks[track.uri] = (track.uri, track.name, track.artist, track.album.name,
                                     track.duration_ms, False, None)
    return Rows(
        frozenset(tracks.values()),
        frozenset((p.uri, p.name, p.owner_name, len(p.tracks), True, "")
                  for p in fake.playlists),
        frozenset((p.uri, i, t.uri) for p in fake.playlists for i, t in enumerate(p.tracks)))


def query(database: Path, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(database)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def stored_rows(database: Path, platform: str = "spotify") -> Rows:
    """The library tables of ``database`` for ``platform``; fails on any duplicate row."""
    tracks = [(u, t, a, al, d, bool(liked), at) for u, t, a, al, d, liked, at in query(
        database, "SELECT uri, title, artist, album, duration_ms, liked, added_at "
        "FROM library_tracks WHERE platform = ?", platform)]
    playlists = [(u, n, o, c, bool(owned), s) for u, n, o, c, owned, s in query(
        database, "SELECT uri, name, owner, track_count, owned, skipped_reason "
        "FROM library_playlists WHERE platform = ?", platform)]
    items = [(p, i, t) for p, i, t in query(
        database, "SELECT p.uri, i.position, i.track_uri FROM library_playlist_items i "
        "JOIN library_playlists p ON p.id = i.playlist_id WHERE p.platform = ?", platform)]
    rows = Rows(frozenset(tracks), frozenset(playlists), frozenset(items))
    assert (len(tracks), len(playlists), len(items)) == (
        len(rows.tracks), len(rows.playlists), len(rows.items)), "duplicate rows"
    assert len({t[0] for t in tracks}) == len(tracks), "a track stored twice"
    return rows


def stored_item_counts(database: Path, platform: str = "spotify") -> dict[str, int]:
    """Items stored per playlist URI."""
    return {uri: count for uri, count in query(
        database, "SELECT p.uri, count(i.id) FROM library_playlists p LEFT JOIN "
        "library_playlist_items i ON i.playlist_id = p.id WHERE p.platform = ? GROUP BY p.id",
        platform)}


def item_counts(rows: Rows, uris: Iterable[str]) -> dict[str, int]:
    """Items per playlist in ``rows``, for the playlist ``uris`` given."""
    wanted = set(uris)
    counts = dict.fromkeys(wanted, 0)
    for uri, _, _ in rows.items:
        if uri in wanted:
            counts[uri] += 1
    return counts


def item_pages(fake: FakeSpotify) -> int:
    return sum(math.ceil(len(p.tracks) / PAGE) for p in fake.playlists)


def liked_offsets(requests: list[RecordedRequest]) -> list[tuple[str | None, str | None]]:
    """(offset, limit) of each ``GET /me/tracks`` in ``requests``."""
    return [(r.query.get("offset"), r.query.get("limit")) for r in requests
            if r.path == "/v1/me/tracks"]


def pages_from(start: int) -> list[tuple[str | None, str | None]]:
    return [(str(at), str(PAGE)) for at in range(start, LIKED, PAGE)]


def items_requests(fake: FakeSpotify,
                   requests: list[RecordedRequest]) -> dict[str, list[str | None]]:
    """The item-page offsets read per playlist name."""
    by_id = {p.id: p.name for p in fake.playlists}
    read: dict[str, list[str | None]] = {}
    for r in requests:
        parts = r.path.split("/")
        if len(parts) == 5 and parts[2] == "playlists" and parts[4] == "items":
            read.setdefault(by_id[parts[3]], []).append(r.query.get("offset"))
    return read


def all_item_offsets(playlists: list[FakePlaylist]) -> dict[str, list[str | None]]:
    return {p.name: [str(at) for at in range(0, len(p.tracks), PAGE)] for p in playlists}


# ---- worlds -----------------------------------------------------------------------------------


def scale_settings(data: Path, url: str) -> Settings:
    return load_settings(data / "absent.toml", {
        "SAM_DATA_DIR": str(data), "SAM_MUSIC_DIR": str(data / "music"),
        "SAM_SPOTIFY_CLIENT_ID": CLIENT_ID, "SAM_SPOTIFY_API_URL": f"{url}/v1",
        "SAM_SPOTIFY_ACCOUNTS_URL": url, "SAM_SPOTIFY_TIMEOUT_S": "10"})


@asynccontextmanager
async def open_world(fake: FakeSpotify, url: str, data: Path) -> AsyncIterator[World]:
    """A paired SpotifyAdapter and a sync service on the SQLite file in ``data``."""
    cfg = scale_settings(data, url)
    cfg.data.dir.mkdir(parents=True, exist_ok=True)
    migrate(cfg.database_path)
    engine = make_engine(cfg.database_path)
    sessions = make_sessionmaker(engine)
    tokens = DbTokenStore.in_data_dir(sessions, Cipher.from_data_dir(cfg.data.dir), cfg.data.dir)
    await pair(tokens, fake)
    adapter = SpotifyAdapter(cfg.spotify, tokens)
    clock = ManualClock(wall=time.time())
    service = LibrarySyncService(sessions, library_sources({"spotify": adapter}), clock,
                                 data_dir=cfg.data.dir)
    try:
        yield World(fake, cfg, sessions, tokens, adapter, service, clock)
    finally:
        await adapter.aclose()
        await engine.dispose()


@dataclass(frozen=True)
class Reference:
    """An uninterrupted full sync of :func:`big_library`."""

    data: Path
    summary: SyncSummary
    rows: Rows
    expected: Rows
    requests: list[RecordedRequest]
    fake: FakeSpotify


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Reference]:
    fake = big_library()
    data = tmp_path_factory.mktemp("reference") / "data"

    async def run(url: str) -> tuple[SyncSummary, Rows]:
        async with open_world(fake, url, data) as world:
            [summary] = await world.service.sync()
            return summary, stored_rows(world.settings.database_path)

    with serve(fake.app) as url:
        summary, rows = asyncio.run(run(url))
    yield Reference(data, summary, rows, expected_rows(fake), list(fake.requests), fake)


@pytest.fixture
def served() -> Iterator[tuple[FakeSpotify, str]]:
    fake = big_library()
    with serve(fake.app) as url:
        yield fake, url


# ---- tests ------------------------------------------------------------------------------------


def test_a_full_sync_stores_every_liked_track_and_playlist_item(reference: Reference) -> None:
    summary, fake = reference.summary, reference.fake
    expected = reference.expected
    assert summary.ok, summary.error
    assert (summary.liked, summary.playlists, summary.skipped, summary.items) == (
        LIKED, PLAYLISTS, 0, len(expected.items))
    assert summary.added == len(expected.tracks) + PLAYLISTS
    assert sum(liked for _, liked in reference.rows.liked()) == LIKED
    assert reference.rows == expected
    # Every page once: the liked summary, 200 liked pages, the user, one page of playlists,
    # then each playlist's item pages (two for those of more than 50 items).
    made = reference.requests
    # Liked pages are read several at once: their order of arrival is not fixed.
    assert sorted(liked_offsets(made)) == sorted([("0", "1"), *pages_from(0)])
    assert [r.path for r in made if not r.path.startswith(("/v1/me/tracks", "/v1/playlists/"))
            ] == ["/v1/me", "/v1/me/playlists"]
    assert items_requests(fake, made) == all_item_offsets(fake.playlists)
    assert len(made) == 1 + LIKED // PAGE + 2 + item_pages(fake)


async def test_a_request_failing_half_way_through_the_liked_pages_resumes_there(
        served: tuple[FakeSpotify, str], tmp_path: Path, reference: Reference) -> None:
    fake, url = served
    half = LIKED // 2

    failing: list[int] = []

    def fail_the_next_page(event: SyncProgress) -> None:
        if event.phase == "liked" and event.done >= half and not failing:
            failing.append(event.done)
            fake.fail_next("GET", "me/tracks", 500)

    async with open_world(fake, url, tmp_path / "data") as world:
        [failed] = await world.service.sync(progress=fail_the_next_page)
        assert failed.status == "failed", failed
        # Pages are read ahead, several at once: the one that failed is the first answered
        # after the fault was set, and every page before it was stored.
        stored = world.count("SELECT count(*) FROM library_tracks WHERE liked")
        assert half <= stored < LIKED and stored % PAGE == 0
        assert world.count("SELECT count(*) FROM library_playlists") == 0
        before = len(fake.requests)
        [resumed] = await world.service.sync()
        assert resumed.ok and resumed.resumed, resumed
        made = fake.requests[before:]
        # The summary, then only the pages that were never stored (a set: under a heavily
        # loaded machine a GET that timed out is sent again, which is not a page re-read).
        assert set(liked_offsets(made)) == {("0", "1"), *pages_from(stored)}
        assert items_requests(fake, made) == all_item_offsets(fake.playlists)
        assert stored_rows(world.settings.database_path) == reference.rows
        assert (resumed.liked, resumed.playlists, resumed.items) == (
            reference.summary.liked, reference.summary.playlists, reference.summary.items)
        assert resumed.added == reference.summary.added  # counted once across both attempts
        assert world.rows("SELECT status FROM sync_runs") == [("ok",)]


class Logged(Protocol):
    path: str
    query: dict[str, str]


def wait_for(requests: Sequence[Logged], wanted: Callable[[Logged], bool],
             proc: subprocess.Popen[bytes], timeout_s: float = 60.0) -> None:
    """Block until a request in ``requests`` (a fake's log, growing) is ``wanted``; fails when
    ``proc`` exits first."""
    deadline = time.monotonic() + timeout_s
    seen = 0
    while time.monotonic() < deadline:
        if any(wanted(r) for r in requests[seen:]):
            return
        seen = len(requests)
        if proc.poll() is not None:
            raise AssertionError(f"sam-edge sync exited ({proc.returncode}) too early")
        time.sleep(0.002)
    raise AssertionError("the awaited request never came")


def kill_at(proc: subprocess.Popen[bytes], requests: Sequence[Logged],
            slow_from: Callable[[Logged], bool], kill_on: Callable[[Logged], bool],
            slow_down: Callable[[float], None]) -> None:
    """SIGKILL ``proc`` while the fake holds the request ``kill_on`` picks: answers are slowed
    from the request ``slow_from`` picks (a little earlier), so the kill lands inside it."""
    try:
        wait_for(requests, slow_from, proc)
        slow_down(0.25)
        wait_for(requests, kill_on, proc)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
        slow_down(0.0)
    assert proc.returncode == -signal.SIGKILL


async def test_a_killed_sam_edge_sync_resumes_without_the_half_read_playlist(
        served: tuple[FakeSpotify, str], tmp_path: Path, reference: Reference) -> None:
    fake, url = served
    data = tmp_path / "data"
    # Killed between the two item pages of a long playlist past the middle of the list.
    at = next(i for i, p in enumerate(fake.playlists) if i >= PLAYLISTS // 2 and
              len(p.tracks) > PAGE)
    target, warning = fake.playlists[at], fake.playlists[at - 2]
    async with open_world(fake, url, data) as world:
        env = {**os.environ, "SAM_DATA_DIR": str(data), "SAM_MUSIC_DIR": str(data / "music"),
               "SAM_CONFIG": str(data / "absent.toml"), "SAM_SPOTIFY_CLIENT_ID": CLIENT_ID,
               "SAM_SPOTIFY_API_URL": f"{url}/v1", "SAM_SPOTIFY_ACCOUNTS_URL": url}
        proc = subprocess.Popen([sys.executable, "-m", "sam_edge.cli", "sync"], env=env,
                                cwd=REPO, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        await asyncio.to_thread(
            kill_at, proc, fake.requests,
            lambda r: r.path == f"/v1/playlists/{warning.id}/items",
            lambda r: (r.path, r.query.get("offset")) == (
                f"/v1/playlists/{target.id}/items", str(PAGE)),
            lambda seconds: setattr(fake, "latency_s", seconds))
        database = world.settings.database_path
        assert world.rows("SELECT status FROM sync_runs") == [("running",)]
        assert world.count("SELECT count(*) FROM library_tracks WHERE liked") == LIKED
        # Playlists are read several at once and stored in their order: what is stored is the
        # first few, each complete, and never the half-read one.
        done = len(stored_item_counts(database))
        assert done <= at
        assert stored_item_counts(database) == item_counts(
            reference.rows, [p.uri for p in fake.playlists[:done]])
        # The killed process's last requests (read ahead, several at once) may still be in the
        # slowed server's hands: let them land before counting the resumed sync's own.
        before = await settled(fake.requests)
        [resumed] = await world.new_service().sync()
        assert resumed.ok and resumed.resumed, resumed
        made = fake.requests[before:]
        assert liked_offsets(made) == []  # the liked phase had been committed as done
        assert items_requests(fake, made) == all_item_offsets(fake.playlists[done:])
        assert stored_rows(database) == reference.rows
        assert world.rows("SELECT status FROM sync_runs") == [("ok",)]


async def test_an_unchanged_library_resyncs_with_three_requests(
        served: tuple[FakeSpotify, str], tmp_path: Path, reference: Reference) -> None:
    fake, url = served
    data = tmp_path / "data"
    shutil.copytree(reference.data, data)
    async with open_world(fake, url, data) as world:
        before = len(fake.requests)
        [again] = await world.service.sync()
        assert again.ok, again.error
        made = [(r.method, r.path, r.query) for r in fake.requests[before:]]
        # The liked summary (total and newest added_at are unchanged, so no liked page), the
        # user id (to tell owned playlists), then one page per 50 playlists, whose snapshots
        # are unchanged, so no item page.
        assert made == [
            ("GET", "/v1/me/tracks", {"limit": "1", "offset": "0"}),
            ("GET", "/v1/me", {}),
            *[("GET", "/v1/me/playlists", {"limit": str(PAGE), "offset": str(at)})
              for at in range(0, PLAYLISTS, PAGE)],
        ]
        assert (again.liked, again.playlists, again.items) == (
            reference.summary.liked, reference.summary.playlists, reference.summary.items)
        assert (again.added, again.updated, again.removed) == (0, 0, 0)
        assert stored_rows(world.settings.database_path) == reference.rows


async def settled(requests: list[Any], *, quiet_s: float = 0.5, within_s: float = 20.0) -> int:
    """How many requests the fake has seen once none has arrived for ``quiet_s``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within_s
    seen = len(requests)
    while loop.time() < deadline:
        await asyncio.sleep(quiet_s)
        if len(requests) == seen:
            return seen
        seen = len(requests)
    return seen
