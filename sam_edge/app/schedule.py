"""The library sync's schedule in ``sam-edge run``: a Huey consumer inside the service (Redis in
a household, so one device of the home syncs; SQLite on its own), catching up at boot."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from ..settings import Settings
from ..sync.service import LibrarySyncService
from ..sync.tasks import (
    LoopJobs,
    SyncTasks,
    install_tasks,
    make_huey,
    start_consumer_in_process,
)


def start_schedule(settings: Settings, sync: LibrarySyncService, *,
                   shared: bool) -> tuple[LoopJobs, SyncTasks, Callable[[], None]]:
    """Start the consumer; returns the jobs, the installed tasks and how to stop them."""
    household = settings.household
    huey = make_huey(settings.data.dir, redis_url=household.redis_url if shared else "",
                     household=household.name)
    jobs = LoopJobs(sync, asyncio.get_running_loop(),
                    interval_s=settings.sync.interval_hours * 3600)
    tasks = install_tasks(huey, jobs, check_minutes=settings.sync.check_minutes)
    stop = start_consumer_in_process(huey, jobs=jobs)
    tasks.check()  # catch up at boot, not at the next quarter hour
    return jobs, tasks, stop
