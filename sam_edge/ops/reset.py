"""``sam-edge forget`` (dialog history and transcripts) and ``sam-edge reset`` (factory state).

``forget`` works beside a running service. ``reset`` deletes the files the service holds open,
so it refuses while the service answers. It deletes only what SAM Edge itself keeps in the data
dir and names anything else it finds there, so a data dir shared with other files is safe.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from ..accounts.secrets import KEY_FILE
from ..app.core import open_stored
from ..db.history import HistoryStore
from ..settings import Settings, config_path
from ._common import (
    STOP_SERVICE,
    OpsError,
    ServiceRunning,
    check_owner,
    service_get,
    service_post,
    tables,
)

LAST_TURN_FILES = ("last_turn.json", "transcripts")
"""Files in the data dir that hold transcripts outside the database (none are written today;
listed so that ``forget`` stays complete when one is)."""

# What SAM Edge keeps in its data dir, by what it is (names relative to the data dir).
_STATE: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("the token key", (KEY_FILE, f"{KEY_FILE}.broken", "accounts.stamp")),
    ("the web sign-in key and pairing code", ("web.key", "pairing-code")),
    ("the hot cache", ("cache",)),
    ("the phrase cache", ("phrases",)),
    ("pending pairings", ("pairing",)),
    ("run-time files", ("run", "sync.lock")),
    ("the sync schedule", ("huey.sqlite3", "huey.sqlite3-wal", "huey.sqlite3-shm",
                           "library.stamp")),
    ("stored transcripts", LAST_TURN_FILES),
)


def _secure_delete(dbapi_conn: Any, _record: Any) -> None:
    # Deleted rows are overwritten with zeros instead of lingering in free pages.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA secure_delete=ON")
    cur.close()


def _remove(path: Path) -> bool:
    if path.is_symlink() or path.is_file():
        path.unlink()
        return True
    if path.is_dir():
        shutil.rmtree(path)
        return True
    return False


async def _forget_turns(settings: Settings) -> int:
    if not settings.database_path.exists():
        return 0
    try:
        async with open_stored(settings, on_connect=_secure_delete) as stored:
            if stored is None:
                return 0
            async with stored.sessions() as session:
                if "dialog_turns" not in await tables(session):
                    return 0
            count = await HistoryStore(stored.sessions).forget()
            async with stored.engine.connect() as conn:
                # Best effort: a reader in the service may keep old pages in the WAL longer.
                await conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
            return count
    except (sqlite3.Error, DBAPIError) as exc:
        raise OpsError(f"the database {settings.database_path} cannot be changed: {exc}") from exc


def forget(settings: Settings) -> str:
    """Erase the dialog history (``dialog_turns``) and any stored transcripts; a summary."""
    check_owner(settings.data.dir)
    count = asyncio.run(_forget_turns(settings))
    files = [name for name in LAST_TURN_FILES if _remove(settings.data.dir / name)]
    lines = [f"Forgot {count} dialog turn{'s' if count != 1 else ''}"
             + (f" and removed {', '.join(files)}." if files else ".")]
    if service_get(settings, "/health") is not None:
        if service_post(settings, "/v1/forget"):
            lines.append("The running service forgot what it showed too.")
        else:
            lines.append("The running service still shows its last turn on its page until it "
                         "restarts: sudo systemctl restart sam-edge")
    return "\n".join(lines)


def _database_files(settings: Settings) -> list[Path]:
    db = settings.database_path
    names = [db, *(db.with_name(db.name + s) for s in ("-wal", "-shm", "-journal"))]
    return [*names, *sorted(db.parent.glob(f"{db.name}.before-*"))]


def _kept(settings: Settings, config: Path) -> set[Path]:
    """Entries of the data dir that hold the config file or the music folder."""
    data = settings.data.dir.resolve()
    kept = set()
    for path in (config, settings.music.dir):
        path = path.expanduser().resolve()
        if path.is_relative_to(data) and path != data:
            kept.add(data / path.relative_to(data).parts[0])
    return kept


def reset(settings: Settings, *, config: Path | None = None) -> str:
    """Back to factory state: database, token key, caches, pairings; the config stays.

    Raises :class:`ServiceRunning` while the service answers on its port.
    """
    if service_get(settings, "/health") is not None:
        raise ServiceRunning(f"SAM Edge is running at {settings.service_url}; "
                             f"stop the service first: {STOP_SERVICE}")
    data = settings.data.dir
    config = config if config is not None else config_path(None, os.environ)
    if not data.exists():
        return f"Nothing to reset: {data} does not exist."
    check_owner(data)
    kept = _kept(settings, config)
    done: list[str] = []
    if any([_remove(p) for p in _database_files(settings)]):
        done.append("the database (accounts, history, library, search cache)")
    for what, names in _STATE:
        paths = [data / name for name in names if data.resolve() / name not in kept]
        if any([_remove(p) for p in paths]):
            done.append(what)
    if settings.cache.dir:  # caches kept outside the data dir (systemd CacheDirectory)
        outside = [settings.cache_dir, settings.phrase_cache_dir]
        if any([_remove(p) for p in outside]):
            done.append(f"the caches in {settings.cache.dir}")
    others = sorted(p.name for p in data.iterdir() if p.resolve() not in kept)
    lines = [f"Reset {data}: removed {', '.join(done)}." if done
             else f"Nothing to reset in {data}."]
    lines.append(f"Kept the config file {config}." if config.exists()
                 else "There is no config file to keep.")
    if others:
        lines.append(f"Left in place (not SAM Edge's own): {', '.join(others)}.")
    lines.append("Start again with: sudo systemctl start sam-edge")
    return "\n".join(lines)
