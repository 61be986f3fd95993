"""The async engine (aiosqlite, WAL, busy timeout) and migrations applied at start-up.

Before a migration changes an existing database, a consistent copy is written next to it
(``sam-edge.sqlite3.before-<rev>``) with SQLite's backup API, so an upgrade never loses data.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from .private import create_private_file, tighten

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")
BUSY_TIMEOUT_MS = 5000
HEAD = "0003"
"""The newest revision; a database already there starts without importing Alembic at all
(it costs the daemon about 10 MB). A test keeps this equal to Alembic's own head."""


def _on_connect(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _alembic_config() -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None
    return head


def _backup(path: Path, revision: str) -> Path:
    target = path.with_name(f"{path.name}.before-{revision}")
    src = sqlite3.connect(path)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()
    return target


def tighten_database(path: Path) -> None:
    """The database and its WAL and shared-memory files, 0600 (SQLite copies the mode)."""
    for extra in ("", "-wal", "-shm", "-journal"):
        tighten([path.with_name(path.name + extra)])


def _stored_revision(path: Path) -> str | None:
    if not path.exists():
        return None
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    return row[0] if row else None


def migrate(path: Path) -> str:
    """Bring the database at ``path`` to the newest schema; returns the revision."""
    create_private_file(path)
    tighten_database(path)
    if _stored_revision(path) == HEAD:
        return HEAD
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    engine = create_engine(f"sqlite:///{path}")
    event.listen(engine, "connect", _on_connect)
    head = head_revision()
    try:
        with engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
            has_tables = bool(
                conn.exec_driver_sql("SELECT count(*) FROM sqlite_master WHERE type='table'")
                .scalar()
            )
        if current == head:
            return head
        if has_tables:
            backup = _backup(path, current or "unversioned")
            log.info("database copied to %s before migrating %s -> %s", backup, current, head)
        with engine.begin() as conn:
            cfg = _alembic_config()
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
        log.info("database at revision %s", head)
        return head
    finally:
        engine.dispose()


def make_engine(path: Path) -> AsyncEngine:
    engine = create_async_engine(f"sqlite+aiosqlite:///{path}")
    event.listen(engine.sync_engine, "connect", _on_connect)
    return engine


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[Any]:
    return async_sessionmaker(engine, expire_on_commit=False)
