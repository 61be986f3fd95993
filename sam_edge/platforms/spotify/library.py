"""Spotify's library for the sync, read through :meth:`SpotifyAdapter.call_api` (so tokens are
refreshed and errors become sentences exactly as for every other Spotify call).

Pages are followed through their ``next`` links, which are also the stored cursors; the liked
tracks' pages are offsets of one list whose length the first answer gives, so their links are
made up front (:meth:`SpotifySource.liked_cursors`) and read :data:`CONCURRENCY` at a time
through the source's :class:`~sam_edge.sync.pages.Gate`, which also holds every request back
after a 429 for its ``Retry-After``. Playlist
items come from ``/playlists/{id}/items`` (2026), falling back to the deprecated ``/tracks``
when a server answers 404 for the new path. In Development Mode Spotify answers 403 for the
items of playlists the user neither owns nor collaborates on: those are skipped, not failures.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import spotipy
from spotipy.exceptions import SpotifyException

from ...sync.pages import Gate
from ...sync.source import LibraryItem, LikedSummary, Page, PlaylistInfo, PlaylistUnavailable
from .adapter import SpotifyAdapter
from .auth import PLATFORM, retry_after, spotify_message

PAGE = 50
"""The most ``/me/tracks``, ``/me/playlists`` and ``/playlists/{id}/items`` return at once."""
LEGACY_PAGE = 100
CONCURRENCY = 8
"""Requests in flight at once. Spotify publishes no number, only a rolling 30-second window
answered with 429 and ``Retry-After`` when exceeded; a handful at a time stays well inside what
its own clients do, and the gate backs off for everyone on the first 429."""


@dataclass(frozen=True, slots=True)
class _Refused:
    status: int
    message: str


def _guarded(fn: Callable[[spotipy.Spotify], Any]) -> Callable[[spotipy.Spotify], Any]:
    """``fn`` with a playlist's 403/404 returned instead of raised; everything else (401 for a
    refresh, 429, 5xx) still goes to the adapter's retry logic."""

    def run(sp: spotipy.Spotify) -> Any:
        try:
            return fn(sp)
        except SpotifyException as exc:
            message = spotify_message(exc)
            # The Dev-Mode allow-list 403 concerns the whole account, not this playlist.
            if exc.http_status in (403, 404) and "not registered" not in message.lower():
                return _Refused(exc.http_status, message)
            raise

    return run


def _watched(fn: Callable[[spotipy.Spotify], Any], gate: Gate) -> Callable[[spotipy.Spotify], Any]:
    """``fn`` telling ``gate`` about a 429 before the adapter waits and retries it."""

    def run(sp: spotipy.Spotify) -> Any:
        try:
            return fn(sp)
        except SpotifyException as exc:
            if exc.http_status == 429:
                gate.rate_limited(retry_after(exc.headers))
            raise

    return run


def _offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        return int(parse_qs(urlsplit(cursor).query).get("offset", ["0"])[0])
    except ValueError:
        return 0


