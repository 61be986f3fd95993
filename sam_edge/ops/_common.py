"""What the operations share: asking the running service, opening the database beside it."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ..app.core import open_stored
from ..errors import SamError
from ..settings import Settings

SERVICE_TIMEOUT_S = 1.0
STOP_SERVICE = "sudo systemctl stop sam-edge"


class OpsError(SamError):
    code = "ops_error"


class ServiceRunning(OpsError):
    code = "service_running"


def service_get(settings: Settings, path: str, *,
                timeout: float = SERVICE_TIMEOUT_S) -> httpx.Response | None:
    """The running service's answer to ``GET path``, or ``None`` when nothing answers."""
    try:
        return httpx.get(f"{settings.service_url}{path}", timeout=timeout)
    except httpx.HTTPError:
        return None


def service_post(settings: Settings, path: str, *, timeout: float = SERVICE_TIMEOUT_S) -> bool:
    """``POST path`` to the running service (from this machine: no credentials needed)."""
    try:
        return httpx.post(f"{settings.service_url}{path}", timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


def service_json(settings: Settings, path: str, *,
                 timeout: float = SERVICE_TIMEOUT_S) -> dict[str, Any] | None:
    response = service_get(settings, path, timeout=timeout)
    if response is None or response.status_code != 200:
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def check_owner(data_dir: Path) -> None:
    """Refuse to run as root on a data dir that belongs to the service user.

    SQLite and diskcache create their ``-wal``/``-shm`` files as whoever opens them first; files
    left owned by root would stop the service from opening its own database.
    """
    try:
        owner = data_dir.stat().st_uid
    except FileNotFoundError:
        return
    if os.geteuid() == 0 and owner != 0:
        raise OpsError(f"{data_dir} belongs to the service user; run this as that user "
                       "(`sudo sam-edge ...` does) rather than as root")


@asynccontextmanager
async def open_database(settings: Settings) -> AsyncIterator[async_sessionmaker[Any] | None]:
    """Sessions on the existing database, or ``None`` when there is none yet (never creates it)."""
    async with open_stored(settings) as stored:
        try:
            yield None if stored is None else stored.sessions
        except (sqlite3.Error, DBAPIError) as exc:
            raise OpsError(f"the database {settings.database_path} cannot be read: "
                           f"{exc}") from exc


async def tables(session: AsyncSession) -> set[str]:
    rows = await session.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'"))
    return {str(name) for (name,) in rows}


def human_bytes(size: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"
