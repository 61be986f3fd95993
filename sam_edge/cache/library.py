"""Finding a spoken title in the synced library, without asking any platform.

Titles are matched in any script by :class:`~sam_edge.text.titles.TitleIndex`: a native-script
title (సామజవరగమన, तुम ही हो) is indexed under the phonetic key of its Latin rendering, so
"samajavaragamana" and "tum hi ho" find it, and a Latin title under its own key ("nuvu nenantu"
→ "Nuvvu Nenantu"). A match is taken only when it is clearly the best (the thresholds of
:mod:`sam_edge.text.matcher`); :meth:`LibraryResolver.resolve` also reports the close titles
when it is not, so the caller can ask or search the platform. A title's version suffix
("- 2011 Remaster", "(feat. X)") is also matched without it, slightly lower, so the plain title
still wins when both exist. Among one title's tracks, liked ones win, then the newest.

The index lives in memory: loaded on first use and reloaded when the library stamp file changes
(every sync touches it, from this process or ``sam-edge sync``) or :meth:`invalidate` is called.
The names' phonetic keys are also kept in ``title_keys.json`` in the data folder
(:class:`~sam_edge.text.keystore.KeyStore`), so a start does not derive them again.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from ..db.models import DialogTurn, LibraryPlaylist, LibraryTrack
from ..platforms.base import Track
from ..sync.store import LIBRARY_STAMP
from ..text.keystore import KeyStore
from ..text.matcher import Decision, artist_matches
from ..text.titles import TitleIndex, base_title
from .normalize import normalize_artist, normalize_query

__all__ = ["LibraryResolver", "base_title"]

TITLE_KEYS = "title_keys.json"
"""The phonetic keys of the library's names, so a start does not derive them again."""

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Entry:
    track: Track
    artist_norm: str
    liked: bool
    added_at: float
    seq: int
    """Row id: among tracks liked at the same time (or not liked), the newest is the highest."""


def _rank(entry: _Entry) -> tuple[bool, float, int]:
    return (entry.liked, entry.added_at, entry.seq)


class LibraryResolver:
    def __init__(self, sessions: async_sessionmaker[Any], *, stamp: Path | None = None,
                 keys: KeyStore | None = None) -> None:
        self._sessions = sessions
        self._stamp = stamp
        self._keys = keys or KeyStore()
        self._lock = asyncio.Lock()
        self._loaded: tuple[int, dict[str, TitleIndex[_Entry]]] | None = None

    @classmethod
    def in_data_dir(cls, sessions: async_sessionmaker[Any], data_dir: Path) -> LibraryResolver:
        return cls(sessions, stamp=data_dir / LIBRARY_STAMP,
                   keys=KeyStore(data_dir / TITLE_KEYS))

    def invalidate(self) -> None:
        self._loaded = None

    def _version(self) -> int:
        if self._stamp is None:
            return 0
        try:
            return self._stamp.stat().st_mtime_ns
        except FileNotFoundError:
            return -1

    async def _indexes(self) -> dict[str, TitleIndex[_Entry]]:
        version = self._version()
        if self._loaded is not None and self._loaded[0] == version:
            return self._loaded[1]
        async with self._lock:
            if self._loaded is None or self._loaded[0] != version:
                try:
                    self._loaded = (version, await self._load())
                except (OSError, TimeoutError) as exc:
                    # The household's store is offline: no library this turn (the platforms
                    # and the search cache still answer); the next turn tries again.
                    log.warning("the library cannot be read (%s)", type(exc).__name__)
                    return {}
            return self._loaded[1]

    async def _load(self) -> dict[str, TitleIndex[_Entry]]:
        tracks: TitleIndex[_Entry] = TitleIndex.using(self._keys)
        playlists: TitleIndex[_Entry] = TitleIndex.using(self._keys)
        async with self._sessions() as session:
            for row in await session.scalars(select(LibraryTrack)):
                track = Track(row.uri, row.title, row.artist, row.platform, "track", row.album,
                              row.duration_ms)
                tracks.add(_Entry(track, row.artist_norm, row.liked, row.added_at or 0.0,
                                  row.id), row.title)
            for pl in await session.scalars(select(LibraryPlaylist)):
                entry = _Entry(Track(pl.uri, pl.name, pl.owner, pl.platform, "playlist"),
                               normalize_artist(pl.owner), pl.owned, 0.0, pl.id)
                playlists.add(entry, pl.name)
        self._keys.save()
        return {"track": tracks, "playlist": playlists}

    async def find(self, query: str, artist: str | None = None, platform: str | None = None,
                   kind: str = "track") -> Track | None:
        """The library's clear match for ``query`` (by ``artist``, on ``platform``), or
        ``None`` when nothing is clearly best (then ask the platform)."""
        return (await self.resolve(query, artist, platform, kind)).best

    async def resolve(self, query: str, artist: str | None = None,
                      platform: str | None = None, kind: str = "track") -> Decision[Track]:
        """:meth:`find` with the close titles when there is no clear match."""
        index = (await self._indexes()).get(kind)
        wanted = normalize_query(query)
        if index is None or not wanted:
            return Decision(None)

        def accept(entry: _Entry) -> bool:
            if platform and entry.track.platform != platform:
                return False
            return not artist or artist_matches(artist, entry.track.artist or "")

        verbatim = query.strip().casefold()
        exact = [e for e, _, _ in index.scored(wanted, accept)
                 if e.track.title.casefold() == verbatim]
        if exact:  # a title picked from "Did you mean … or …?" is named verbatim
            best = max(exact, key=_rank)
            return Decision(best.track, (best.track,), 100.0)
        decision = index.resolve(wanted, accept, _rank)
        return Decision(decision.best.track if decision.best else None,
                        tuple(e.track for e in decision.candidates), decision.score)

    async def plays(self) -> Counter[str]:
        """How often each title was played, by the dialog turns still kept."""
        async with self._sessions() as session:
            rows = await session.scalars(select(DialogTurn.parameters).where(
                DialogTurn.action == "play", DialogTurn.status == "ok"))
            return Counter(str(p.get("title", "")).casefold() for p in rows if p)

    async def titles(self, limit: int = 200, platform: str | None = None) -> list[str]:
        """Distinct track titles for the speech-to-text prompt: the most played first, then
        liked (newest liked first), then the other library tracks, newest first."""
        index = (await self._indexes())["track"]
        plays = await self.plays()
        entries: Sequence[_Entry] = [
            e for e in index.names.items if platform is None or e.track.platform == platform]
        ordered = sorted(entries, reverse=True, key=lambda e: (
            plays[e.track.title.casefold()], e.liked, e.added_at, e.seq))
        seen: set[str] = set()
        out: list[str] = []
        for entry in ordered:
            key = entry.track.title.casefold()
            if entry.track.title and key not in seen:
                seen.add(key)
                out.append(entry.track.title)
                if len(out) >= limit:
                    break
        return out
