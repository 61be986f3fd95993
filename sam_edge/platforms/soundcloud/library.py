"""SoundCloud's library for the sync, read through :meth:`SoundCloudAdapter.api_get` (so tokens
are refreshed, single-use refresh tokens rotated and errors become sentences exactly as for
every other SoundCloud call).

Every list is asked for with ``linked_partitioning=true`` and the largest page (200); the
``next_href`` of each page is followed verbatim and is also the stored cursor. URNs
(``soundcloud:tracks:…``, ``soundcloud:playlists:…``) are the URIs.

Choices SoundCloud's API leaves to the client:

* Only fully playable tracks are kept (``access=playable``, and anything else in an answer is
  dropped): a preview-only or blocked track would play 30 seconds or nothing, so the library
  never offers one as a song. A playlist's ``track_count`` still counts them.
* Likes carry neither a total nor the time of the like. :meth:`SoundCloudSource.liked_summary`
  reads the first page of likes (the one a full read starts with, so it is not read twice) and
  returns a fingerprint of its URNs, in order, as ``newest_added_at``: any new like, and any
  unlike among the newest 200, changes it. When there are more pages, ``total`` is the
  account's ``likes_count`` from ``/me``, so unliking an older track is noticed too; otherwise
  it is the number of playable likes on that page. ``added_at`` of liked tracks stays ``None``.
* A playlist's ``snapshot_id`` is a hash of its ``last_modified`` and ``track_count``, both in
  the ``/me/playlists`` answer, so unchanged playlists cost no request.
* A playlist whose tracks SoundCloud refuses (403) or no longer finds (404) is skipped.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from ...errors import PlatformError
from ...sync.source import LibraryItem, LikedSummary, Page, PlaylistInfo, PlaylistUnavailable
from .adapter import SoundCloudAdapter, playable, to_track
from .auth import PLATFORM

PAGE = 200
"""The most SoundCloud returns at once."""
UNAVAILABLE = {"forbidden": "forbidden", "not_found": "not found"}
"""Error codes of a playlist whose tracks cannot be read, and the reason stored."""


def entries(body: Any) -> list[dict[str, Any]]:
    """The objects of a list answer (``collection``, or the deprecated bare array)."""
    found = body if isinstance(body, list) else \
        (body.get("collection") if isinstance(body, dict) else None) or []
    return [e for e in found if isinstance(e, dict)]


def next_href(body: Any) -> str | None:
    return (body.get("next_href") or None) if isinstance(body, dict) else None


def to_item(track: dict[str, Any]) -> LibraryItem | None:
    """A fully playable SoundCloud track, or ``None`` (previews, blocked, not a track)."""
    if track.get("kind", "track") != "track" or not playable(track):
        return None
    found = to_track(track)
    if not found.uri.startswith("soundcloud:tracks:") or found.uri == "soundcloud:tracks:":
        return None
    return LibraryItem(found.uri, found.title, found.artist, "", found.duration_ms)


def fingerprint(values: Iterable[str]) -> float | None:
    """A stable number for ``values`` (48 bits, so it survives a float column exactly)."""
    joined = "\n".join(values)
    if not joined:
        return None
    return float(int(hashlib.sha256(joined.encode()).hexdigest()[:12], 16))


def snapshot(playlist: dict[str, Any]) -> str:
    """Changes whenever SoundCloud reports the playlist modified or its length changed."""
    key = f"{playlist.get('last_modified') or ''}|{playlist.get('track_count') or 0}"
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def _items_page(body: Any) -> Page[LibraryItem]:
    items = [item for item in map(to_item, entries(body)) if item is not None]
    return Page(items, next_href(body))


class SoundCloudSource:
    """:class:`~.source.LibrarySource` for SoundCloud; ``page_size`` 1-200 (200 unless a test
    wants more pages)."""

    name = PLATFORM

    def __init__(self, adapter: SoundCloudAdapter, *, page_size: int = PAGE) -> None:
        self._adapter = adapter
        self._page = max(1, min(int(page_size), PAGE))
        self._first_liked: Any = None
        """The first page of likes as :meth:`liked_summary` read it, for the next read."""
        self._me_urn: str | None = None
        self._me_fresh = False
        """``_me_urn`` was read by this run's summary: the playlists need not read it again."""

    async def is_paired(self) -> bool:
        return await self._adapter.is_paired()

    def _list(self, **extra: str) -> dict[str, Any]:
        return {"limit": self._page, "linked_partitioning": "true", **extra}

    async def _me(self) -> dict[str, Any]:
        me = await self._adapter.api_get("/me")
        me = me if isinstance(me, dict) else {}
        self._me_urn = str(me.get("urn") or "")
        return me

    async def liked_summary(self) -> LikedSummary:
        self._first_liked, self._me_fresh = None, False
        body = await self._adapter.api_get("/me/likes/tracks", self._list(access="playable"))
        urns = [item.uri for item in _items_page(body).items]
        total = len(urns)
        if next_href(body):
            me = await self._me()
            self._me_fresh = True
            count = me.get("likes_count", me.get("public_favorites_count"))
            total = int(count) if isinstance(count, int) else total
        self._first_liked = body
        return LikedSummary(total, fingerprint(urns))

    async def liked_page(self, cursor: str | None) -> Page[LibraryItem]:
        first, self._first_liked = self._first_liked, None
        if cursor:
            body = await self._adapter.api_get(cursor)
        elif first is not None:
            body = first
        else:
            body = await self._adapter.api_get("/me/likes/tracks", self._list(access="playable"))
        return _items_page(body)

    async def playlists_page(self, cursor: str | None) -> Page[PlaylistInfo]:
        self._first_liked = None
        if self._me_urn is None or (cursor is None and not self._me_fresh):
            await self._me()
        self._me_fresh = False
        if cursor:
            body = await self._adapter.api_get(cursor)
        else:
            body = await self._adapter.api_get("/me/playlists", self._list(show_tracks="false"))
        found = []
        for p in entries(body):
            urn = str(p.get("urn") or (f"soundcloud:playlists:{p['id']}" if p.get("id") else ""))
            if not urn.startswith("soundcloud:playlists:"):
                continue
            owner = p.get("user") or {}
            owner_urn = p.get("user_urn") or owner.get("urn") or ""
            found.append(PlaylistInfo(
                urn, p.get("title") or "", owner.get("username") or "", snapshot(p),
                int(p.get("track_count") or 0), bool(self._me_urn) and owner_urn == self._me_urn))
        return Page(found, next_href(body))

    async def playlist_items_page(self, playlist: PlaylistInfo,
                                  cursor: str | None) -> Page[LibraryItem]:
        try:
            if cursor:
                body = await self._adapter.api_get(cursor)
            else:
                body = await self._adapter.api_get(f"/playlists/{playlist.uri}/tracks",
                                                   self._list(access="playable"))
        except PlatformError as exc:
            if exc.code in UNAVAILABLE:
                raise PlaylistUnavailable(UNAVAILABLE[exc.code]) from exc
            raise
        return _items_page(body)
