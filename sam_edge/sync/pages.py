"""Reading a platform's pages concurrently, within its limits.

A :class:`Gate` belongs to one platform's library reader: at most ``limit`` requests in flight,
and a 429 seen by any of them pauses every request that starts afterwards until its
``Retry-After`` has passed. :func:`in_order` runs calls ahead of the one awaited and hands back
their results in the order given, so the sync still commits page after page (and its stored
cursor still means "everything before this is stored"); :func:`batches` hands back together
what is already there, so a fast network is not held up by one transaction per page.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from typing import TypeVar

T = TypeVar("T")


class Gate:
    def __init__(self, limit: int) -> None:
        self.limit = max(1, int(limit))
        self._slots = asyncio.Semaphore(self.limit)
        self._resume_at = 0.0
        self._guard = threading.Lock()
        self.in_flight = 0
        self.peak = 0
        """The most requests this gate let through at once (for the benchmark's floor)."""

    def rate_limited(self, wait_s: float) -> None:
        """A 429 asked to wait ``wait_s``; from any thread (spotipy runs in one)."""
        with self._guard:
            self._resume_at = max(self._resume_at, time.monotonic() + max(0.0, wait_s))

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        async with self._slots:
            while (delay := self._resume_at - time.monotonic()) > 0:
                await asyncio.sleep(delay)
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
            try:
                yield
            finally:
                self.in_flight -= 1


async def batches(calls: Iterable[Callable[[], Awaitable[T]]], ahead: int,
                  most: int) -> AsyncGenerator[list[T], None]:
    """Like :func:`in_order`, but with the results that are already there handed back together
    (up to ``most``), so the caller can store them in one transaction."""
    pending: deque[asyncio.Future[T]] = deque()
    calls = iter(calls)
    exhausted = False

    def refill() -> None:
        nonlocal exhausted
        while not exhausted and len(pending) < max(1, ahead):
            call = next(calls, None)
            if call is None:
                exhausted = True
                return
            pending.append(asyncio.ensure_future(call()))

    try:
        refill()
        while pending:
            batch = [await pending.popleft()]
            while pending and pending[0].done() and len(batch) < most:
                batch.append(pending.popleft().result())
            refill()
            yield batch
    finally:
        for future in pending:
            future.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)


async def in_order(calls: Iterable[Callable[[], Awaitable[T]]],
                   ahead: int) -> AsyncGenerator[T, None]:
    """Each call's result in the order of ``calls``, with up to ``ahead`` of them started.

    Closing the iterator early (or an error) cancels what was started and not yet handed back."""
    pending: deque[asyncio.Future[T]] = deque()
    try:
        for call in calls:
            pending.append(asyncio.ensure_future(call()))
            if len(pending) >= max(1, ahead):
                yield await pending.popleft()
        while pending:
            yield await pending.popleft()
    finally:
        for future in pending:
            future.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
