"""Scheduled syncs: the due rule (time passed in), the periodic task in Huey's immediate mode,
``sync_now``, and the consumer running on threads inside the process."""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest

from sam_edge.sync.lock import SyncLock
from sam_edge.sync.tasks import (
    DEFAULT_INTERVAL_S,
    LoopJobs,
    due,
    install_tasks,
    make_huey,
    start_consumer_in_process,
)
from tests.sync.conftest import World

NOW = 1_767_225_600.0
HOUR = 3600.0


@pytest.mark.parametrize(("last_ok", "expected"), [
    (None, True),  # never synced
    (NOW - HOUR, False),
    (NOW - 6 * HOUR + 1, False),
    (NOW - 6 * HOUR, True),
    (NOW - 30 * 24 * HOUR, True),  # the Pi was off for a month: catch up at the first check
    (NOW + 60, False),  # a little clock drift is not a reason to sync
    (NOW + 48 * HOUR, True),  # booted with a clock behind the last sync (no RTC)
])
def test_due_after_the_interval(last_ok: float | None, expected: bool) -> None:
    assert due(NOW, last_ok, 6 * HOUR) is expected


def test_a_recent_failure_waits_before_trying_again() -> None:
    assert not due(NOW, None, 6 * HOUR, last_failed=NOW - 600)
    assert due(NOW, None, 6 * HOUR, last_failed=NOW - 2 * HOUR)
    assert due(NOW, NOW - 7 * HOUR, 6 * HOUR, last_failed=NOW - 2 * HOUR, retry_s=HOUR)
    assert due(NOW, None, 6 * HOUR, last_failed=NOW + 48 * HOUR)  # a failure "in the future"


def test_the_check_is_scheduled_every_15_minutes(world: World) -> None:
    huey = make_huey(world.settings.data.dir, immediate=True)
    loop = asyncio.new_event_loop()
    try:
        tasks = install_tasks(huey, LoopJobs(world.service, loop))
    finally:
        loop.close()
    names = {t.name for t in huey.read_periodic(datetime(2026, 1, 1, 10, 45))}
    assert names == {"library.check"}
    assert huey.read_periodic(datetime(2026, 1, 1, 10, 7)) == []
    assert tasks.check.name == "library.check"


async def test_the_periodic_check_syncs_only_when_due(world: World) -> None:
    jobs = LoopJobs(world.service, asyncio.get_running_loop(), clock=world.clock)
    tasks = install_tasks(make_huey(world.settings.data.dir, immediate=True), jobs)
    runs = "SELECT count(*) FROM sync_runs WHERE status = 'ok'"

    await asyncio.to_thread(tasks.check)  # immediate mode: runs inline on that thread
    assert world.count(runs) == 1
    assert world.count("SELECT count(*) FROM library_tracks WHERE liked") == 120

    before = len(world.fake.requests)
    world.clock.advance(DEFAULT_INTERVAL_S - 60)
    await asyncio.to_thread(tasks.check)
    assert world.count(runs) == 1 and len(world.fake.requests) == before

    world.clock.advance(120)
    await asyncio.to_thread(tasks.check)
    assert world.count(runs) == 2
    assert len(world.fake.requests) == before + 3  # an unchanged library: the cheap run


async def test_sync_now_and_a_check_that_finds_the_lock_taken(world: World) -> None:
    jobs = LoopJobs(world.service, asyncio.get_running_loop(), clock=world.clock)
    tasks = install_tasks(make_huey(world.settings.data.dir, immediate=True), jobs)
    with SyncLock(world.settings.data.dir):
        assert await jobs.due_check() == []
        await asyncio.to_thread(tasks.sync_now, "spotify")
    assert world.count("SELECT count(*) FROM sync_runs") == 0
    await asyncio.to_thread(tasks.sync_now, "spotify")
    assert world.rows("SELECT status FROM sync_runs") == [("ok",)]


async def test_the_consumer_runs_tasks_on_threads_in_this_process(world: World) -> None:
    huey = make_huey(world.settings.data.dir / "queue")
    jobs = LoopJobs(world.service, asyncio.get_running_loop(), clock=world.clock)
    tasks = install_tasks(huey, jobs)
    assert (world.settings.data.dir / "queue" / "huey.sqlite3").exists()
    stop = start_consumer_in_process(huey, jobs=jobs)
    try:
        tasks.sync_now("spotify")
        # At a quarter hour the scheduler's own check may sync first: either run will do.
        async with asyncio.timeout(30):
            while not world.count("SELECT count(*) FROM sync_runs WHERE status = 'ok'"):
                await asyncio.sleep(0.05)
    finally:
        stop()
        await jobs.drain()
    assert world.count("SELECT count(*) FROM library_tracks WHERE liked") == 120


async def test_stopping_the_consumer_mid_sync_leaves_it_resumable(world: World) -> None:
    huey = make_huey(world.settings.data.dir)
    jobs = LoopJobs(world.service, asyncio.get_running_loop(), clock=world.clock)
    tasks = install_tasks(huey, jobs)
    world.fake.latency_s = 0.05
    stop = start_consumer_in_process(huey, jobs=jobs)
    try:
        tasks.sync_now("spotify")
        async with asyncio.timeout(20):
            while not world.count("SELECT count(*) FROM library_tracks"):
                await asyncio.sleep(0.02)
    finally:
        stop()  # on the loop itself, as the daemon's shutdown does
        await jobs.drain()
    assert ("running",) in world.rows("SELECT status FROM sync_runs")
    world.fake.latency_s = 0.0
    [summary] = await world.new_service().sync()
    assert summary.ok and summary.resumed and summary.liked == 120


async def test_jobs_refuse_to_wait_on_their_own_loop(world: World) -> None:
    jobs = LoopJobs(world.service, asyncio.get_running_loop(), clock=world.clock)
    with pytest.raises(RuntimeError, match="worker thread"):
        jobs.check()
