"""The search cache's shared tier when the household store may be unreachable.

:class:`ResilientStore` is the shared ``search_cache`` table with a fallback: a read that fails
(the server is down, or does not answer within ``timeout_s``) is a miss, so the device keeps
answering from its own diskcache hot tier and the platforms; a write that fails is kept in a
``diskcache.Deque`` in the data dir (it survives a restart) and written when the store answers
again, oldest first. ``status`` is ``ok`` or :data:`OFFLINE`, for ``/health``; each listener
added with :meth:`ResilientStore.add_listener` is told ``online`` when it changes (the LED), and
:meth:`ResilientStore.probe` finds an outage while no turn reads the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import async_sessionmaker

from ..cache.store import SearchCacheStore
from ..db.history import DeviceStateStore, HistoryStore, StoredTurn
from ..platforms.base import Track

log = logging.getLogger(__name__)

OFFLINE = "household store offline"
PENDING_DIR = "household-pending"
TIMEOUT_S = 2.0
RETRY_S = 5.0
UNREACHABLE = (OSError, SQLAlchemyError, TimeoutError, ConnectionError)


class ResilientStore(SearchCacheStore):
    def __init__(self, sessions: async_sessionmaker[Any], data_dir: Path, *,
                 timeout_s: float = TIMEOUT_S, retry_s: float = RETRY_S) -> None:
        super().__init__(sessions)
        from diskcache import Deque

        self.pending: Deque = Deque(directory=str(data_dir / PENDING_DIR))
        self.timeout_s = timeout_s
        self.retry_s = retry_s
        self.online = True
        self._retrying: asyncio.Task[None] | None = None
        self._listeners: list[Callable[[bool], None]] = []
        self._left_over = len(self.pending) > 0
        """Writes kept by an earlier run: written at the first read."""

    @property
    def status(self) -> str:
        return "ok" if self.online else OFFLINE

    def add_listener(self, listener: Callable[[bool], None]) -> None:
        """``listener(online)`` now and at every change, on the event loop."""
        self._listeners.append(listener)
        listener(self.online)

    def _tell(self) -> None:
        for listener in self._listeners:
            try:
                listener(self.online)
            except Exception:
                log.exception("a household store listener failed")

    async def probe(self) -> bool:
        """Whether the store answers a trivial read now; an outage found starts the retries."""
        if not self.online:
            return False
        try:
            async with asyncio.timeout(self.timeout_s), self._sessions() as session:
                await session.execute(text("SELECT 1"))
        except UNREACHABLE as exc:
            self._down(exc)
            return False
        return True

    def _down(self, exc: BaseException) -> None:
        if self.online:
            log.warning("%s (%s): answering from this device's cache", OFFLINE,
                        type(exc).__name__)
            self.online = False
            self._tell()
        if self._retrying is None or self._retrying.done():
            self._retrying = asyncio.get_running_loop().create_task(self._retry())

    async def get(self, query_hash: str, platform: str, now: float) -> Track | None:
        if not self.online:  # a miss at once: the retry task says when the store is back
            return None
        if self._left_over:
            self._left_over = False
            self._down(ConnectionError("writes left from an earlier run"))
            return None
        try:
            async with asyncio.timeout(self.timeout_s):
                found = await super().get(query_hash, platform, now)
        except UNREACHABLE as exc:
            self._down(exc)
            return None
        return found

    async def put(self, query_hash: str, query_text: str, track: Track, *, now: float,
                  ttl_s: float) -> None:
        entry = (query_hash, query_text, track, now, ttl_s)
        if not self.online or len(self.pending):
            self.pending.append(entry)  # after what waits already: the order is kept
            self._down(ConnectionError("store offline"))
            return
        try:
            async with asyncio.timeout(self.timeout_s):
                await super().put(query_hash, query_text, track, now=now, ttl_s=ttl_s)
        except UNREACHABLE as exc:
            self.pending.append(entry)
            self._down(exc)

    async def recent_titles(self, limit: int = 100) -> list[str]:
        try:
            async with asyncio.timeout(self.timeout_s):
                return await super().recent_titles(limit)
        except UNREACHABLE as exc:
            self._down(exc)
            return []

    async def flush(self) -> int:
        """Write what waits; returns how many were written (stops at the first failure)."""
        written = 0
        while len(self.pending):
            query_hash, query_text, track, now, ttl_s = self.pending[0]
            async with asyncio.timeout(self.timeout_s):
                await super().put(query_hash, query_text, track, now=now, ttl_s=ttl_s)
            self.pending.popleft()
            written += 1
        return written

    async def _retry(self) -> None:
        while True:
            await asyncio.sleep(self.retry_s)
            try:
                written = await self.flush()
            except UNREACHABLE:
                continue
            self.online = True
            self._tell()
            log.info("household store back: %d cached searches written", written)
            return

    async def aclose(self) -> None:
        if self._retrying is not None:
            self._retrying.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._retrying
        self.pending.cache.close()


class ResilientHistory(HistoryStore):
    """Dialog history in the household store, per device: only this device writes its sessions,
    so a session read once is kept in memory and written through (a turn reads no table). While
    the store is unreachable a turn is kept in memory only (it is context, not data to keep)."""

    KEEP = 50
    remembers = True
    """Turns added are read back from memory: the next turn need not wait for the write."""

    def __init__(self, sessions: async_sessionmaker[Any]) -> None:
        super().__init__(sessions)
        self._kept: dict[str, list[StoredTurn]] = {}

    async def recent(self, session_id: str, *, limit: int, newer_than: float) -> list[StoredTurn]:
        kept = self._kept.get(session_id)
        if kept is None:
            try:
                async with asyncio.timeout(TIMEOUT_S):
                    kept = await super().recent(session_id, limit=self.KEEP, newer_than=0.0)
            except UNREACHABLE as exc:
                log.debug("%s: no dialog history (%s)", OFFLINE, type(exc).__name__)
                return []
            self._kept[session_id] = kept
        return [t for t in kept if t.created_at >= newer_than][-limit:] if limit else []

    async def add(self, turn: StoredTurn, *, keep_newer_than: float) -> None:
        kept = self._kept.get(turn.session_id)
        if kept is not None:
            kept.append(turn)
            del kept[:-self.KEEP]
        try:
            async with asyncio.timeout(TIMEOUT_S):
                await super().add(turn, keep_newer_than=keep_newer_than)
        except UNREACHABLE as exc:
            log.debug("%s: turn not kept (%s)", OFFLINE, type(exc).__name__)

    async def forget(self) -> int:
        self._kept.clear()
        return await super().forget()


class ResilientDeviceState(DeviceStateStore):
    """The device's small state; remembered in memory too, so an outage changes nothing."""

    def __init__(self, sessions: async_sessionmaker[Any]) -> None:
        super().__init__(sessions)
        self._known: dict[str, str] = {}

    async def get(self, key: str) -> str | None:
        try:
            async with asyncio.timeout(TIMEOUT_S):
                value = await super().get(key)
        except UNREACHABLE:
            return self._known.get(key)
        if value is not None:
            self._known[key] = value
        return value

    async def set(self, key: str, value: str) -> None:
        self._known[key] = value
        try:
            async with asyncio.timeout(TIMEOUT_S):
                await super().set(key, value)
        except UNREACHABLE as exc:
            log.warning("%s: %s kept on this device only (%s)", OFFLINE, key,
                        type(exc).__name__)
