"""The HTTP server of ``sam-edge run``: uvicorn, stopping cleanly on SIGTERM and SIGINT.

systemd's ``KillSignal``, ``kill`` and Ctrl-C all mean "stop": the app's shutdown runs (players
stopped, history flushed, the database closed) and the process exits with status 0. uvicorn
would re-raise the signal after its graceful shutdown, which makes SIGTERM exit 143 and SIGINT
print a ``KeyboardInterrupt`` traceback. A second Ctrl-C still forces the exit.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal
import socket
import sys
import threading
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from types import FrameType

import uvicorn

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
GRACEFUL_S = 2.0
"""How long open connections may hold up the stop: an open page's event stream never ends by
itself, so without a limit stopping the service would wait for every browser."""


TICK_S = 1.0
"""uvicorn ticks ten times a second to notice a stop; this one waits for it (and refreshes the
Date header once a second), so an idle device sleeps."""


@contextmanager
def without_pydantic_v1() -> Iterator[None]:
    """Routes declared inside this block do not load ``pydantic.v1``.

    FastAPI imports ``pydantic.v1`` for every route with a model, only to refuse models of
    that kind; SAM Edge has none, and the import costs about a tenth of the start on a Pi.
    When the import fails FastAPI takes it as "not a v1 model". Afterwards it imports as usual.
    """
    blocked = "pydantic.v1" not in sys.modules
    if blocked:
        sys.modules["pydantic.v1"] = None  # type: ignore[assignment]
    try:
        yield
    finally:
        if blocked and sys.modules.get("pydantic.v1", 0) is None:
            del sys.modules["pydantic.v1"]


class Server(uvicorn.Server):
    _wake: asyncio.Event | None = None
    _loop: asyncio.AbstractEventLoop | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        # What start-up built lives as long as the service: keep the collector off it.
        gc.freeze()
        gc.enable()

    async def main_loop(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        ticks = 0
        while not await self.on_tick(ticks):
            ticks += 10  # on_tick refreshes the headers when the count is a multiple of 10
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), TICK_S)

    @contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {sig: signal.signal(sig, self._stop) for sig in STOP_SIGNALS}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _stop(self, sig: int, _frame: FrameType | None) -> None:
        if self.should_exit and sig == signal.SIGINT:
            self.force_exit = True
        self.should_exit = True
        if self._loop is not None and self._wake is not None:
            self._loop.call_soon_threadsafe(self._wake.set)
