"""LibrarySyncService: copies each paired platform's liked tracks and playlists into SQLite.

A run reads the liked tracks (skipped when their count and newest ``added_at`` are what the last
good run saw), then the playlists page by page (items read only for playlists whose snapshot
changed; a playlist the platform will not show is counted as skipped), then drops what is gone;
how the pages are read, several at once, is :mod:`.phases`.
Every page and every playlist is committed with the run's cursor, so a run that crashed or
failed is resumed by the next one. One run at a time per data directory, across processes
(:class:`~.lock.SyncLock`); a second one gets :class:`~.lock.SyncBusy`.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import async_sessionmaker

from ..actions.platform_choice import label
from ..clock import Clock, SystemClock
from ..db.models import SyncRun
from ..errors import NeedsPairing, PlatformError, SamError
from .lock import SyncBusy, SyncLock
from .phases import Phases, Report
from .source import LibrarySource
from .store import LIBRARY_STAMP, LibraryStore

log = logging.getLogger(__name__)

SYNC_LOCK = "library-sync"
RESUME_WITHIN_S = 24 * 3600.0
"""An unfinished run older than this starts over instead of resuming."""


class SharedLock(Protocol):
    def hold(self, name: str) -> AbstractAsyncContextManager[None]: ...


@dataclass(frozen=True, slots=True)
class SyncProgress:
    platform: str
    phase: str
    """``liked`` or ``playlists``."""
    done: int
    total: int | None


ProgressFn = Callable[[SyncProgress], None]


@dataclass(frozen=True, slots=True)
class SyncSummary:
    """One platform's run: what the library holds now and what the run changed."""

    platform: str
    status: str
    """``ok``, ``failed`` or ``interrupted`` (resumed by the next sync)."""
    liked: int = 0
    playlists: int = 0
    skipped: int = 0
    items: int = 0
    added: int = 0
    updated: int = 0
    removed: int = 0
    seconds: float = 0.0
    resumed: bool = False
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def line(self) -> str:
        """``spotify: 3 liked, 2 playlists (1 skipped), 9 items in 1.2 s``."""
        if self.status == "interrupted":
            return f"{self.platform}: sync interrupted (it resumes next time)"
        if not self.ok:
            return f"{self.platform}: sync failed: {self.error}"
        skipped = f" ({self.skipped} skipped)" if self.skipped else ""
        resumed = ", resumed" if self.resumed else ""
        return (f"{self.platform}: {self.liked} liked, {self.playlists} playlists{skipped}, "
                f"{self.items} items in {self.seconds:.1f} s{resumed}")


class SyncInterrupted(SamError):
    code = "interrupted"


