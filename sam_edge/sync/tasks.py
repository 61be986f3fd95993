"""Library syncs on a schedule and on demand, with Huey (``SqliteHuey`` in the data directory).

Every ``check_minutes`` a periodic task syncs each paired platform whose last successful sync is
older than the interval (6 hours by default), so a Pi that was switched off catches up at the
first check after it boots. ``sync_now(platform)`` queues a sync at once (after pairing, or
from a button on the page).

**Where the consumer runs: inside the daemon** (:func:`start_consumer_in_process`: huey's
scheduler thread plus one worker thread in ``sam-edge run``). A sync needs what the daemon
already holds (the Spotify adapter with its tokens and HTTP clients on the daemon's event loop,
the resolver whose index must be dropped afterwards), the work is network-bound, and a second
Python process with spotipy and SQLAlchemy loaded would cost a small Pi 40-60 MB for nothing.
:class:`LoopJobs` hands each task's coroutine to the daemon's loop; the file lock keeps a
scheduled sync and ``sam-edge sync`` from overlapping.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

from huey import SqliteHuey, crontab
from huey.consumer import Consumer

from ..clock import Clock, SystemClock
from ..errors import SamError
from .lock import SyncBusy
from .service import LibrarySyncService

log = logging.getLogger(__name__)
T = TypeVar("T")

HUEY_FILE = "huey.sqlite3"
DEFAULT_INTERVAL_S = 6 * 3600.0
CHECK_MINUTES = 15
RETRY_S = 3600.0
"""After a failed sync, wait this long before the periodic check tries again."""
CLOCK_SKEW_S = 300.0


def due(now: float, last_ok: float | None, interval_s: float = DEFAULT_INTERVAL_S, *,
        last_failed: float | None = None, retry_s: float = RETRY_S) -> bool:
    """Whether a platform last synced at ``last_ok`` (``None``: never) needs a sync at ``now``."""
    # A Pi has no real-time clock: it may boot with a time before the last sync. Such a time
    # is not trusted, or the next sync would wait until the clock caught up.
    if last_failed is not None and last_failed <= now + CLOCK_SKEW_S \
            and now - last_failed < retry_s:
        return False
    if last_ok is None or last_ok > now + CLOCK_SKEW_S:
        return True
    return now - last_ok >= interval_s


class SyncJobs(Protocol):
    """What the Huey tasks call, on a worker thread."""

    def check(self) -> list[str]: ...

    def sync(self, platform: str | None) -> None: ...


class LoopJobs:
    """:class:`SyncJobs` that run the service on the daemon's event loop and wait for it."""

    def __init__(self, service: LibrarySyncService, loop: asyncio.AbstractEventLoop, *,
                 interval_s: float = DEFAULT_INTERVAL_S, clock: Clock | None = None) -> None:
        self._service = service
        self._loop = loop
        self._interval_s = interval_s
        self._clock = clock or SystemClock()
        self._running: set[concurrent.futures.Future[Any]] = set()
        self._guard = threading.Lock()
        self._stopping = threading.Event()

    def _run(self, coro: Coroutine[Any, Any, T]) -> T | None:
        """``coro``'s result, or ``None`` once :meth:`interrupt` was called."""
        try:
            calling = asyncio.get_running_loop()
        except RuntimeError:
            calling = None
        if calling is self._loop:
            coro.close()
            raise RuntimeError("LoopJobs must be called from a worker thread, not its own loop")
        future = asyncio.run_coroutine_threadsafe(coro, self._loop)
        with self._guard:
            self._running.add(future)
        future.add_done_callback(self._forget)
        # Polled rather than waited on: at shutdown the loop may be busy joining this thread.
        while True:
            try:
                return future.result(timeout=0.2)
            except TimeoutError:
                if self._stopping.is_set():
                    return None

    def _forget(self, future: concurrent.futures.Future[Any]) -> None:
        with self._guard:
            self._running.discard(future)

    def interrupt(self) -> None:
        """Shutdown, from any thread: a sync in flight stops at its next page (the next sync
        resumes it) and no worker thread waits for it any longer."""
        self._stopping.set()
        self._service.interrupt()

    async def drain(self, timeout_s: float = 30.0) -> None:
        """On the loop, after :meth:`interrupt`: wait for what is still running to stop, so
        the database can be closed under it."""
        with self._guard:
            running = [asyncio.wrap_future(f) for f in self._running]
        if running:
            await asyncio.wait(running, timeout=timeout_s)

    def check(self) -> list[str]:
        return self._run(self.due_check()) or []

    def sync(self, platform: str | None) -> None:
        self._run(self._sync(platform))

    async def due_check(self) -> list[str]:
        """Sync every paired platform that is due; returns the ones synced."""
        now = self._clock.now()
        synced: list[str] = []
        for name in await self._service.paired():
            last_ok = await self._service.last_ok(name)
            last_failed = await self._service.last_failed(name)
            if due(now, last_ok, self._interval_s, last_failed=last_failed):
                if not await self._sync(name):
                    break
                synced.append(name)
        return synced

    async def _sync(self, platform: str | None) -> bool:
        """False when another sync (``sam-edge sync``) holds the lock."""
        try:
            summaries = await self._service.sync(platform)
        except SyncBusy as exc:
            log.info("library sync not run: %s", exc.message)
            return False
        except SamError as exc:
            log.warning("library sync not run: %s", exc.message)
            return True
        for summary in summaries:
            log.info("library sync: %s", summary.line())
        return True


