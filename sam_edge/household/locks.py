"""Locks held across the household's devices, in Redis: :class:`RedisLock` has the shape of the
single-device refresh lock (``async with lock.hold(name):``, :class:`LockTimeout` after waiting
too long), so either can be given to what refreshes tokens or runs the library sync.

The lock is redis-py's own (a random token set with ``NX`` and an expiry, released only by its
holder); while it is held a task extends the expiry, so a device that dies lets go within
``ttl_s`` and a long sync keeps its lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from ..accounts.locks import LockTimeout as RefreshLockTimeout

log = logging.getLogger(__name__)

PREFIX = "sam:lock:"


class LockTimeout(RefreshLockTimeout):
    """The refresh lock's own timeout (a platform error a turn reports), and a ``SamError``."""


class RedisLock:
    def __init__(self, client: Any, *, wait_s: float = 30.0, ttl_s: float = 30.0) -> None:
        """``client``: a ``redis.asyncio.Redis``; ``wait_s`` 0 = give up at once."""
        self._client = client
        self._wait_s = wait_s
        self._ttl_s = ttl_s

    def hold(self, name: str) -> AbstractAsyncContextManager[None]:
        return self._hold(name)

    @asynccontextmanager
    async def _hold(self, name: str) -> AsyncIterator[None]:
        lock = self._client.lock(PREFIX + name, timeout=self._ttl_s, sleep=0.05,
                                 blocking=self._wait_s > 0,
                                 blocking_timeout=self._wait_s or None)
        if not await lock.acquire():
            raise LockTimeout(f"{name} is held by another device of the household")
        keeper = asyncio.create_task(self._keep(lock))
        try:
            yield
        finally:
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeper
            try:
                await lock.release()
            except Exception as exc:  # expired meanwhile: someone else may hold it now
                log.warning("the household lock %s was lost before its release (%s)", name,
                            type(exc).__name__)

    async def _keep(self, lock: Any) -> None:
        while True:
            await asyncio.sleep(self._ttl_s / 3)
            try:
                await lock.reacquire()
            except Exception as exc:
                log.warning("could not extend a household lock (%s)", type(exc).__name__)
