"""Locks that serialise spending a refresh token.

SoundCloud (and Spotify) refresh tokens are single-use: two holders that spend the same one
leave the loser with a dead token. :class:`RefreshLock` is the one interface every refresher
takes; on a single device :class:`FlockLock` holds an exclusive ``flock`` per name in the data
dir, so the service, ``sam-edge sync`` and the catch-up timer take turns. A lock served by
another host (Redis) can be put behind the same interface.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import time
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Protocol

from ..errors import PlatformError

LOCK_DIR = "locks"
WAIT_S = 30.0
POLL_S = 0.05


class LockTimeout(PlatformError):
    code = "lock_timeout"


class RefreshLock(Protocol):
    def hold(self, name: str) -> AbstractAsyncContextManager[None]:
        """Held until the block exits; raises :class:`LockTimeout` after waiting too long."""
        ...


class ProcessLock:
    """One :class:`asyncio.Lock` per name: enough when a single process holds the tokens."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}

    @asynccontextmanager
    async def hold(self, name: str) -> AsyncIterator[None]:
        async with self._locks.setdefault(name, asyncio.Lock()):
            yield


class FlockLock:
    """An exclusive ``flock`` on ``<directory>/<name>.lock``, across processes.

    The kernel drops it when its holder exits, even on a crash. Inside one process an
    :class:`asyncio.Lock` queues the callers first, so the file lock is only ever polled for
    (without blocking the event loop) while another process holds it.
    """

    def __init__(self, directory: Path, *, wait_s: float = WAIT_S) -> None:
        self.directory = directory
        self.wait_s = wait_s
        self._local = ProcessLock()

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> FlockLock:
        return cls(data_dir / LOCK_DIR)

    @asynccontextmanager
    async def hold(self, name: str) -> AsyncIterator[None]:
        async with self._local.hold(name):
            fd = await self._acquire(name)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)

    async def _acquire(self, name: str) -> int:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.directory / f"{name}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + self.wait_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return fd
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise LockTimeout(f"Another process has been renewing the {name} sign-in "
                                      f"for over {self.wait_s:g} s; try again.") from None
                await asyncio.sleep(POLL_S)
            except BaseException:
                os.close(fd)
                raise
