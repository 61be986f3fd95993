"""Revision 0002 (the library tables) on a database that already has 0001 and data in it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine

from sam_edge.db.engine import HEAD, _alembic_config, migrate
from sam_edge.db.models import Base

LIBRARY = {"library_tracks", "library_playlists", "library_playlist_items", "sync_runs"}


def _alembic(db: Path, action: str, revision: str) -> None:
    engine = create_engine(f"sqlite:///{db}")
    try:
        with engine.begin() as conn:
            cfg = _alembic_config()
            cfg.attributes["connection"] = conn
            getattr(command, action)(cfg, revision)
    finally:
        engine.dispose()


def _tables(db: Path) -> set[str]:
    conn = sqlite3.connect(db)
    try:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        conn.close()


def _a_0001_database_in_use(db: Path) -> None:
    _alembic(db, "upgrade", "0001")
    conn = sqlite3.connect(db)
    conn.executescript("""
        INSERT INTO users (id, name, created_at) VALUES ('u1', 'owner', 1.0);
        INSERT INTO platform_accounts (user_id, platform_name, account_id, display_name,
            access_token, refresh_token, expires_at, scope, meta_data, updated_at)
            VALUES ('u1', 'spotify', 'sam', 'Sam', 'enc-a', 'enc-r', 2.0, '', '{}', 3.0);
        INSERT INTO search_cache (query_hash, query_text, platform, kind, result_uri, title,
            created_at, expires_at) VALUES ('h', 'hello', 'spotify', 'track', 'spotify:track:1',
            'Hello', 1.0, 9e9);
        INSERT INTO dialog_turns (session_id, created_at, user_text, action, parameters)
            VALUES ('s', 1.0, 'play hello', 'PLAY', '{}');
        INSERT INTO device_state (key, value, updated_at) VALUES ('platform', 'spotify', 1.0);
    """)
    conn.commit()
    conn.close()


def _kept(db: Path) -> list[object]:
    conn = sqlite3.connect(db)
    try:
        return [
            conn.execute("SELECT refresh_token FROM platform_accounts").fetchall(),
            conn.execute("SELECT title FROM search_cache").fetchall(),
            conn.execute("SELECT user_text FROM dialog_turns").fetchall(),
            conn.execute("SELECT value FROM device_state").fetchall(),
        ]
    finally:
        conn.close()


EXPECTED = [[("enc-r",)], [("Hello",)], [("play hello",)], [("spotify",)]]


def test_upgrading_a_0001_database_keeps_its_rows_and_backs_it_up(tmp_path: Path) -> None:
    db = tmp_path / "sam-edge.sqlite3"
    _a_0001_database_in_use(db)
    assert not _tables(db) & LIBRARY

    assert HEAD == "0003"
    assert migrate(db) == "0003"

    assert _kept(db) == EXPECTED
    assert _tables(db) >= LIBRARY
    backup = tmp_path / "sam-edge.sqlite3.before-0001"
    assert backup.exists()
    assert _kept(backup) == EXPECTED and not _tables(backup) & LIBRARY
    assert migrate(db) == "0003"  # the fast path: no second backup, nothing to do
    assert sorted(p.name for p in tmp_path.glob("*.before-*")) == [backup.name]


def test_downgrade_and_upgrade_again(tmp_path: Path) -> None:
    db = tmp_path / "sam-edge.sqlite3"
    _a_0001_database_in_use(db)
    migrate(db)
    _alembic(db, "downgrade", "0001")
    assert not _tables(db) & LIBRARY and _kept(db) == EXPECTED
    _alembic(db, "upgrade", "head")
    assert _tables(db) >= LIBRARY and _kept(db) == EXPECTED


def test_the_migrations_build_exactly_the_models(tmp_path: Path) -> None:
    db = tmp_path / "sam-edge.sqlite3"
    migrate(db)
    engine = create_engine(f"sqlite:///{db}")
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        engine.dispose()
    assert diff == []
