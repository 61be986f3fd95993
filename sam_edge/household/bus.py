"""The household's Redis: its locks, the devices' heartbeats and the messages between devices.

Channels (pub/sub): ``sam:library`` when a sync changed the library (each device drops its
library index and hot cache entries), ``sam:accounts`` when tokens were saved (each device drops
the ones it keeps in memory), ``sam:device:<name>`` for commands sent to one device.
Heartbeats: the hash ``sam:devices`` maps a device's name to ``{"seen": t, "playing": ...}``.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from ..errors import ConfigError
from ..settings import HouseholdSettings
from .locks import RedisLock

DEVICES = "sam:devices"
LIBRARY = "sam:library"
ACCOUNTS = "sam:accounts"
CONNECT_TIMEOUT_S = 3.0


def device_channel(name: str) -> str:
    return f"sam:device:{name.casefold()}"


class Bus:
    def __init__(self, client: Any) -> None:
        self.client = client
        self._pending: set[asyncio.Task[Any]] = set()

    def lock(self, *, wait_s: float = 30.0, ttl_s: float = 60.0) -> RedisLock:
        return RedisLock(self.client, wait_s=wait_s, ttl_s=ttl_s)

    async def publish(self, channel: str, message: dict[str, Any]) -> int:
        return int(await self.client.publish(channel, json.dumps(message)))

    def library_changed_soon(self) -> None:
        """A sync listener (called on the loop, not awaited): tell the other devices."""
        self.publish_soon(LIBRARY, {"at": time.time()})

    def publish_soon(self, channel: str, message: dict[str, Any]) -> None:
        """Publish without waiting (on the loop); :meth:`aclose` waits for what is left."""
        task = asyncio.get_running_loop().create_task(self.publish(channel, message))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def heartbeat(self, device: str, playing: str = "") -> None:
        await self.client.hset(DEVICES, device, json.dumps(
            {"seen": time.time(), "playing": playing}))

    async def devices(self, within_s: float = 60.0) -> dict[str, dict[str, Any]]:
        """Devices seen in the last ``within_s`` seconds, by name."""
        now = time.time()
        found: dict[str, dict[str, Any]] = {}
        for name, raw in (await self.client.hgetall(DEVICES)).items():
            entry = json.loads(raw)
            if now - float(entry.get("seen", 0)) <= within_s:
                found[name.decode() if isinstance(name, bytes) else name] = entry
        return found

    async def forget(self, device: str) -> None:
        await self.client.hdel(DEVICES, device)

    async def aclose(self) -> None:
        if self._pending:
            await asyncio.wait(self._pending, timeout=5)
        await self.client.aclose()


async def connect_bus(settings: HouseholdSettings) -> Bus:
    """The household's Redis, answering; ``ConfigError`` (one line) otherwise."""
    await check_redis(settings.redis_url)
    import redis.asyncio as redis

    return Bus(redis.Redis.from_url(settings.redis_url,
                                    socket_connect_timeout=CONNECT_TIMEOUT_S))


async def check_redis(url: str) -> None:
    import redis.asyncio as redis

    client = redis.Redis.from_url(url, socket_connect_timeout=CONNECT_TIMEOUT_S)
    try:
        await client.ping()
    except Exception as exc:
        raise ConfigError(f"the household Redis at {url} does not answer "
                          f"({type(exc).__name__})") from exc
    finally:
        await client.aclose()
