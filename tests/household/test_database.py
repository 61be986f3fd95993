"""The household store on a real PostgreSQL: the same Alembic migrations as the SQLite file,
the token store (encrypted with the household key), the library and the search cache's durable
tier, all through asyncpg."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from sam_edge.accounts.secrets import load_or_create_key
from sam_edge.accounts.store import DbTokenStore
from sam_edge.accounts.tokens import TokenSet
from sam_edge.cache.store import SearchCacheStore
from sam_edge.db.engine import head_revision, make_engine, make_sessionmaker, migrate
from sam_edge.errors import ConfigError
from sam_edge.household.database import (
    KEY_FILE,
    async_url,
    check_database,
    household_cipher,
    make_household_engine,
    migrate_household,
)
from sam_edge.platforms.base import Track
from sam_edge.sync.source import LibraryItem
from sam_edge.sync.store import LibraryStore


def _tables(sync_conn: object) -> set[str]:
    return set(inspect(sync_conn).get_table_names())


async def test_the_same_migrations_make_the_same_tables_on_both(
        fresh_database: str, tmp_path: Path) -> None:
    migrate(tmp_path / "one.sqlite3")
    lite = make_engine(tmp_path / "one.sqlite3")
    pg = make_household_engine(fresh_database)
    try:
        assert await migrate_household(pg) == head_revision()
        assert await migrate_household(pg) == head_revision()  # twice is harmless
        async with lite.connect() as a, pg.connect() as b:
            assert await a.run_sync(_tables) == await b.run_sync(_tables)
            version = (await b.execute(text("SELECT version_num FROM alembic_version"))).scalar()
        assert version == head_revision()
    finally:
        await lite.dispose()
        await pg.dispose()


async def test_tokens_library_and_cache_live_in_postgresql(database_url: str,
                                                           tmp_path: Path) -> None:
    load_or_create_key(tmp_path / KEY_FILE)
    engine = make_household_engine(database_url)
    await migrate_household(engine)
    sessions = make_sessionmaker(engine)
    try:
        tokens = DbTokenStore(sessions, household_cipher(tmp_path))
        await tokens.save("spotify", TokenSet("access-1", "refresh-1", 2e9, "user-read"))
        loaded = await tokens.load("spotify")
        assert loaded is not None and loaded.refresh_token == "refresh-1"
        async with engine.connect() as conn:
            stored = (await conn.execute(text(
                "SELECT refresh_token FROM platform_accounts"))).scalar()
        assert stored and "refresh-1" not in stored  # encrypted at rest
        cache = SearchCacheStore(sessions)
        track = Track("spotify:track:1", "Hey Jude", "The Beatles", "spotify", "track")
        await cache.put("h1", "hey jude", track, now=100.0, ttl_s=60)
        await cache.put("h1", "hey jude", track, now=110.0, ttl_s=60)  # upsert on PostgreSQL
        assert await cache.get("h1", "spotify", 120.0) == track
        library = LibraryStore(sessions)
        run = await library.start_run("spotify", 1.0)
        await library.save_liked_page("spotify", run.id, [LibraryItem("spotify:track:1", "Hey")],
                                      1.0, None)
        assert await library.liked_count("spotify") == 1
    finally:
        await engine.dispose()


async def test_an_unreachable_or_malformed_url_is_a_one_line_error() -> None:
    with pytest.raises(ConfigError) as caught:
        await check_database("postgresql://nobody@127.0.0.1:1/none")
    assert "\n" not in caught.value.message and "does not answer" in caught.value.message
    with pytest.raises(ConfigError):
        async_url("mysql://x@y:1/z")
