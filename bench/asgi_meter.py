"""ASGI middleware that measures a fake server from inside: requests in flight (the most at
once and the mean), wall time with any request inside, each request's own time and the CPU
time of the server's thread."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]


class Meter:
    """ASGI middleware around the fake: requests in flight at once and time spent inside."""

    def __init__(self, app: App) -> None:
        self._app = app
        self.in_flight = 0
        self.peak = 0
        self.inside_s = 0.0
        self._busy_since = 0.0
        self.flight_s = 0.0
        """The integral of requests in flight over time: ÷ ``inside_s`` = the mean achieved."""
        self._changed = 0.0
        self.request_s = 0.0
        """Every request's own time inside, summed (latency included)."""
        self.cpu_s = 0.0
        """CPU time of the server's thread from the first request to the last one's end."""
        self._cpu_from: float | None = None

    def _tally(self) -> None:
        now = time.perf_counter()
        if self.in_flight:
            self.flight_s += self.in_flight * (now - self._changed)
        self._changed = now

    def reset(self) -> None:
        self.peak, self.inside_s, self.flight_s, self.request_s = 0, 0.0, 0.0, 0.0
        self.cpu_s, self._cpu_from = 0.0, None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        if self.in_flight == 0:
            self._busy_since = time.perf_counter()
        self._tally()
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        started = time.perf_counter()
        if self._cpu_from is None:
            self._cpu_from = time.thread_time()
        try:
            await self._app(scope, receive, send)
        finally:
            self.request_s += time.perf_counter() - started
            self.cpu_s = time.thread_time() - self._cpu_from
            self._tally()
            self.in_flight -= 1
            if self.in_flight == 0:
                # Wall time with at least one request inside, so concurrent ones count once.
                self.inside_s += time.perf_counter() - self._busy_since
