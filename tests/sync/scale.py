"""What the library sync tests at scale share, whatever the platform: a realistic vocabulary of
titles and artists, the library rows as stored in SQLite, a paired world to sync in, the
uninterrupted reference sync, and killing a ``sam-edge sync`` process in the middle of a
request."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sqlite3
import subprocess
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, asynccontextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from sam_edge.accounts.secrets import Cipher
from sam_edge.accounts.store import DbTokenStore
from sam_edge.app.library_sources import library_sources
from sam_edge.clock import ManualClock
from sam_edge.db.engine import make_engine, make_sessionmaker, migrate
from sam_edge.settings import Settings, load_settings
from sam_edge.sync.service import LibrarySyncService, SyncSummary
from tests.fakes.server import serve
from tests.sync.conftest import World

REPO = Path(__file__).resolve().parents[2]
LIKED = 10_000
PLAYLISTS = 50


VOCABULARY = (
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

WORDS = VOCABULARY.split()

SUFFIXES = (" - 2011 Remaster", " (Live)", " (feat. Nova)", " - Radio Edit", " (Acoustic)")

def stamp(at: int) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

def unique_titles(rng: random.Random) -> Iterator[str]:
    """Distinct song titles of two to four words, one in twenty with a version suffix."""
    seen: set[str] = set()
    while True:
        title = " ".join(w.title() for w in rng.sample(WORDS, rng.randint(2, 4)))
        if rng.random() < 0.05:
            title += rng.choice(SUFFIXES)
        if title not in seen:
            seen.add(title)
            yield title

def artist_names(rng: random.Random, count: int) -> list[str]:
    names: set[str] = set()
    while len(names) < count:
        names.add(f"The {rng.choice(WORDS).title()} {rng.choice(WORDS).title()}s")
    return sorted(names)

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


# ---- worlds -----------------------------------------------------------------------------------


@asynccontextmanager
async def open_world(fake: Any, data: Path, env: dict[str, str], *, platform: str,
                     adapter: Callable[[Settings, DbTokenStore, ManualClock], Any],
                     pair: Callable[[DbTokenStore, ManualClock], Awaitable[None]],
                     ) -> AsyncIterator[World]:
    """A paired adapter of ``platform`` and a sync service on the SQLite file in ``data``."""
    cfg = load_settings(data / "absent.toml", env)
    cfg.data.dir.mkdir(parents=True, exist_ok=True)
    migrate(cfg.database_path)
    engine = make_engine(cfg.database_path)
    sessions = make_sessionmaker(engine)
    tokens = DbTokenStore.in_data_dir(sessions, Cipher.from_data_dir(cfg.data.dir), cfg.data.dir)
    clock = ManualClock(wall=time.time())
    await pair(tokens, clock)
    made = adapter(cfg, tokens, clock)
    service = LibrarySyncService(sessions, library_sources({platform: made}), clock,
                                 data_dir=cfg.data.dir)
    try:
        yield World(fake, cfg, sessions, tokens, made, service, clock, platform)
    finally:
        await made.aclose()
        await engine.dispose()


@dataclass(frozen=True)
class Reference:
    """An uninterrupted full sync of a big library."""

    data: Path
    summary: SyncSummary
    rows: Rows
    expected: Rows
    requests: list[Any]
    fake: Any


def reference_sync(fake: Any, data: Path, world: Callable[[str, Path], Any], platform: str,
                   expected: Rows,
                   quiet: Callable[[], AbstractContextManager[None]] = nullcontext,
                   ) -> Reference:
    """Sync ``fake`` served over HTTP once into ``data``, from nothing to the end."""

    async def run(url: str) -> tuple[SyncSummary, Rows]:
        async with world(url, data) as opened:
            [summary] = await opened.service.sync()
            return summary, stored_rows(opened.settings.database_path, platform)

    with quiet(), serve(fake.app) as url:
        summary, rows = asyncio.run(run(url))
    return Reference(data, summary, rows, expected, list(fake.requests), fake)
