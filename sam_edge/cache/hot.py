"""Tier 1: a diskcache on the device's own storage — hot, survives restarts, microseconds."""

from __future__ import annotations

from pathlib import Path

import diskcache

from ..db.private import tighten
from ..platforms.base import Track


def _pack(track: Track) -> tuple[str, str, str, str, str, str, int | None]:
    return (track.uri, track.title, track.artist, track.platform, track.kind, track.album,
            track.duration_ms)


def _unpack(value: object) -> Track | None:
    if not isinstance(value, tuple) or len(value) != 7:
        return None
    uri, title, artist, platform, kind, album, duration_ms = value
    return Track(uri=uri, title=title, artist=artist, platform=platform, kind=kind, album=album,
                 duration_ms=duration_ms)


class HotCache:
    def __init__(self, directory: Path, *, size_mb: int = 64) -> None:
        existed = directory.exists() and any(directory.iterdir())
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._cache = diskcache.Cache(str(directory), size_limit=size_mb * 1024 * 1024)
        # diskcache makes its files with the umask's modes: new ones are tightened quietly,
        # loose ones that were already there are reported.
        tighten([directory], quiet=not existed)

    def get(self, key: str) -> Track | None:
        return _unpack(self._cache.get(key))

    def set(self, key: str, track: Track, ttl_s: float) -> None:
        self._cache.set(key, _pack(track), expire=ttl_s)

    def clear(self) -> None:
        self._cache.clear()

    def volume(self) -> int:
        """Bytes on disk."""
        return int(self._cache.volume())

    def __len__(self) -> int:
        return len(self._cache)

    def close(self) -> None:
        self._cache.close()