class LibrarySyncService:
    def __init__(self, sessions: async_sessionmaker[Any], platforms: Mapping[str, LibrarySource],
                 clock: Clock | None = None, *, data_dir: Path,
                 listeners: Sequence[Callable[[], None]] = (),
                 shared_lock: SharedLock | None = None) -> None:
        """``shared_lock``: the household's (one sync per household), else this device's
        flock."""
        self._platforms = dict(platforms)
        self._clock = clock or SystemClock()
        self._store = LibraryStore(sessions)
        self._phases = Phases(self._store, self._clock, self._checkpoint)
        self._data_dir = data_dir
        self._listeners = list(listeners)
        self._stop = threading.Event()
        self._shared_lock = shared_lock

    @property
    def store(self) -> LibraryStore:
        return self._store

    def add_listener(self, listener: Callable[[], None]) -> None:
        """``listener()`` runs after every sync (e.g. the resolver dropping its index)."""
        self._listeners.append(listener)

    def interrupt(self) -> None:
        """Stop at the next page or playlist, for good (shutdown; any thread). The run stays
        unfinished, so the next sync resumes it."""
        self._stop.set()

    def _checkpoint(self) -> None:
        if self._stop.is_set():
            raise SyncInterrupted("the library sync was interrupted; it resumes next time")

    @property
    def platforms(self) -> list[str]:
        """The platforms whose library this service can sync."""
        return list(self._platforms)

    async def paired(self) -> list[str]:
        return [name for name, source in self._platforms.items() if await source.is_paired()]

    async def last_ok(self, platform: str) -> float | None:
        """When the last successful sync of ``platform`` finished."""
        run = await self._store.latest_run(platform, "ok")
        return run.finished_at if run else None

    async def last_failed(self, platform: str) -> float | None:
        """When the latest run of ``platform`` failed; ``None`` when it did not."""
        run = await self._store.latest_run(platform)
        return run.finished_at if run is not None and run.status == "failed" else None

    async def sync(self, platform: str | None = None,
                   progress: ProgressFn | None = None) -> list[SyncSummary]:
        """Sync ``platform`` (default: every paired one); one summary per platform synced.

        Raises :class:`~.lock.SyncBusy` when another sync runs, ``NeedsPairing`` when the
        named platform is not paired, ``PlatformError`` when it has no library sync."""
        names = await self._targets(platform)
        if not names:
            return []
        async with self._exclusive():
            summaries: list[SyncSummary] = []
            try:
                for name in names:
                    if self._stop.is_set():
                        break
                    summaries.append(await self._sync_one(self._platforms[name], progress))
            finally:
                self._notify()
            return summaries

    @asynccontextmanager
    async def _exclusive(self) -> AsyncIterator[None]:
        """The flock of this data directory; in a household, the household's lock instead."""
        if self._shared_lock is None:
            with SyncLock(self._data_dir):
                yield
            return
        async with AsyncExitStack() as stack:
            try:
                await stack.enter_async_context(self._shared_lock.hold(SYNC_LOCK))
            except SamError as exc:
                raise SyncBusy("a library sync is already running on another device of the "
                               "household") from exc
            yield

    async def _targets(self, platform: str | None) -> list[str]:
        if platform is None:
            return await self.paired()
        source = self._platforms.get(platform)
        if source is None:
            raise PlatformError(f"{label(platform)} has no library sync here.",
                                code="unsupported")
        if not await source.is_paired():
            raise NeedsPairing(f"{label(platform)} is not paired. Run: sam-edge pair {platform}")
        return [platform]

    def _notify(self) -> None:
        stamp = self._data_dir / LIBRARY_STAMP
        stamp.touch()
        now = time.time_ns()
        os.utime(stamp, ns=(now, now))
        for listener in self._listeners:
            try:
                listener()
            except Exception:
                log.exception("a library listener failed")

    async def _open_run(self, platform: str) -> tuple[SyncRun, bool]:
        """The unfinished run to resume, else a new one."""
        now = self._clock.now()
        last = await self._store.latest_run(platform)
        if last is not None and last.status != "ok" and last.cursor \
                and now - last.started_at < RESUME_WITHIN_S:
            await self._store.reopen(last.id)
            log.info("%s: resuming the sync started at %s (%s)", platform, last.started_at,
                     last.cursor.get("phase"))
            return last, True
        if last is not None and last.status == "running":
            await self._store.fail_run(last.id, now, "abandoned")
        return await self._store.start_run(platform, now), False

    async def _sync_one(self, source: LibrarySource, progress: ProgressFn | None) -> SyncSummary:
        name = source.name
        started = self._clock.monotonic()
        run, resumed = await self._open_run(name)
        report = progress or (lambda _p: None)
        try:
            phase = run.cursor.get("phase", "liked")
            if phase == "liked":
                await self._liked(source, run, report)
                phase = "playlists"
            if phase == "playlists":
                await self._playlists(source, run, report)
            self._checkpoint()
            await self._store.complete_run(name, run.id, self._clock.now())
        except SyncInterrupted as exc:
            log.info("%s: %s", name, exc.message)
            return SyncSummary(name, "interrupted", error=exc.message, resumed=resumed,
                               seconds=self._clock.monotonic() - started)
        except Exception as exc:
            message = exc.message if isinstance(exc, SamError) else f"{type(exc).__name__}: {exc}"
            if isinstance(exc, SamError):
                # The summary carries the sentence; callers decide how loudly to say it.
                log.info("%s: library sync failed: %s", name, message)
            else:
                log.exception("%s: library sync failed", name)
            await self._store.fail_run(run.id, self._clock.now(), message)
            return SyncSummary(name, "failed", error=message, resumed=resumed,
                               seconds=self._clock.monotonic() - started)
        done = await self._store.latest_run(name, "ok")
        totals = await self._store.totals(name)
        assert done is not None
        return SyncSummary(
            name, "ok", totals.liked, totals.playlists, totals.skipped, totals.items,
            done.added, done.updated, done.removed, self._clock.monotonic() - started, resumed)

    async def _liked(self, source: LibrarySource, run: SyncRun, report: ProgressFn) -> None:
        summary = await source.liked_summary()
        same_as_run = (run.liked_total, run.liked_newest_added_at) == (
            summary.total, summary.newest_added_at)
        cursor = run.cursor.get("next") if same_as_run else None
        if cursor is None:
            last = await self._store.latest_run(source.name, "ok")
            if last is not None and (last.liked_total, last.liked_newest_added_at) == (
                    summary.total, summary.newest_added_at):
                await self._store.set_run(
                    run.id, liked_total=summary.total,
                    liked_newest_added_at=summary.newest_added_at,
                    cursor={"phase": "playlists", "next": None})
                report(SyncProgress(source.name, "liked", summary.total, summary.total))
                return
        await self._phases.liked(source, run, summary, cursor, self._reporter(source, report))

    async def _playlists(self, source: LibrarySource, run: SyncRun, report: ProgressFn) -> None:
        cursor = run.cursor.get("next") if run.cursor.get("phase") == "playlists" else None
        await self._phases.playlists(source, run, cursor, self._reporter(source, report))

    @staticmethod
    def _reporter(source: LibrarySource, report: ProgressFn) -> Report:
        return lambda phase, done, total: report(SyncProgress(source.name, phase, done, total))