@dataclass(frozen=True)
class SyncTasks:
    huey: Any
    check: Any
    """The periodic due-check; calling it queues one check now."""
    sync_now: Any
    """``sync_now(platform=None)`` queues a sync of one (or every paired) platform."""


def make_huey(data_dir: Path, immediate: bool = False, *, redis_url: str = "",
              household: str = "") -> Any:
    """Huey with its queue in ``data_dir``; ``immediate`` runs tasks inline (tests). With
    ``redis_url`` (a household) the queue is the household's ``RedisHuey``: every device's
    consumer serves one queue, and a Redis lock lets one library sync run at a time."""
    if redis_url:
        from huey import RedisHuey

        return RedisHuey(f"sam-edge-{household or 'household'}", url=redis_url,
                         immediate=immediate, results=False)
    data_dir.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("sam-edge", filename=str(data_dir / HUEY_FILE), immediate=immediate,
                      results=False)


SYNC_TASK_LOCK = "sam:lock:library.sync-task"
SYNC_TASK_LOCK_TTL_S = 60.0
"""A device that dies while syncing lets go of the queue's lock within this long."""


@contextmanager
def _one_per_queue(huey: Any, *, ttl_s: float = SYNC_TASK_LOCK_TTL_S) -> Iterator[bool]:
    """On a household's queue, a Redis lock (yields False when another device holds it).

    Not Huey's ``lock_task``: its expiry needs Redis 7.4 (hash-field TTL), and without one a
    device killed mid-sync would keep every later sync out for good. This is redis-py's lock
    (a random token set with ``NX`` and an expiry), extended by a thread while the sync runs."""
    from huey import RedisHuey

    if not isinstance(huey, RedisHuey):
        yield True
        return
    # thread_local=False: the token is read by the keeper thread too.
    lock = huey.storage.conn.lock(SYNC_TASK_LOCK, timeout=ttl_s, blocking=False,
                                  thread_local=False)
    if not lock.acquire():
        log.info("library sync not run: another device of the household is syncing")
        yield False
        return
    done = threading.Event()
    keeper = threading.Thread(target=_keep, args=(lock, done, ttl_s / 3), daemon=True,
                              name="sync-lock-keeper")
    keeper.start()
    try:
        yield True
    finally:
        done.set()
        keeper.join()
        try:
            lock.release()
        except Exception as exc:  # expired meanwhile: someone else may hold it now
            log.warning("the household sync lock was lost before its release (%s)",
                        type(exc).__name__)


def _keep(lock: Any, done: threading.Event, every_s: float) -> None:
    while not done.wait(every_s):
        try:
            lock.reacquire()
        except Exception as exc:
            log.warning("could not extend the household sync lock (%s)", type(exc).__name__)


def install_tasks(huey: Any, jobs: SyncJobs, *,
                  check_minutes: int = CHECK_MINUTES) -> SyncTasks:
    @huey.periodic_task(crontab(minute=f"*/{check_minutes}"),  # type: ignore[untyped-decorator]
                        name="library.check")
    def check_library() -> None:
        with _one_per_queue(huey) as mine:
            if mine:
                jobs.check()

    @huey.task(name="library.sync_now")  # type: ignore[untyped-decorator]
    def sync_now(platform: str | None = None) -> None:
        with _one_per_queue(huey) as mine:
            if mine:
                jobs.sync(platform)

    return SyncTasks(huey, check_library, sync_now)


class _ThreadConsumer(Consumer):  # type: ignore[misc]
    def _set_signal_handlers(self) -> None:
        # The daemon (uvicorn) owns the signals, and only the main thread may set them.
        pass


def start_consumer_in_process(huey: Any, *, jobs: LoopJobs | None = None,
                              join_timeout_s: float = 5.0) -> Callable[[], None]:
    """Start huey's scheduler and one worker as daemon threads; returns ``stop()``, safe to call
    on the event loop. With ``jobs``, a sync in flight is interrupted (the next one resumes it):
    ``await jobs.drain()`` afterwards, before the database is closed."""
    consumer = _ThreadConsumer(huey, workers=1, worker_type="thread", periodic=True,
                               check_worker_health=False)
    consumer.start()
    threads = [consumer.scheduler, *(t for _, t in consumer.worker_threads)]

    def stop() -> None:
        consumer.stop_flag.set()
        if jobs is not None:
            jobs.interrupt()
        for thread in threads:
            thread.join(join_timeout_s)

    return stop
