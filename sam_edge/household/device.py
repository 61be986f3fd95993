"""This device's part in the household while ``sam-edge run`` runs: a heartbeat every
``HEARTBEAT_S`` (its name and what it plays, read by ``household status``), the library channel
(a sync anywhere in the household drops this device's library index and hot cache) and its own
channel, whose commands (play, pause, ... sent by another device) run here. Every ``PROBE_S``
it asks the shared store for a trivial read, so an outage shows on the LED while nobody talks.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from .bus import ACCOUNTS, LIBRARY, Bus, device_channel

log = logging.getLogger(__name__)

HEARTBEAT_S = 15.0
PROBE_S = 5.0
NowPlaying = Callable[[], Awaitable[Any]]
CommandHandler = Callable[[dict[str, Any]], Awaitable[None]]


def playing_line(state: Any) -> str:
    """``Title — Artist (platform)``, or empty when nothing plays."""
    if state is None or not getattr(state, "is_playing", False):
        return ""
    text = " — ".join(part for part in (state.title, state.artist) if part)
    return f"{text} ({state.platform})" if state.platform else text


class HouseholdDevice:
    def __init__(self, bus: Bus, device: str, *, now_playing: NowPlaying,
                 on_library_changed: Callable[[], None],
                 on_command: CommandHandler | None = None, accounts: Any = None,
                 store: Any = None,
                 heartbeat_s: float = HEARTBEAT_S, probe_s: float = PROBE_S) -> None:
        """``accounts``: the :class:`~sam_edge.household.accounts.SharedTokenStore` to keep
        informed (it keeps tokens in memory only while this device listens); ``store``: the
        :class:`~sam_edge.household.offline.ResilientStore` to probe."""
        self.bus = bus
        self.device = device
        self._now_playing = now_playing
        self._on_library_changed = on_library_changed
        self._on_command = on_command
        self._heartbeat_s = heartbeat_s
        self._accounts = accounts
        self._store = store
        self.probe_s = probe_s
        self._tasks: list[asyncio.Task[None]] = []
        self.subscribed = asyncio.Event()

    def start(self, *, on_store: Callable[[bool], None] | None = None) -> None:
        """``on_store(online)``: told now and whenever the shared store goes or comes back."""
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._beat()), loop.create_task(self._listen())]
        if self._store is not None:
            if on_store is not None:
                self._store.add_listener(on_store)
            self._tasks.append(loop.create_task(self._probing(self._store.probe)))

    async def beat_once(self) -> None:
        try:
            state = await self._now_playing()
        except Exception as exc:  # an unpaired platform plays nothing
            log.debug("now playing unknown (%s)", type(exc).__name__)
            state = None
        await self.bus.heartbeat(self.device, playing_line(state))

    async def _beat(self) -> None:
        while True:
            try:
                await self.beat_once()
            except Exception as exc:
                log.warning("household heartbeat not sent (%s)", type(exc).__name__)
            await asyncio.sleep(self._heartbeat_s)

    async def _probing(self, probe: Callable[[], Awaitable[Any]]) -> None:
        while True:
            await asyncio.sleep(self.probe_s)
            try:
                await probe()
            except Exception as exc:
                log.debug("household store probe failed (%s)", type(exc).__name__)

    async def _listen(self) -> None:
        while True:
            try:
                await self._listen_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis restarted: subscribe again
                self.subscribed.clear()
                self._watch_accounts(False)
                log.warning("household messages interrupted (%s); retrying",
                            type(exc).__name__)
                await asyncio.sleep(1.0)

    async def _listen_once(self) -> None:
        pubsub = self.bus.client.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(LIBRARY, ACCOUNTS, device_channel(self.device))
            self.subscribed.set()
            # A change missed while not subscribed: drop what may be stale.
            self._on_library_changed()
            self._watch_accounts(True)
            while True:
                message = await pubsub.get_message(timeout=5.0)
                if message is not None:
                    await self._handle(message)
        finally:
            with contextlib.suppress(Exception):
                await pubsub.aclose()

    async def _handle(self, message: dict[str, Any]) -> None:
        channel = message.get("channel", b"")
        channel = channel.decode() if isinstance(channel, bytes) else str(channel)
        if channel == LIBRARY:
            self._on_library_changed()
            return
        if channel == ACCOUNTS:
            if self._accounts is not None:
                self._accounts.changed()
            return
        if self._on_command is None:
            return
        try:
            await self._on_command(json.loads(message["data"]))
        except Exception:
            log.exception("a command from another device failed")

    def _watch_accounts(self, watching: bool) -> None:
        if self._accounts is not None:
            self._accounts.changed()
            self._accounts.watching = watching

    async def aclose(self) -> None:
        self._watch_accounts(False)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        with contextlib.suppress(Exception):
            await self.bus.forget(self.device)
