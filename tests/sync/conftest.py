"""A synced-library world: a fake platform over real HTTP (Spotify unless a test says otherwise),
the real adapter and token store, and a real SQLite file in the test's data directory."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from sam_edge.accounts.secrets import Cipher
from sam_edge.accounts.store import DbTokenStore
from sam_edge.accounts.tokens import TokenSet
from sam_edge.app.library_sources import library_sources
from sam_edge.clock import ManualClock
from sam_edge.db.engine import make_engine, make_sessionmaker, migrate
from sam_edge.platforms.spotify.adapter import SpotifyAdapter
from sam_edge.settings import Settings, load_settings
from sam_edge.sync.service import LibrarySyncService
from tests.fakes.server import serve
from tests.fakes.spotify import CLIENT_ID, FakeSpotify

LIKED = 120
"""More than two pages of 50."""
LONG_DRIVE = 60
"""More than one page of playlist items."""


def seeded_fake() -> FakeSpotify:
    fake = FakeSpotify()
    fake.add_track("Nuvvu Nenantu", "Karthik", "Telugu Melodies")
    start = datetime(2025, 1, 1, tzinfo=UTC)
    for i in range(LIKED):
        track = fake.add_track(f"Liked Song {i:03d}", f"Artist {i % 7}")
        fake.add_liked(track, added_at=(start + timedelta(hours=i)).strftime("%Y-%m-%dT%H:%M:%SZ"))
    road = [fake.add_track(name, "Blur") for name in ("Song 2", "Parklife", "Beetlebum")]
    fake.add_playlist("Road Trip", [*road, fake.track("Liked Song 000")])
    drive = [fake.add_track(f"Drive Song {i:02d}", "The Drivers") for i in range(LONG_DRIVE)]
    fake.add_playlist("Long Drive", drive)
    hits = [fake.add_track("Blinding Lights", "The Weeknd"), fake.add_track("Yellow", "Coldplay")]
    fake.add_playlist("Today's Top Hits", hits, owned=False)
    return fake


OWNED_ITEMS = 4 + LONG_DRIVE


@pytest.fixture
def served() -> Iterator[tuple[FakeSpotify, str]]:
    fake = seeded_fake()
    with serve(fake.app) as url:
        yield fake, url


def sync_settings(settings: Settings, url: str, **env: str) -> Settings:
    base = {
        "SAM_DATA_DIR": str(settings.data.dir),
        "SAM_MUSIC_DIR": str(settings.music.dir),
        "SAM_SPOTIFY_CLIENT_ID": CLIENT_ID,
        "SAM_SPOTIFY_API_URL": f"{url}/v1",
        "SAM_SPOTIFY_ACCOUNTS_URL": url,
        "SAM_SPOTIFY_TIMEOUT_S": "5",
    }
    return load_settings(settings.data.dir / "absent.toml", {**base, **env})


async def pair(tokens: DbTokenStore, fake: FakeSpotify) -> None:
    issued = fake.issue_tokens()
    await tokens.save("spotify", TokenSet(
        issued["access_token"], issued["refresh_token"], time.time() + issued["expires_in"],
        issued["scope"], fake.user_id, fake.display_name))


@dataclass
class World:
    fake: Any
    settings: Settings
    sessions: Any
    tokens: DbTokenStore
    adapter: Any
    service: LibrarySyncService
    clock: ManualClock
    platform: str = "spotify"

    @property
    def database(self) -> Path:
        return self.settings.database_path

    def rows(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        conn = sqlite3.connect(self.settings.database_path)
        try:
            return conn.execute(sql, args).fetchall()
        finally:
            conn.close()

    def count(self, sql: str, *args: Any) -> int:
        return int(self.rows(sql, *args)[0][0])

    def new_service(self) -> LibrarySyncService:
        return LibrarySyncService(self.sessions, library_sources({self.platform: self.adapter}),
                                  self.clock, data_dir=self.settings.data.dir)


@pytest.fixture
async def world(settings: Settings, served: tuple[FakeSpotify, str]) -> AsyncIterator[World]:
    fake, url = served
    cfg = sync_settings(settings, url)
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
    yield World(fake, cfg, sessions, tokens, adapter, service, clock)
    await adapter.aclose()
    await engine.dispose()
