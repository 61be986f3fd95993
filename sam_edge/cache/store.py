"""Tier 2: the persistent ``search_cache`` table (SQLite on its own, PostgreSQL in a
household)."""

from __future__ import annotations

import importlib
from typing import Any

from sqlalchemy import Table, delete, func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from ..db.models import SearchCacheEntry
from ..platforms.base import Track

_T: Table = SearchCacheEntry.__table__  # type: ignore[assignment]


class SearchCacheStore:
    def __init__(self, sessions: async_sessionmaker[Any]) -> None:
        self._sessions = sessions

    async def get(self, query_hash: str, platform: str, now: float) -> Track | None:
        async with self._sessions() as session:
            row = (
                await session.execute(
                    select(_T.c.result_uri, _T.c.title, _T.c.artist, _T.c.kind, _T.c.album)
                    .where(_T.c.query_hash == query_hash, _T.c.platform == platform,
                           _T.c.expires_at > now)
                )
            ).first()
        if row is None:
            return None
        return Track(uri=row.result_uri, title=row.title, artist=row.artist, platform=platform,
                     kind=row.kind, album=row.album)

    async def put(self, query_hash: str, query_text: str, track: Track, *, now: float,
                  ttl_s: float) -> None:
        values = {
            "query_hash": query_hash, "query_text": query_text, "platform": track.platform,
            "kind": track.kind, "result_uri": track.uri, "title": track.title,
            "artist": track.artist, "album": track.album, "created_at": now,
            "expires_at": now + ttl_s,
        }
        bind = self._sessions.kw.get("bind")
        # The dialect's module loads on first use: a single device never needs PostgreSQL's.
        name = "postgresql" if bind is not None and bind.dialect.name == "postgresql" \
            else "sqlite"
        dialect = importlib.import_module(f"sqlalchemy.dialects.{name}")
        stmt = dialect.insert(_T).values(**values)
        stmt = stmt.on_conflict_do_update(
            index_elements=["query_hash", "platform"],
            set_={k: stmt.excluded[k] for k in values if k not in ("query_hash", "platform")},
        )
        async with self._sessions.begin() as session:
            await session.execute(stmt)

    async def recent_titles(self, limit: int = 100) -> list[str]:
        """Titles and artists of recent results, newest first (speech-to-text hints)."""
        async with self._sessions() as session:
            rows = (await session.execute(
                select(_T.c.title, _T.c.artist).order_by(_T.c.created_at.desc()).limit(limit)
            )).all()
        seen: dict[str, None] = {}
        for title, artist in rows:
            for name in (title, artist):
                if name:
                    seen.setdefault(name, None)
        return list(seen)

    async def purge_expired(self, now: float) -> int:
        async with self._sessions.begin() as session:
            result = await session.execute(delete(_T).where(_T.c.expires_at <= now))
        return int(getattr(result, "rowcount", 0) or 0)

    async def count(self) -> int:
        async with self._sessions() as session:
            return int(await session.scalar(select(func.count()).select_from(_T)) or 0)

    async def clear(self) -> None:
        async with self._sessions.begin() as session:
            await session.execute(delete(_T))
