"""The 3-tier search: diskcache (tier 1) → SQLite (tier 2) → the platform API (tier 3).

A hit in a lower tier back-fills the tiers above it. Concurrent identical lookups share one
call to the API (single flight), so a burst of the same request costs one round trip.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from ..clock import Clock, SystemClock
from ..platforms.base import Track
from .hot import HotCache
from .normalize import cache_key, query_hash
from .store import SearchCacheStore

log = logging.getLogger(__name__)

Tier = Literal["hot", "sqlite", "api", "none"]


@dataclass(frozen=True, slots=True)
class Lookup:
    track: Track | None
    tier: Tier


class SearchCache:
    def __init__(self, hot: HotCache, store: SearchCacheStore, *, hot_ttl_s: float,
                 persistent_ttl_s: float, clock: Clock | None = None) -> None:
        self.hot = hot
        self.store = store
        self.hot_ttl_s = hot_ttl_s
        self.persistent_ttl_s = persistent_ttl_s
        self._clock = clock or SystemClock()
        self._inflight: dict[str, asyncio.Future[Lookup]] = {}

    @staticmethod
    def hot_key(platform: str, digest: str) -> str:
        return f"search:{platform}:{digest}"

    async def lookup(self, platform: str, query: str, *, artist: str | None = None,
                     kind: str = "track",
                     fetch: Callable[[], Awaitable[Track | None]]) -> Lookup:
        digest = query_hash(query, artist, kind)
        key = self.hot_key(platform, digest)
        track = self.hot.get(key)
        if track is not None:
            return Lookup(track, "hot")
        pending = self._inflight.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[Lookup] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            result = await self._miss(platform, digest, key, cache_key(query, artist, kind),
                                      fetch)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved: waiters re-raise it themselves
            raise
        else:
            future.set_result(result)
            return result
        finally:
            del self._inflight[key]

    async def _miss(self, platform: str, digest: str, key: str, text: str,
                    fetch: Callable[[], Awaitable[Track | None]]) -> Lookup:
        now = self._clock.now()
        track = await self.store.get(digest, platform, now)
        if track is not None:
            self.hot.set(key, track, self.hot_ttl_s)
            return Lookup(track, "sqlite")
        track = await fetch()
        if track is None:
            return Lookup(None, "none")
        if not track.platform:
            track = Track(uri=track.uri, title=track.title, artist=track.artist,
                          platform=platform, kind=track.kind, album=track.album,
                          duration_ms=track.duration_ms)
        try:
            await self.store.put(digest, text, track, now=now, ttl_s=self.persistent_ttl_s)
        except Exception:  # a full disk must not lose the answer the user is waiting for
            log.exception("could not write the search cache")
        self.hot.set(key, track, self.hot_ttl_s)
        return Lookup(track, "api")
