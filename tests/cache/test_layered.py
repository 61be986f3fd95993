"""The 3-tier search cache over real files: diskcache → SQLite → the fetch (API)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from sam_edge.cache.hot import HotCache
from sam_edge.cache.layered import SearchCache
from sam_edge.cache.store import SearchCacheStore
from sam_edge.clock import ManualClock
from sam_edge.db.engine import make_engine, make_sessionmaker, migrate
from sam_edge.platforms.base import Track

NUVVU = Track("spotify:track:nuvvu", "Nuvvu Nenantu", "Sid Sriram", "spotify")


class Api:
    """Stands in for tier 3: counts calls, optionally slow."""

    def __init__(self, result: Track | None = NUVVU, delay: float = 0.0) -> None:
        self.result = result
        self.delay = delay
        self.calls = 0

    async def __call__(self) -> Track | None:
        self.calls += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        return self.result


@pytest.fixture
async def cache(tmp_path: Path) -> AsyncIterator[tuple[SearchCache, ManualClock]]:
    db = tmp_path / "sam.sqlite3"
    migrate(db)
    engine = make_engine(db)
    clock = ManualClock()
    cache = SearchCache(HotCache(tmp_path / "hot"), SearchCacheStore(make_sessionmaker(engine)),
                        hot_ttl_s=3600, persistent_ttl_s=30 * 86400, clock=clock)
    yield cache, clock
    cache.hot.close()
    await engine.dispose()


async def test_miss_goes_to_api_then_hot_tier_answers(cache: tuple[SearchCache, ManualClock]
                                                      ) -> None:
    c, _ = cache
    api = Api()
    first = await c.lookup("spotify", "Nuvvu-Nenantu", fetch=api)
    second = await c.lookup("spotify", "play nuvvu nenantu song", fetch=api)
    assert (first.tier, second.tier) == ("api", "hot")
    assert second.track == NUVVU
    assert api.calls == 1


async def test_sqlite_hit_back_fills_the_hot_tier(cache: tuple[SearchCache, ManualClock]) -> None:
    c, _ = cache
    api = Api()
    await c.lookup("spotify", "nuvvu nenantu", fetch=api)
    c.hot.clear()
    again = await c.lookup("spotify", "could you play nuvvu nenantu please", fetch=api)
    assert again.tier == "sqlite" and again.track == NUVVU
    assert (await c.lookup("spotify", "nuvvu nenantu", fetch=api)).tier == "hot"
    assert api.calls == 1


async def test_platforms_and_artists_do_not_share_entries(
        cache: tuple[SearchCache, ManualClock]) -> None:
    c, _ = cache
    adele = Api(Track("spotify:track:adele", "Hello", "Adele", "spotify"))
    lionel = Api(Track("spotify:track:lionel", "Hello", "Lionel Richie", "spotify"))
    a = await c.lookup("spotify", "hello", artist="Adele", fetch=adele)
    b = await c.lookup("spotify", "hello", artist="Lionel Richie", fetch=lionel)
    local = await c.lookup("local", "hello", artist="Adele", fetch=Api(None))
    assert a.track and b.track and a.track.uri != b.track.uri
    assert local.track is None and local.tier == "none"


async def test_expired_entries_are_fetched_again(cache: tuple[SearchCache, ManualClock]) -> None:
    c, clock = cache
    api = Api()
    await c.lookup("spotify", "nuvvu nenantu", fetch=api)
    c.hot.clear()
    clock.advance(31 * 86400)
    assert (await c.lookup("spotify", "nuvvu nenantu", fetch=api)).tier == "api"
    assert api.calls == 2


async def test_nothing_found_is_not_cached(cache: tuple[SearchCache, ManualClock]) -> None:
    c, _ = cache
    api = Api(None)
    assert (await c.lookup("spotify", "zzz", fetch=api)).track is None
    assert (await c.lookup("spotify", "zzz", fetch=api)).track is None
    assert api.calls == 2


async def test_concurrent_identical_lookups_make_one_api_call(
        cache: tuple[SearchCache, ManualClock]) -> None:
    c, _ = cache
    api = Api(delay=0.05)
    results = await asyncio.wait_for(
        asyncio.gather(*(c.lookup("spotify", "Nuvvu Nenantu", fetch=api) for _ in range(10))),
        timeout=10)
    assert api.calls == 1
    assert {r.track for r in results} == {NUVVU}


async def test_a_failing_api_call_reaches_every_waiter(
        cache: tuple[SearchCache, ManualClock]) -> None:
    c, _ = cache

    async def broken() -> Track | None:
        await asyncio.sleep(0.02)
        raise RuntimeError("down")

    results = await asyncio.wait_for(
        asyncio.gather(*(c.lookup("spotify", "x", fetch=broken) for _ in range(3)),
                       return_exceptions=True), timeout=10)
    assert all(isinstance(r, RuntimeError) for r in results)
    api = Api()
    assert (await c.lookup("spotify", "x", fetch=api)).tier == "api"


async def test_purge_removes_only_expired_entries(cache: tuple[SearchCache, ManualClock]) -> None:
    c, clock = cache
    await c.lookup("spotify", "nuvvu nenantu", fetch=Api())
    clock.advance(31 * 86400)
    await c.lookup("spotify", "hello", artist="Adele",
                   fetch=Api(Track("spotify:track:adele", "Hello", "Adele", "spotify")))
    assert await c.store.purge_expired(clock.now()) == 1
    assert await c.store.count() == 1


async def test_a_native_script_query_and_its_latin_spelling_share_one_entry(
        cache: tuple[SearchCache, ManualClock]) -> None:
    c, _ = cache
    song = Track("spotify:track:sama", "సామజవరగమన", "Sid Sriram", "spotify")
    api = Api(song)
    first = await c.lookup("spotify", "play సామజవరగమన", fetch=api)
    again = await c.lookup("spotify", "play samajavaragamana", fetch=api)
    c.hot.clear()
    stored = await c.lookup("spotify", "Samajavaragamana", fetch=api)
    assert (first.tier, again.tier, stored.tier) == ("api", "hot", "sqlite")
    assert stored.track == song and api.calls == 1
