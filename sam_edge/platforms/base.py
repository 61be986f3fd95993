"""The protocol every music platform adapter implements, and the values they exchange."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable


@dataclass(frozen=True, slots=True)
class Track:
    """Something playable: a track, or an album/playlist/artist context (``kind``)."""

    uri: str
    title: str
    artist: str = ""
    platform: str = ""
    kind: str = "track"
    album: str = ""
    duration_ms: int | None = None
    image_url: str = field(default="", compare=False)
    """Cover art as the platform serves it; empty when it has none (not part of identity)."""

    def describe(self) -> str:
        """"X by Y" or just "X"."""
        return f"{self.title} by {self.artist}" if self.artist else self.title


@dataclass(frozen=True, slots=True)
class PlaybackState:
    """What a platform is doing right now."""

    is_playing: bool
    title: str = ""
    artist: str = ""
    uri: str = ""
    context_uri: str = ""
    platform: str = ""
    device: str = ""
    volume: int | None = None
    position_ms: int | None = None
    duration_ms: int | None = None
    image_url: str = ""
    """Cover art: the platform's image URL, or the device's own route for a local file."""


@runtime_checkable
class MusicPlatform(Protocol):
    """A platform adapter. Every method raises :class:`sam_edge.errors.PlatformError` subclasses
    (``NeedsPairing``, ``NoDevice``, ``NotFound`` or a plain ``PlatformError``) with a sentence."""

    name: str

    async def is_paired(self) -> bool:
        """True when the platform can be used (an account is paired, or no account is needed)."""
        ...

    async def search(
        self, query: str, *, artist: str | None = None, kind: str = "track", limit: int = 5
    ) -> list[Track]:
        """Best matches first; an empty list when nothing matches."""
        ...

    async def play(self, item: Track) -> None:
        """Start playing a track or a context (album/playlist/artist)."""
        ...

    async def play_liked(self) -> Track | None:
        """Play the user's own saved tracks; return the first one, ``None`` when there are none."""
        ...

    async def pause(self) -> None: ...

    async def resume(self) -> None: ...

    async def next(self) -> None: ...

    async def previous(self) -> None: ...

    async def get_volume(self) -> int | None: ...

    async def set_volume(self, level: int) -> None: ...

    async def shuffle(self, state: bool) -> None: ...

    async def repeat(self, state: str) -> None: ...

    async def queue(self, item: Track) -> None: ...

    async def like(self, item: Track | None) -> Track | None:
        """Save ``item`` (or what is playing) to the user's library; return what was liked."""
        ...

    async def now_playing(self) -> PlaybackState | None: ...

    async def aclose(self) -> None: ...
