"""The two phases of a run: the liked tracks, then the playlists.

Liked tracks, when they changed since the last good run: first the newest pages only, up to the
first track already known as liked; when what is known plus what is new makes the platform's
total, nothing else changed (no unlike) and the phase is over. Otherwise every page is read
again: all at once, :func:`~.pages.in_order`, when the source can name every page's cursor up
front (``liked_cursors``), else one after the other. Pages are committed in their order with
the cursor of the next one (those already read together, in one transaction), so a run stopped
anywhere resumes at the first page not stored.

Playlists: each page of playlists is read, then the items of those whose snapshot changed, up to
the source's concurrency at once, committed one playlist at a time in the platform's order.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from ..clock import Clock
from ..db.models import SyncRun
from .pages import batches
from .source import (
    LibraryItem,
    LibrarySource,
    LikedSummary,
    Page,
    PlaylistInfo,
    PlaylistUnavailable,
)
from .store import SAME, LibraryStore

log = logging.getLogger(__name__)

BATCH = 20
"""Pages (or playlists) already read that are stored together, in one transaction."""
NEW_PAGES = 4
"""Newest pages read looking for a known track before the whole list is read instead."""

Report = Callable[[str, int, int | None], None]
"""``report(phase, done, total)``."""


def _ahead(source: LibrarySource) -> int:
    gate = getattr(source, "gate", None)
    return 2 * gate.limit if gate is not None else 1


class Phases:
    def __init__(self, store: LibraryStore, clock: Clock,
                 checkpoint: Callable[[], None]) -> None:
        self._store = store
        self._clock = clock
        self._checkpoint = checkpoint

    # ---- liked ------------------------------------------------------------------------------

    async def liked(self, source: LibrarySource, run: SyncRun, summary: LikedSummary,
                    cursor: str | None, report: Report) -> None:
        """Read the liked tracks from ``cursor`` (``None``: the first page) for ``run``."""
        if cursor is None:
            if await self._only_new(source, run, summary, report):
                return
            await self._store.restart_liked(source.name, run.id, summary.total,
                                            summary.newest_added_at)
        cursors: Callable[[int, str | None], list[str | None]] | None = getattr(
            source, "liked_cursors", None)
        done = 0
        if cursors is None:
            while True:
                self._checkpoint()
                page = await source.liked_page(cursor)
                done += await self._save_liked(source, run, page, report, done, summary)
                if page.next is None:
                    return
                cursor = page.next
        calls = [self._fetch_liked(source, at) for at in cursors(summary.total, cursor)]
        pages = batches(calls, _ahead(source), BATCH)
        try:
            async for got in pages:
                self._checkpoint()
                last = next((k for k, page in enumerate(got) if page.next is None), None)
                got = got if last is None else got[: last + 1]
                items = [item for page in got for item in page.items]
                done += await self._save_liked(source, run, Page(items, got[-1].next,
                                                                 got[-1].total),
                                               report, done, summary)
                if last is not None:
                    return
        finally:
            await pages.aclose()

    @staticmethod
    def _fetch_liked(source: LibrarySource,
                     cursor: str | None) -> Callable[[], Awaitable[Page[LibraryItem]]]:
        return lambda: source.liked_page(cursor)

    async def _save_liked(self, source: LibrarySource, run: SyncRun, page: Page[LibraryItem],
                          report: Report, done: int, summary: LikedSummary) -> int:
        await self._store.save_liked_page(source.name, run.id, page.items, self._clock.now(),
                                          page.next)
        report("liked", done + len(page.items), page.total or summary.total)
        return len(page.items)

    async def _only_new(self, source: LibrarySource, run: SyncRun, summary: LikedSummary,
                        report: Report) -> bool:
        """Store the likes newer than the newest known one, when that is all that changed."""
        # SoundCloud's total counts likes the library leaves out (previews, blocked tracks),
        # so only a source whose total is exactly what it lists can be checked this way.
        if not getattr(source, "liked_total_exact", False) \
                or await self._store.latest_run(source.name, "ok") is None:
            return False
        known = await self._store.liked_count(source.name)
        if not known:
            return False
        new: list[LibraryItem] = []
        cursor: str | None = None
        for _ in range(NEW_PAGES):
            self._checkpoint()
            page = await source.liked_page(cursor)
            seen = await self._store.liked_among(source.name, [i.uri for i in page.items])
            for item in page.items:
                if item.uri in seen:
                    if known + len(new) != summary.total:
                        return False
                    await self._store.save_new_likes(source.name, run.id, new,
                                                     self._clock.now(), summary)
                    report("liked", summary.total, summary.total)
                    return True
                new.append(item)
            if page.next is None:
                return False
            cursor = page.next
        return False

    # ---- playlists --------------------------------------------------------------------------

    async def playlists(self, source: LibrarySource, run: SyncRun, cursor: str | None,
                        report: Report) -> None:
        done = 0
        while True:
            page = await source.playlists_page(cursor)
            known = await self._store.snapshots(source.name, [info.uri for info in page.items])
            calls = [self._fetch_playlist(source, info, known.get(info.uri))
                     for info in page.items]
            fetched = batches(calls, _ahead(source), BATCH)
            try:
                async for got in fetched:
                    self._checkpoint()
                    await self._save_playlists(source, run, got)
                    done += len(got)
                    report("playlists", done, page.total)
            finally:
                await fetched.aclose()
            nxt = {"phase": "playlists", "next": page.next} if page.next else {"phase": "done"}
            await self._store.set_run(run.id, cursor=nxt)
            if page.next is None:
                return
            cursor = page.next

    @staticmethod
    def _fetch_playlist(source: LibrarySource, info: PlaylistInfo, stored: str | None,
                        ) -> Callable[[], Awaitable[tuple[PlaylistInfo, Any]]]:
        """What to store for ``info`` (``stored``: the snapshot id stored for it): ``"same"``
        (snapshot unchanged), its items, or the :class:`PlaylistUnavailable` that kept them
        from being read."""

        async def fetch() -> tuple[PlaylistInfo, Any]:
            if info.snapshot_id and stored == info.snapshot_id:
                return info, SAME
            try:
                return info, await Phases._items(source, info)
            except PlaylistUnavailable as exc:
                return info, exc

        return fetch

    async def _save_playlists(self, source: LibrarySource, run: SyncRun,
                              got: list[tuple[PlaylistInfo, Any]]) -> None:
        entries: list[tuple[PlaylistInfo, Any, str]] = []
        for info, items in got:
            if isinstance(items, PlaylistUnavailable):
                log.info("%s: playlist %r skipped (%s)", source.name, info.name, items.reason)
                entries.append((info, None, items.reason))
            else:
                entries.append((info, items, ""))
        await self._store.save_playlists(source.name, run.id, entries, self._clock.now())

    @staticmethod
    async def _items(source: LibrarySource, info: PlaylistInfo) -> list[LibraryItem]:
        items: list[LibraryItem] = []
        cursor: str | None = None
        while True:
            page = await source.playlist_items_page(info, cursor)
            items.extend(page.items)
            if page.next is None:
                return items
            cursor = page.next
