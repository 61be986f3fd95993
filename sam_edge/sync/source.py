"""What a platform offers the library sync (:class:`LibrarySource`) and the values it returns.

Cursors are opaque strings the source hands back for the next page (Spotify's ``next`` URL,
SoundCloud's ``next_href``); they are stored between pages so an interrupted sync resumes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class LibraryItem:
    """A track as the library keeps it."""

    uri: str
    title: str
    artist: str = ""
    album: str = ""
    duration_ms: int | None = None
    added_at: float | None = None
    """When it was liked or added, seconds since the epoch."""


@dataclass(frozen=True, slots=True)
class PlaylistInfo:
    uri: str
    name: str
    owner: str = ""
    snapshot_id: str = ""
    """Changes whenever the items change; a source without one can derive it (e.g. from a
    modification time and the track count)."""
    track_count: int = 0
    owned: bool = False


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T] = field(default_factory=list)
    next: str | None = None
    """The cursor of the following page; ``None`` on the last one."""
    total: int | None = None


@dataclass(frozen=True, slots=True)
class LikedSummary:
    """Enough to tell whether the liked tracks changed without reading them all."""

    total: int
    newest_added_at: float | None


class PlaylistUnavailable(Exception):
    """The platform will not show this playlist's items (e.g. Spotify's 403 in Development
    Mode for playlists the user does not own): the playlist is skipped, not the sync failed."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class LibrarySource(Protocol):
    """One platform's library, read page by page. Errors are
    :class:`~sam_edge.errors.PlatformError` sentences (``NeedsPairing`` when signed out)."""

    name: str

    async def is_paired(self) -> bool: ...

    async def liked_summary(self) -> LikedSummary: ...

    async def liked_page(self, cursor: str | None) -> Page[LibraryItem]:
        """Liked tracks, newest first; ``cursor`` ``None`` = the first page."""
        ...

    async def playlists_page(self, cursor: str | None) -> Page[PlaylistInfo]: ...

    async def playlist_items_page(self, playlist: PlaylistInfo,
                                  cursor: str | None) -> Page[LibraryItem]:
        """Raises :class:`PlaylistUnavailable` when the items cannot be read."""
        ...
