"""Growing delays for one client that keeps guessing (the pairing code, the API token).

Each address gets a few free mistakes; after that it must wait before its next try, and every
further mistake doubles the wait (up to 15 minutes). Only the guessing address waits: the
household's other browsers, and the right code from a new address, always get through. The
table is bounded, so many addresses cannot grow it without limit.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

FREE_FAILURES = 5
FIRST_DELAY_S = 1.0
MAX_DELAY_S = 900.0
FORGET_AFTER_S = 3600.0
MAX_CLIENTS = 4096


@dataclass(slots=True)
class _Record:
    failures: int
    last: float


class Throttle:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._clients: OrderedDict[str, _Record] = OrderedDict()

    @staticmethod
    def delay_after(failures: int) -> float:
        if failures < FREE_FAILURES:
            return 0.0
        return float(min(MAX_DELAY_S, FIRST_DELAY_S * 2 ** (failures - FREE_FAILURES)))

    def _record(self, client: str) -> _Record | None:
        record = self._clients.get(client)
        if record is not None and self._clock() - record.last > FORGET_AFTER_S:
            del self._clients[client]
            return None
        return record

    def wait_s(self, client: str) -> float:
        """How long ``client`` must still wait before its next try (0: it may try now)."""
        record = self._record(client)
        if record is None:
            return 0.0
        return max(0.0, record.last + self.delay_after(record.failures) - self._clock())

    def tries_left(self, client: str) -> int:
        """Wrong tries ``client`` may still make before it has to pause (0: every one does)."""
        record = self._record(client)
        return max(0, FREE_FAILURES - (record.failures if record is not None else 0))

    def retry_after(self, client: str) -> int:
        """:meth:`wait_s` in whole seconds, for a ``Retry-After`` header."""
        return max(1, math.ceil(self.wait_s(client)))

    def failed(self, client: str) -> None:
        record = self._record(client) or _Record(0, 0.0)
        record.failures += 1
        record.last = self._clock()
        self._clients[client] = record
        self._clients.move_to_end(client)
        while len(self._clients) > MAX_CLIENTS:
            self._clients.popitem(last=False)

    def succeeded(self, client: str) -> None:
        self._clients.pop(client, None)