def parse_time(value: Any) -> float | None:
    """Seconds since the epoch from Spotify's ``2024-01-01T12:00:00Z``."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def to_item(track: dict[str, Any] | None, added_at: Any = None) -> LibraryItem | None:
    """A playable Spotify track, or ``None`` (episodes, local files, removed tracks)."""
    if not track or track.get("type", "track") != "track":
        return None
    uri = track.get("uri") or ""
    if not uri.startswith("spotify:track:"):
        return None
    artists = ", ".join(a["name"] for a in track.get("artists") or [] if a and a.get("name"))
    return LibraryItem(uri, track.get("name") or "", artists,
                       (track.get("album") or {}).get("name") or "", track.get("duration_ms"),
                       parse_time(added_at))


def _page(body: dict[str, Any], entries: list[LibraryItem | None]) -> Page[LibraryItem]:
    return Page([e for e in entries if e is not None], body.get("next"), body.get("total"))


class SpotifySource:
    """:class:`~.source.LibrarySource` for Spotify."""

    name = PLATFORM
    liked_total_exact = True
    """``total`` of ``/me/tracks`` counts exactly the entries it lists."""

    def __init__(self, adapter: SpotifyAdapter, *, concurrency: int = CONCURRENCY) -> None:
        self._adapter = adapter
        self._user_id: str | None = None
        self.gate = Gate(concurrency)

    async def is_paired(self) -> bool:
        return await self._adapter.is_paired()

    async def _call(self, fn: Callable[[spotipy.Spotify], Any]) -> Any:
        async with self.gate.slot():
            return await self._adapter.call_api(_watched(fn, self.gate))

    async def _get(self, fn: Callable[[spotipy.Spotify], Any]) -> dict[str, Any]:
        return dict(await self._call(fn) or {})

    def liked_cursors(self, total: int, start: str | None) -> list[str | None]:
        """The cursor of every liked page from ``start`` (``None``: the first) to ``total``."""
        first = _offset(start)
        url = self._adapter.api_url.rstrip("/") + "/me/tracks"
        return [start, *(f"{url}?offset={at}&limit={PAGE}"
                         for at in range(first + PAGE, total, PAGE))]

    async def liked_summary(self) -> LikedSummary:
        body = await self._get(lambda sp: sp.current_user_saved_tracks(limit=1, offset=0))
        first = next((e for e in body.get("items") or [] if e), None)
        return LikedSummary(int(body.get("total") or 0),
                            parse_time(first.get("added_at")) if first else None)

    async def liked_page(self, cursor: str | None) -> Page[LibraryItem]:
        if cursor:
            body = await self._get(lambda sp: sp._get(cursor))
        else:
            body = await self._get(lambda sp: sp.current_user_saved_tracks(limit=PAGE, offset=0))
        return _page(body, [to_item(e.get("track"), e.get("added_at"))
                            for e in body.get("items") or [] if e])

    async def playlists_page(self, cursor: str | None) -> Page[PlaylistInfo]:
        if cursor is None or self._user_id is None:
            self._user_id, _ = await self._adapter.current_user()
        if cursor:
            body = await self._get(lambda sp: sp._get(cursor))
        else:
            body = await self._get(lambda sp: sp.current_user_playlists(limit=PAGE, offset=0))
        found = []
        for p in body.get("items") or []:
            if not p or not p.get("uri"):
                continue
            owner = p.get("owner") or {}
            count = (p.get("items") or p.get("tracks") or {}).get("total") or 0
            found.append(PlaylistInfo(
                p["uri"], p.get("name") or "", owner.get("display_name") or owner.get("id") or "",
                p.get("snapshot_id") or "", int(count),
                bool(self._user_id) and owner.get("id") == self._user_id))
        return Page(found, body.get("next"), body.get("total"))

    async def playlist_items_page(self, playlist: PlaylistInfo,
                                  cursor: str | None) -> Page[LibraryItem]:
        if cursor:
            body = await self._call(_guarded(lambda sp: sp._get(cursor)))
        else:
            playlist_id = playlist.uri.rsplit(":", 1)[-1]
            body = await self._call(_guarded(lambda sp: sp._get(
                f"playlists/{playlist_id}/items", limit=PAGE, offset=0, additional_types="track")))
            if isinstance(body, _Refused) and body.status == 404:
                body = await self._call(_guarded(lambda sp: sp._get(
                    f"playlists/{playlist_id}/tracks", limit=LEGACY_PAGE, offset=0,
                    additional_types="track")))
        if isinstance(body, _Refused):
            reason = "forbidden" if body.status == 403 else "not found"
            raise PlaylistUnavailable(reason)
        body = dict(body or {})
        return _page(body, [to_item(e.get("item") or e.get("track"), e.get("added_at"))
                            for e in body.get("items") or [] if e])
