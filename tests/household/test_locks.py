"""RedisLock on a real Redis: one holder at a time across clients (devices), LockTimeout after
the wait, a lock kept past its expiry while held, and let go when its holder is gone; the same
for the household queue's library sync lock, down to a process killed while holding it."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis.asyncio as redis

from sam_edge.household.locks import LockTimeout, RedisLock
from sam_edge.sync.tasks import SqliteHuey, _one_per_queue, make_huey

HOLDER = """
import sys, time
from pathlib import Path
from sam_edge.sync.tasks import _one_per_queue, make_huey
huey = make_huey(Path(sys.argv[2]), redis_url=sys.argv[1], household="home")
with _one_per_queue(huey, ttl_s=float(sys.argv[3])) as mine:
    print("held" if mine else "not held", flush=True)
    time.sleep(600)
"""


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


def test_one_sync_per_household_queue(redis_url: str, tmp_path: Path) -> None:
    a = make_huey(tmp_path / "a", redis_url=redis_url, household="home")
    b = make_huey(tmp_path / "b", redis_url=redis_url, household="home")
    assert not isinstance(a, SqliteHuey)
    with _one_per_queue(a, ttl_s=0.6) as first:
        time.sleep(1.5)  # past the expiry: the holder keeps extending it
        with _one_per_queue(b) as second:
            assert first and not second
    with _one_per_queue(b) as again:
        assert again
    assert isinstance(make_huey(tmp_path / "c"), SqliteHuey)


def test_a_sync_lock_left_by_a_killed_process_expires(redis_url: str, tmp_path: Path) -> None:
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, redis_url, str(tmp_path / "a"),
                               "2.0"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        b = make_huey(tmp_path / "b", redis_url=redis_url, household="home")
        with _one_per_queue(b) as mine:
            assert not mine  # alive: it holds the lock
    finally:
        holder.kill()  # SIGKILL: no release, no clean-up
        holder.wait(10)
    deadline = time.monotonic() + 30.0
    while True:
        with _one_per_queue(b) as mine:
            if mine:
                break
        assert time.monotonic() < deadline, "the dead holder's lock never expired"
        time.sleep(0.1)
