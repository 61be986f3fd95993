"""RedisLock on a real Redis: one holder at a time across clients (devices), LockTimeout after
the wait, a lock kept past its expiry while held, and let go when its holder is gone."""

from __future__ import annotations

import asyncio

import pytest
import redis.asyncio as redis

from sam_edge.household.locks import LockTimeout, RedisLock


async def test_one_device_at_a_time(redis_url: str) -> None:
    a, b = redis.Redis.from_url(redis_url), redis.Redis.from_url(redis_url)
    try:
        order: list[str] = []
        async with RedisLock(a, wait_s=5).hold("spotify-refresh"):
            waiting = asyncio.create_task(_hold(RedisLock(b, wait_s=5), order))
            await asyncio.sleep(0.3)
            order.append("first done")
        await waiting
        assert order == ["first done", "second"]
        async with RedisLock(a, wait_s=5).hold("x"):
            with pytest.raises(LockTimeout):
                async with RedisLock(b, wait_s=0.2).hold("x"):
                    pass
    finally:
        await a.aclose()
        await b.aclose()


async def _hold(lock: RedisLock, order: list[str]) -> None:
    async with lock.hold("spotify-refresh"):
        order.append("second")


async def test_a_held_lock_outlives_its_ttl_and_a_dead_holder_lets_go(redis_url: str) -> None:
    a, b = redis.Redis.from_url(redis_url), redis.Redis.from_url(redis_url)
    try:
        async with RedisLock(a, ttl_s=0.6).hold("sync"):
            await asyncio.sleep(1.2)
            with pytest.raises(LockTimeout):
                async with RedisLock(b, wait_s=0.1).hold("sync"):
                    pass
        # A holder that vanished: its key expires, the next one gets it.
        await a.set("sam:lock:gone", "someone", px=300)
        async with RedisLock(b, wait_s=2).hold("gone"):
            pass
    finally:
        await a.aclose()
        await b.aclose()
