"""Spotify Web API objects (tracks, albums, artists, playlists) as the platform-neutral
:class:`~sam_edge.platforms.base.Track`."""

from __future__ import annotations

from typing import Any

from ..base import Track
from .auth import PLATFORM


def artists_of(item: dict[str, Any]) -> str:
    return ", ".join(a["name"] for a in item.get("artists") or [] if a and a.get("name"))


def to_track(item: dict[str, Any], kind: str) -> Track:
    """A :class:`Track` from a Spotify track, album, artist or playlist object."""
    name, uri = item.get("name") or "", item.get("uri") or ""
    if kind == "track":
        return Track(uri, name, artists_of(item), PLATFORM, "track",
                     (item.get("album") or {}).get("name") or "", item.get("duration_ms"))
    if kind == "album":
        return Track(uri, name, artists_of(item), PLATFORM, "album", name)
    if kind == "playlist":
        owner = (item.get("owner") or {}).get("display_name") or ""
        return Track(uri, name, owner, PLATFORM, "playlist")
    return Track(uri, name, "", PLATFORM, kind)


def image_of(item: dict[str, Any]) -> str:
    """The largest cover of a track's album (an episode's own images otherwise)."""
    images = (item.get("album") or {}).get("images") or item.get("images") or []
    sized = [i for i in images if isinstance(i, dict) and i.get("url")]
    if not sized:
        return ""
    return str(max(sized, key=lambda i: i.get("width") or 0)["url"])
