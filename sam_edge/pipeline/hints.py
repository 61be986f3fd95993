"""Speech-to-text hints: titles the user is likely to say, read at most once a minute."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from ..clock import Clock, SystemClock

log = logging.getLogger(__name__)

HINTS_TTL_S = 60.0

HintSource = Callable[[], Awaitable[list[str]]]


class CachedHints:
    def __init__(self, source: HintSource, *, clock: Clock | None = None,
                 ttl_s: float = HINTS_TTL_S) -> None:
        self._source = source
        self._clock = clock or SystemClock()
        self._ttl_s = ttl_s
        self._cached: tuple[float, list[str]] | None = None

    async def __call__(self) -> list[str]:
        now = self._clock.monotonic()
        if self._cached is not None and now - self._cached[0] < self._ttl_s:
            return self._cached[1]
        try:
            hints = await self._source()
        except Exception:  # hints only bias recognition; never fail a turn for them
            log.exception("could not read the recognition hints")
            return []
        self._cached = (now, hints)
        return hints
