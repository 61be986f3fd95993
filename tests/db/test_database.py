"""Migrations, the backup before an upgrade, and tokens encrypted at rest."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

from sam_edge.accounts.secrets import KEY_FILE, Cipher
from sam_edge.accounts.store import DbTokenStore
from sam_edge.accounts.tokens import TokenSet
from sam_edge.db.engine import head_revision, make_engine, make_sessionmaker, migrate

ACCESS = "BQD-access-token-plaintext-7d1f"
REFRESH = "AQC-refresh-token-plaintext-93ab"


def test_migrate_creates_tables_and_is_idempotent(tmp_path: Path) -> None:
    db = tmp_path / "sam.sqlite3"
    assert migrate(db) == head_revision()
    assert migrate(db) == head_revision()
    tables = {r[0] for r in sqlite3.connect(db).execute(
        "SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"users", "platform_accounts", "search_cache", "dialog_turns"} <= tables
    assert not list(tmp_path.glob("*.before-*"))
    mode = sqlite3.connect(db).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_existing_database_is_copied_aside_before_migrating(tmp_path: Path) -> None:
    db = tmp_path / "sam.sqlite3"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    conn.execute("INSERT INTO notes (body) VALUES ('keep me')")
    conn.commit()
    conn.close()
    migrate(db)
    backup = tmp_path / "sam.sqlite3.before-unversioned"
    assert backup.exists()
    assert sqlite3.connect(backup).execute("SELECT body FROM notes").fetchone() == ("keep me",)
    assert sqlite3.connect(db).execute("SELECT body FROM notes").fetchone() == ("keep me",)


async def _store(tmp_path: Path) -> tuple[DbTokenStore, object]:
    db = tmp_path / "sam.sqlite3"
    migrate(db)
    engine = make_engine(db)
    return DbTokenStore(make_sessionmaker(engine), Cipher.from_data_dir(tmp_path)), engine


async def test_tokens_round_trip_and_are_never_plain_text(tmp_path: Path) -> None:
    store, engine = await _store(tmp_path)
    tokens = TokenSet(ACCESS, REFRESH, 1_900_000_000.0, "user-read-playback-state",
                      "uid", "Asha")
    await store.save("spotify", tokens)
    assert await store.load("spotify") == tokens
    assert await store.paired("spotify")
    await engine.dispose()  # type: ignore[attr-defined]
    for path in tmp_path.rglob("*"):
        if path.is_file():
            blob = path.read_bytes()
            assert ACCESS.encode() not in blob, path
            assert REFRESH.encode() not in blob, path
    key_mode = stat.S_IMODE((tmp_path / KEY_FILE).stat().st_mode)
    assert key_mode == 0o600


async def test_rotated_refresh_token_replaces_the_old_one(tmp_path: Path) -> None:
    store, engine = await _store(tmp_path)
    first = TokenSet(ACCESS, REFRESH, 1.0)
    await store.save("spotify", first)
    await store.save("spotify", first.rotated("new-access", "new-refresh", 3600, now=10.0))
    loaded = await store.load("spotify")
    assert loaded is not None
    assert (loaded.access_token, loaded.refresh_token, loaded.expires_at) == (
        "new-access", "new-refresh", 3610.0)
    await engine.dispose()  # type: ignore[attr-defined]


async def test_lost_key_means_pair_again_not_a_crash(tmp_path: Path) -> None:
    store, engine = await _store(tmp_path)
    await store.save("spotify", TokenSet(ACCESS, REFRESH, 1.0))
    await engine.dispose()  # type: ignore[attr-defined]
    (tmp_path / KEY_FILE).unlink()
    store2, engine2 = await _store(tmp_path)
    assert await store2.load("spotify") is None
    assert not await store2.paired("spotify")
    info = await store2.info("spotify")
    assert info is not None and not info.readable
    await engine2.dispose()  # type: ignore[attr-defined]


def test_damaged_key_file_is_replaced_and_kept_aside(tmp_path: Path) -> None:
    (tmp_path / KEY_FILE).write_text("not a fernet key")
    cipher = Cipher.from_data_dir(tmp_path)
    assert cipher.decrypt(cipher.encrypt("x")) == "x"
    assert (tmp_path / (KEY_FILE + ".broken")).exists()


def test_the_fast_path_head_matches_alembic() -> None:
    from sam_edge.db.engine import HEAD

    assert head_revision() == HEAD
