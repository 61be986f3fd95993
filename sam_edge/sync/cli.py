"""``sam-edge sync [--platform P]``: sync the music library now, in this process.

Builds only what a sync needs (the migrated database, the token store, the adapters that have a
library), so it runs beside ``sam-edge run`` (WAL and a busy timeout share the database; the
sync lock keeps the two from syncing at once). A progress bar goes to stderr when it is a
terminal; one summary line per platform goes to stdout.

Exit codes: 0 synced, or nothing is paired; 1 the platform is not paired or not set up, another
sync is running, or the sync failed.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ..errors import SamError
from ..settings import Settings
from .service import LibrarySyncService, ProgressFn, SyncProgress, SyncSummary


def _err(message: str) -> None:
    print(f"sam-edge: {message}", file=sys.stderr)


@contextmanager
def _progress_bar(enabled: bool) -> Iterator[ProgressFn | None]:
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   console=Console(stderr=True), transient=True)
    tasks: dict[tuple[str, str], Any] = {}

    def show(event: SyncProgress) -> None:
        key = (event.platform, event.phase)
        if key not in tasks:
            tasks[key] = bar.add_task(f"{event.platform} {event.phase}", total=event.total)
        bar.update(tasks[key], completed=event.done, total=event.total)

    with bar:
        yield show


def _not_set_up(settings: Settings, platform: str | None) -> str | None:
    if platform == "spotify" and not settings.spotify.client_id:
        return ("Spotify is not set up: set SAM_SPOTIFY_CLIENT_ID (see README: create your "
                "own Spotify app)")
    if platform == "soundcloud" and not settings.soundcloud.client_id:
        return ("SoundCloud is not set up: set SAM_SOUNDCLOUD_CLIENT_ID and "
                "SAM_SOUNDCLOUD_CLIENT_SECRET")
    return None


async def _sync(settings: Settings, platform: str | None, show_progress: bool) -> int:
    from ..app.core import build_core
    from ..app.library_sources import library_sources

    core = await build_core(settings)
    bus: Any = None
    try:
        shared = None
        if settings.household.enabled:
            from ..household.bus import connect_bus

            # In a household the sync runs here, under the household's lock: the devices'
            # services see it done and do not sync again.
            bus = await connect_bus(settings.household)
            shared = bus.lock(wait_s=0)
        service = LibrarySyncService(core.sessions, library_sources(core.platforms),
                                     data_dir=settings.data.dir, shared_lock=shared)
        if bus is not None:
            service.add_listener(bus.library_changed_soon)
        if platform is None and not await service.paired():
            print("nothing to sync: no music account is paired (run: sam-edge pair spotify)")
            return 0
        try:
            with _progress_bar(show_progress) as progress:
                summaries = await service.sync(platform, progress=progress)
        except SamError as exc:
            _err(exc.message)
            return 1
        return _report(summaries)
    finally:
        if bus is not None:
            await bus.aclose()
        await core.aclose()


def _report(summaries: list[SyncSummary]) -> int:
    failed = False
    for summary in summaries:
        if summary.ok:
            print(summary.line(), flush=True)
        else:
            failed = True
            _err(summary.line())
    return 1 if failed else 0


def run_sync_command(settings: Settings, platform: str | None, *, stderr_is_tty: bool) -> int:
    """Run ``sam-edge sync``; returns the exit code."""
    problem = _not_set_up(settings, platform)
    if problem:
        _err(problem)
        return 1
    return asyncio.run(_sync(settings, platform, stderr_is_tty))
