"""The household's PostgreSQL store: the async engine (asyncpg) and the same Alembic migrations
the embedded SQLite file runs.

Two devices starting at once may both find the schema behind: the upgrade runs under a
transaction-scoped advisory lock, so the second waits and then finds nothing to do.
"""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from ..accounts.secrets import Cipher, load_or_create_key
from ..errors import ConfigError

log = logging.getLogger(__name__)

MIGRATION_LOCK = 0x5A3E_0013
"""The advisory lock key migrations hold (any constant the household's database agrees on)."""
CONNECT_TIMEOUT_S = 5.0


def async_url(url: str) -> str:
    """``postgresql://user@host:port/db`` as SQLAlchemy's asyncpg URL."""
    if not url.startswith("postgresql://"):
        raise ConfigError(f"not a PostgreSQL URL: {url} (postgresql://user@host:port/db)")
    return "postgresql+asyncpg://" + url.removeprefix("postgresql://")


def make_household_engine(url: str) -> AsyncEngine:
    return create_async_engine(
        async_url(url), pool_pre_ping=True, pool_size=5, max_overflow=5,
        connect_args={"timeout": CONNECT_TIMEOUT_S, "command_timeout": 30})


def _upgrade(connection: Connection) -> None:
    from alembic import command

    from ..db.engine import _alembic_config

    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
    cfg = _alembic_config()
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, "head")


async def migrate_household(engine: AsyncEngine) -> str:
    """Bring the household's database to the newest schema; returns the revision."""
    from ..db.engine import head_revision

    async with engine.begin() as conn:
        await conn.run_sync(_upgrade)
    head = head_revision()
    log.info("household database at revision %s", head)
    return head


async def check_database(url: str) -> None:
    """Raises ``ConfigError`` (one line) when the server does not answer."""
    engine = make_household_engine(url)
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:
        raise ConfigError(f"the household database at {url} does not answer "
                          f"({type(exc).__name__})") from exc
    finally:
        await engine.dispose()


KEY_FILE = "household.key"
"""The household's token key on each device (0600 in the data dir, never in the config)."""


def household_cipher(data_dir: Path) -> Cipher:
    path = data_dir / KEY_FILE
    if not path.exists():
        raise ConfigError(f"this device has no household key ({path}): run sam-edge household "
                          "join again")
    return Cipher(load_or_create_key(path))


def unreachable(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) says the server could not be reached."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError | TimeoutError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


async def open_household_store(database_url: str, data_dir: Path) -> tuple[AsyncEngine, Cipher]:
    """The migrated household database and the household's token cipher."""
    cipher = household_cipher(data_dir)
    engine = make_household_engine(database_url)
    try:
        await migrate_household(engine)
    except Exception as exc:
        if unreachable(exc):
            # A device that joined has a migrated store: it starts from what it keeps and
            # reaches the store again when it answers.
            log.warning("household store offline at start (%s)", type(exc).__name__)
            return engine, cipher
        await engine.dispose()
        raise ConfigError(f"the household database at {database_url} cannot be opened "
                          f"({type(exc).__name__}: {exc})".splitlines()[0]) from exc
    return engine, cipher
