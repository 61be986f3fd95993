"""Finding a spoken title in the synced library, without asking any platform.

Titles are compared in their normalized form (:func:`~sam_edge.cache.normalize.normalize_query`:
case, accents, punctuation and filler words folded), with rapidfuzz's normalized edit distance,
so transliteration variants and small typos still match ("nuvu nenantu" → "Nuvvu Nenantu").
Short queries must match more closely: a wrong song is worse than asking the platform. A title's
version suffix ("- 2011 Remaster", "(feat. X)") is also matched without it, slightly lower, so
the plain title still wins when both exist. Ties go to liked tracks, then the newest.

The index lives in memory: loaded on first use and reloaded when the library stamp file changes
(every sync touches it, from this process or ``sam-edge sync``) or :meth:`invalidate` is called.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from ..db.models import LibraryPlaylist, LibraryTrack
from ..platforms.base import Track
from ..sync.store import LIBRARY_STAMP
from .normalize import normalize_artist, normalize_query

ARTIST_MIN = 80
"""token_set_ratio an entry's artists must reach against a requested artist."""
SUFFIX_PENALTY = 1.0
_SUFFIX = re.compile(r"\s*(?:\([^)]*\)|\[[^\]]*\]|\s-\s.*)\s*$")


def min_score(query: str) -> float:
    """The least similarity (0-100) a title needs to match ``query`` (normalized)."""
    if len(query) <= 4:
        return 100.0
    if len(query) <= 8:
        return 90.0
    return 85.0


def base_title(title: str) -> str:
    """``title`` without trailing version parts: "Song - 2011 Remaster" → "Song"."""
    while True:
        shorter = _SUFFIX.sub("", title)
        if shorter == title or not shorter.strip():
            return title
        title = shorter


@dataclass(frozen=True, slots=True)
class _Entry:
    track: Track
    artist_norm: str
    liked: bool
    added_at: float
    seq: int
    """Row id: among tracks liked at the same time (or not liked), the newest is the highest."""


@dataclass
class _Index:
    """Match keys per platform (``""`` = all) and, for each key, its entry and penalty."""

    entries: list[_Entry] = field(default_factory=list)
    keys: dict[str, list[str]] = field(default_factory=dict)
    owners: dict[str, list[tuple[int, float]]] = field(default_factory=dict)

    def add(self, entry: _Entry, title: str, norm: str) -> None:
        at = len(self.entries)
        self.entries.append(entry)
        variants = [(norm, 0.0)]
        base = normalize_query(base_title(title))
        if base and base != norm:
            variants.append((base, SUFFIX_PENALTY))
        for platform in ("", entry.track.platform):
            for key, penalty in variants:
                self.keys.setdefault(platform, []).append(key)
                self.owners.setdefault(platform, []).append((at, penalty))


class LibraryResolver:
    def __init__(self, sessions: async_sessionmaker[Any], *, stamp: Path | None = None) -> None:
        self._sessions = sessions
        self._stamp = stamp
        self._lock = asyncio.Lock()
        self._loaded: tuple[int, dict[str, _Index]] | None = None

    @classmethod
    def in_data_dir(cls, sessions: async_sessionmaker[Any], data_dir: Path) -> LibraryResolver:
        return cls(sessions, stamp=data_dir / LIBRARY_STAMP)

    def invalidate(self) -> None:
        self._loaded = None

    def _version(self) -> int:
        if self._stamp is None:
            return 0
        try:
            return self._stamp.stat().st_mtime_ns
        except FileNotFoundError:
            return -1

    async def _indexes(self) -> dict[str, _Index]:
        version = self._version()
        if self._loaded is not None and self._loaded[0] == version:
            return self._loaded[1]
        async with self._lock:
            if self._loaded is None or self._loaded[0] != version:
                self._loaded = (version, await self._load())
            return self._loaded[1]

    async def _load(self) -> dict[str, _Index]:
        tracks, playlists = _Index(), _Index()
        async with self._sessions() as session:
            for row in await session.scalars(select(LibraryTrack)):
                track = Track(row.uri, row.title, row.artist, row.platform, "track", row.album,
                              row.duration_ms)
                tracks.add(_Entry(track, row.artist_norm, row.liked, row.added_at or 0.0,
                                  row.id), row.title, row.title_norm)
            for pl in await session.scalars(select(LibraryPlaylist)):
                entry = _Entry(Track(pl.uri, pl.name, pl.owner, pl.platform, "playlist"),
                               normalize_artist(pl.owner), pl.owned, 0.0, pl.id)
                playlists.add(entry, pl.name, pl.name_norm)
        return {"track": tracks, "playlist": playlists}

    async def find(self, query: str, artist: str | None = None, platform: str | None = None,
                   kind: str = "track") -> Track | None:
        """The library's best match for ``query`` (by ``artist``, on ``platform``), or
        ``None`` when nothing is close enough (then ask the platform)."""
        index = (await self._indexes()).get(kind)
        wanted = normalize_query(query)
        if index is None or not wanted:
            return None
        keys = index.keys.get(platform or "")
        if not keys:
            return None
        owners = index.owners[platform or ""]
        floor = min_score(wanted)
        artist_norm = normalize_artist(artist)
        best: tuple[float, bool, float, int] | None = None
        found: Track | None = None
        hits = process.extract(wanted, keys, scorer=fuzz.ratio, score_cutoff=floor, limit=None)
        for _key, score, at in hits:
            entry_at, penalty = owners[at]
            entry = index.entries[entry_at]
            if artist_norm and fuzz.token_set_ratio(artist_norm, entry.artist_norm) < ARTIST_MIN:
                continue
            rank = (score - penalty, entry.liked, entry.added_at, entry.seq)
            if best is None or rank > best:
                best, found = rank, entry.track
        return found

    async def titles(self, limit: int = 200, platform: str | None = None) -> list[str]:
        """Distinct track titles for the speech-to-text prompt: liked first (newest liked
        first), then the other library tracks, newest first."""
        index = (await self._indexes())["track"]
        entries: Sequence[_Entry] = [
            e for e in index.entries if platform is None or e.track.platform == platform]
        ordered = sorted(entries, key=lambda e: (e.liked, e.added_at, e.seq), reverse=True)
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
