"""The library tables as the sync writes them: one short transaction per page or playlist, each
also moving the run's cursor and counters, so a crash loses at most the page in flight."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ..cache.normalize import normalize_artist, normalize_query
from ..db.models import LibraryPlaylist, LibraryPlaylistItem, LibraryTrack, SyncRun
from .source import LibraryItem, LikedSummary, PlaylistInfo

LIBRARY_STAMP = "library.stamp"
"""Touched after every sync so readers in any process know to reload."""
KEEP_RUNS = 50
SAME = "same"
"""In :meth:`LibraryStore.save_playlists`: the playlist's snapshot is the stored one."""
_CHUNK = 500  # well under SQLite's limit on bound parameters


@dataclass(frozen=True, slots=True)
class Totals:
    liked: int
    playlists: int
    skipped: int
    items: int


@dataclass
class Delta:
    added: int = 0
    updated: int = 0
    removed: int = 0
    skipped: int = 0


def _chunks(values: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


class LibraryStore:
    def __init__(self, sessions: async_sessionmaker[Any]) -> None:
        self._sessions = sessions

    # ---- runs -------------------------------------------------------------------------------

    async def latest_run(self, platform: str, status: str | None = None) -> SyncRun | None:
        query = select(SyncRun).where(SyncRun.platform == platform)
        if status is not None:
            query = query.where(SyncRun.status == status)
        async with self._sessions() as session:
            run: SyncRun | None = await session.scalar(query.order_by(SyncRun.id.desc()).limit(1))
            return run

    async def start_run(self, platform: str, now: float) -> SyncRun:
        async with self._sessions.begin() as session:
            run = SyncRun(platform=platform, started_at=now, status="running",
                          cursor={"phase": "liked"})
            session.add(run)
        return run

    async def reopen(self, run_id: int) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                update(SyncRun).where(SyncRun.id == run_id).values(status="running", error=""))

    async def set_run(self, run_id: int, delta: Delta | None = None, **values: Any) -> None:
        async with self._sessions.begin() as session:
            await self._bump(session, run_id, delta, **values)

    @staticmethod
    async def _bump(session: AsyncSession, run_id: int, delta: Delta | None,
                    **values: Any) -> None:
        if delta is not None:
            values.update(added=SyncRun.added + delta.added,
                          updated=SyncRun.updated + delta.updated,
                          removed=SyncRun.removed + delta.removed,
                          skipped=SyncRun.skipped + delta.skipped)
        if values:
            await session.execute(update(SyncRun).where(SyncRun.id == run_id).values(**values))

    async def fail_run(self, run_id: int, now: float, error: str) -> None:
        await self.set_run(run_id, status="failed", finished_at=now, error=error[:1000])

    async def complete_run(self, platform: str, run_id: int, now: float) -> Delta:
        """Drop playlists this run no longer saw and tracks nothing refers to, then mark the
        run ok, all in one transaction."""
        delta = Delta()
        async with self._sessions.begin() as session:
            gone = await session.execute(delete(LibraryPlaylist).where(
                LibraryPlaylist.platform == platform,
                or_(LibraryPlaylist.seen_run.is_(None), LibraryPlaylist.seen_run != run_id)))
            delta.removed += gone.rowcount or 0
            delta.removed += await self._prune(session, platform)
            await self._bump(session, run_id, delta, status="ok", finished_at=now, cursor={},
                             error="")
            old = select(SyncRun.id).where(SyncRun.platform == platform) \
                .order_by(SyncRun.id.desc()).offset(KEEP_RUNS)
            await session.execute(delete(SyncRun).where(SyncRun.id.in_(old)))
        return delta

    @staticmethod
    async def _prune(session: AsyncSession, platform: str) -> int:
        used = select(LibraryPlaylistItem.track_uri).join(
            LibraryPlaylist, LibraryPlaylist.id == LibraryPlaylistItem.playlist_id
        ).where(LibraryPlaylist.platform == platform)
        result = await session.execute(delete(LibraryTrack).where(
            LibraryTrack.platform == platform, LibraryTrack.liked.is_(False),
            LibraryTrack.uri.not_in(used)))
        return result.rowcount or 0  # type: ignore[attr-defined]

    # ---- tracks -----------------------------------------------------------------------------

    async def _upsert(self, session: AsyncSession, platform: str, items: Sequence[LibraryItem],
                      now: float, *, liked_run: int | None) -> Delta:
        """Insert or refresh ``items``; with ``liked_run`` they are liked tracks seen by it."""
        delta = Delta()
        unique = {item.uri: item for item in items if item.uri}
        uris = list(unique)
        rows: dict[str, LibraryTrack] = {}
        for chunk in _chunks(uris):
            found = await session.scalars(select(LibraryTrack).where(
                LibraryTrack.platform == platform, LibraryTrack.uri.in_(chunk)))
            rows.update((row.uri, row) for row in found)
        fresh: list[dict[str, Any]] = []
        for uri, item in unique.items():
            row = rows.get(uri)
            values: dict[str, Any] = {
                "title": item.title, "artist": item.artist, "album": item.album,
                "duration_ms": item.duration_ms, "title_norm": normalize_query(item.title),
                "artist_norm": normalize_artist(item.artist),
            }
            if liked_run is not None:
                values.update(liked=True, added_at=item.added_at)
            if row is None:
                fresh.append({"liked": False, "added_at": None, **values, "platform": platform,
                              "uri": uri, "liked_run": liked_run, "synced_at": now})
                continue
            if any(getattr(row, key) != value for key, value in values.items()):
                delta.updated += 1
                for key, value in values.items():
                    setattr(row, key, value)
            row.synced_at = now
            if liked_run is not None:
                row.liked_run = liked_run
        if fresh:
            # One executemany: building an ORM object per new track made the first sync of a
            # large library spend most of its time in the session's flush.
            await session.execute(insert(LibraryTrack), fresh)
            delta.added += len(fresh)
        return delta

    async def restart_liked(self, platform: str, run_id: int, total: int,
                            newest: float | None) -> None:
        """Begin (or begin again) reading the liked tracks for ``run_id``: marks a previous
        attempt of this run left would hide tracks unliked since."""
        async with self._sessions.begin() as session:
            await session.execute(update(LibraryTrack).where(
                LibraryTrack.platform == platform, LibraryTrack.liked_run == run_id,
            ).values(liked_run=None))
            await self._bump(session, run_id, None, liked_total=total,
                             liked_newest_added_at=newest, cursor={"phase": "liked"})

    async def save_liked_page(self, platform: str, run_id: int, items: Sequence[LibraryItem],
                              now: float, next_cursor: str | None) -> Delta:
        """Store one page of liked tracks and where to go on; after the last page, unmark the
        tracks this run did not see (they were unliked) in the same transaction."""
        async with self._sessions.begin() as session:
            delta = await self._upsert(session, platform, items, now, liked_run=run_id)
            cursor: dict[str, Any] = {"phase": "liked", "next": next_cursor}
            if next_cursor is None:
                unliked = await session.execute(update(LibraryTrack).where(
                    LibraryTrack.platform == platform, LibraryTrack.liked.is_(True),
                    or_(LibraryTrack.liked_run.is_(None), LibraryTrack.liked_run != run_id),
                ).values(liked=False, added_at=None))
                delta.removed += unliked.rowcount or 0
                cursor = {"phase": "playlists", "next": None}
            await self._bump(session, run_id, delta, cursor=cursor)
        return delta

    async def liked_count(self, platform: str) -> int:
        async with self._sessions() as session:
            return await session.scalar(select(func.count()).where(
                LibraryTrack.platform == platform, LibraryTrack.liked.is_(True))) or 0

    async def liked_among(self, platform: str, uris: Sequence[str]) -> set[str]:
        """Which of ``uris`` are stored as liked."""
        found: set[str] = set()
        async with self._sessions() as session:
            for chunk in _chunks(list(uris)):
                found.update(await session.scalars(select(LibraryTrack.uri).where(
                    LibraryTrack.platform == platform, LibraryTrack.liked.is_(True),
                    LibraryTrack.uri.in_(chunk))))
        return found

    async def save_new_likes(self, platform: str, run_id: int, items: Sequence[LibraryItem],
                             now: float, summary: LikedSummary) -> Delta:
        """Store the likes newer than every known one and end the run's liked phase."""
        async with self._sessions.begin() as session:
            delta = await self._upsert(session, platform, items, now, liked_run=run_id)
            await self._bump(session, run_id, delta, liked_total=summary.total,
                             liked_newest_added_at=summary.newest_added_at,
                             cursor={"phase": "playlists", "next": None})
        return delta

    # ---- playlists --------------------------------------------------------------------------

    async def snapshots(self, platform: str, uris: list[str]) -> dict[str, str]:
        """The stored snapshot id of each of these playlists that is stored (one query)."""
        async with self._sessions() as session:
            rows = await session.execute(select(LibraryPlaylist.uri, LibraryPlaylist.snapshot_id)
                                         .where(LibraryPlaylist.platform == platform,
                                                LibraryPlaylist.uri.in_(uris)))
            return {uri: snapshot or "" for uri, snapshot in rows}

    @staticmethod
    def _describe(row: LibraryPlaylist, info: PlaylistInfo, run_id: int, now: float) -> None:
        row.name, row.name_norm = info.name, normalize_query(info.name)
        row.owner, row.owned, row.track_count = info.owner, info.owned, info.track_count
        row.seen_run, row.synced_at = run_id, now

    async def playlist_unchanged(self, platform: str, run_id: int, info: PlaylistInfo,
                                 now: float) -> None:
        """The snapshot is the stored one: only note that this run saw it."""
        await self.save_playlists(platform, run_id, [(info, SAME, "")], now)

    async def save_playlist(self, platform: str, run_id: int, info: PlaylistInfo,
                            items: Sequence[LibraryItem] | None, now: float,
                            skipped_reason: str = "") -> Delta:
        """Replace the playlist's items (``None``: they could not be read) in one transaction."""
        return await self.save_playlists(platform, run_id, [(info, items, skipped_reason)], now)

    async def save_playlists(self, platform: str, run_id: int,
                             entries: Sequence[tuple[PlaylistInfo, Any, str]],
                             now: float) -> Delta:
        """Several playlists in one transaction, each ``(info, items, skipped_reason)``:
        ``items`` :data:`SAME` (the snapshot is the stored one: only note that this run saw
        it), ``None`` (they could not be read) or the items that replace the stored ones."""
        delta = Delta()
        async with self._sessions.begin() as session:
            rows = {row.uri: row for row in await session.scalars(select(LibraryPlaylist).where(
                LibraryPlaylist.platform == platform,
                LibraryPlaylist.uri.in_([info.uri for info, _, _ in entries])))}
            for info, items, reason in entries:
                row = rows.get(info.uri)
                if items is SAME:
                    if row is not None:
                        self._describe(row, info, run_id, now)
                        delta.skipped += bool(row.skipped_reason)
                    continue
                rows[info.uri] = await self._replace(session, platform, run_id, row, info,
                                                     items, now, reason, delta)
            await self._bump(session, run_id, delta)
        return delta

    async def _replace(self, session: AsyncSession, platform: str, run_id: int,
                       row: LibraryPlaylist | None, info: PlaylistInfo,
                       items: Sequence[LibraryItem] | None, now: float, reason: str,
                       delta: Delta) -> LibraryPlaylist:
        if row is None:
            row = LibraryPlaylist(platform=platform, uri=info.uri)
            session.add(row)
            delta.added += 1
        else:
            delta.updated += 1
        self._describe(row, info, run_id, now)
        row.snapshot_id, row.skipped_reason = info.snapshot_id, reason
        await session.flush()
        await session.execute(
            delete(LibraryPlaylistItem).where(LibraryPlaylistItem.playlist_id == row.id))
        if items is None:
            delta.skipped += 1
            return row
        tracks = await self._upsert(session, platform, items, now, liked_run=None)
        delta.added += tracks.added
        delta.updated += tracks.updated
        if items:
            await session.execute(insert(LibraryPlaylistItem), [
                {"playlist_id": row.id, "position": i, "track_uri": item.uri}
                for i, item in enumerate(items)])
        return row

    async def totals(self, platform: str) -> Totals:
        async with self._sessions() as session:
            liked = await session.scalar(select(func.count()).where(
                LibraryTrack.platform == platform, LibraryTrack.liked.is_(True)))
            playlists = await session.scalar(select(func.count()).where(
                LibraryPlaylist.platform == platform))
            skipped = await session.scalar(select(func.count()).where(
                LibraryPlaylist.platform == platform, LibraryPlaylist.skipped_reason != ""))
            items = await session.scalar(select(func.count()).select_from(
                LibraryPlaylistItem).join(LibraryPlaylist, and_(
                    LibraryPlaylist.id == LibraryPlaylistItem.playlist_id,
                    LibraryPlaylist.platform == platform)))
        return Totals(liked or 0, playlists or 0, skipped or 0, items or 0)
