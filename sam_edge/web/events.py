"""``GET /v1/events``: every event of every turn as server-sent events (a contract).

Each listener has its own bounded queue fed by a bus subscriber: a slow listener loses its
oldest events, never slows a turn. FastAPI's ``EventSourceResponse`` adds a keep-alive comment
every 15 s; a client that goes away cancels the generator, which unsubscribes it.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi import APIRouter
from fastapi.sse import EventSourceResponse, ServerSentEvent

from ..events import Event, EventBus
from .deps import RuntimeDep

router = APIRouter()

QUEUE_SIZE = 256
RETRY_MS = 2000
"""How soon a browser reconnects after the service went away."""


class EventQueue:
    """One listener's events, oldest dropped when full; safe to feed from any thread."""

    def __init__(self, bus: EventBus, *, size: int = QUEUE_SIZE) -> None:
        self._queue: asyncio.Queue[Event] = asyncio.Queue(maxsize=size)
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self.dropped = 0
        self._unsubscribe: Callable[[], None] = bus.subscribe(self._offer)

    def _offer(self, event: Event) -> None:
        if threading.get_ident() != self._loop_thread:
            self._loop.call_soon_threadsafe(self._put, event)
        else:
            self._put(event)

    def _put(self, event: Event) -> None:
        if self._queue.full():
            self._queue.get_nowait()
            self.dropped += 1
        self._queue.put_nowait(event)

    async def get(self) -> Event:
        return await self._queue.get()

    def close(self) -> None:
        self._unsubscribe()


def encode(event: Event) -> ServerSentEvent:
    payload: dict[str, Any] = dict(event.data)
    return ServerSentEvent(event=event.type.value,
                           raw_data=json.dumps(payload, ensure_ascii=False, default=str))


@router.get("/v1/events", response_class=EventSourceResponse)
async def events(runtime: RuntimeDep) -> AsyncIterator[ServerSentEvent]:
    """Every event of every turn, whatever started it, as it happens."""
    queue = EventQueue(runtime.bus)
    # While someone listens, changes made elsewhere (a phone's Spotify app) are looked for.
    detach = runtime.now_playing.attach()
    try:
        yield ServerSentEvent(comment="connected", retry=RETRY_MS)
        while True:
            yield encode(await queue.get())
    finally:
        detach()
        queue.close()
