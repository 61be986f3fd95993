"""``LocalAdapter``: the music folder as a :class:`~sam_edge.platforms.base.MusicPlatform`.

No account is needed, so it is always paired. Items use a ``local:`` URI scheme shaped like
Spotify's:

* ``local:track:<absolute path>`` — one file (the path is the rest of the string, verbatim);
* ``local:album:<folder>:<album name>`` — both percent-encoded, so the last ``:`` separates them;
* ``local:artist:<artist name>`` — every track by that artist.

Playing a track queues the rest of its album (or, for untagged files, its folder) around it in
track order, so "next" and "previous" move through the album. There are no liked songs in a
folder, so :meth:`LocalAdapter.play_liked` plays the whole library shuffled ("play my music").
An item from another platform is looked up here by title and artist. A track search that
matches several titles about equally well raises :class:`~sam_edge.text.titles.Ambiguous`
(a ``not_found`` that asks "Did you mean … or …?") rather than pick one.
"""

from __future__ import annotations

import random
from pathlib import Path
from urllib.parse import quote, unquote, urlparse

from ...errors import NotFound, PlatformError
from ...player.base import Player
from ...settings import MusicSettings
from ...text.titles import Ambiguous
from ..base import PlaybackState, Track
from ..on_device import OnDeviceControls
from .cover import cover_url
from .index import LocalAlbum, LocalLibrary
from .tags import LocalTrack

TRACK_PREFIX = "local:track:"
ALBUM_PREFIX = "local:album:"
ARTIST_PREFIX = "local:artist:"


def track_uri(track: LocalTrack) -> str:
    return f"{TRACK_PREFIX}{track.path}"


def album_uri(album: LocalAlbum) -> str:
    return f"{ALBUM_PREFIX}{quote(str(album.folder), safe='/ ')}:{quote(album.name, safe=' ')}"


def artist_uri(name: str) -> str:
    return f"{ARTIST_PREFIX}{name}"


def to_track(track: LocalTrack) -> Track:
    return Track(uri=track_uri(track), title=track.title, artist=track.artist, platform="local",
                 kind="track", album=track.album, duration_ms=track.duration_ms)


def to_album(album: LocalAlbum) -> Track:
    durations = [t.duration_ms for t in album.tracks]
    total = sum(d for d in durations if d) if all(durations) else None
    return Track(uri=album_uri(album), title=album.name, artist=album.artist, platform="local",
                 kind="album", album=album.name, duration_ms=total)


class LocalAdapter(OnDeviceControls):
    """Searches the music folder and plays it through a local :class:`Player`.

    The player belongs to whoever created it: :meth:`aclose` leaves it running.
    """

    name = "local"

    def __init__(
        self,
        settings: MusicSettings,
        player: Player,
        *,
        library: LocalLibrary | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.library = library or LocalLibrary(settings.dir)
        self._player = player
        self._rng = rng or random.Random()

    async def is_paired(self) -> bool:
        return True

    async def search(
        self, query: str, *, artist: str | None = None, kind: str = "track", limit: int = 5
    ) -> list[Track]:
        await self.library.arefresh()
        if kind in ("album", "playlist"):  # a folder is the closest thing to a playlist
            return [to_album(a) for a in self.library.find_albums(query, artist, limit)]
        if kind == "artist":
            names = self.library.find_artists(query or artist or "", limit)
            return [Track(uri=artist_uri(n), title=n, platform="local", kind="artist")
                    for n in names]
        found = self.library.search(query, artist, "track", limit)
        if not found:
            decision = self.library.resolve(query, artist)
            if decision.ambiguous:
                raise Ambiguous([t.title for t in decision.candidates])
        return [to_track(t) for t in found]

    async def play(self, item: Track) -> None:
        if item.kind == "liked":
            await self.play_liked()
            return
        tracks = await self._resolve(item)
        start = 0
        if item.kind == "track" and len(tracks) == 1:
            chosen = tracks[0]
            tracks = list(self.library.album_of(chosen).tracks)
            start = tracks.index(chosen) if chosen in tracks else 0
        await self._player.play([str(t.path) for t in tracks], start)

    async def play_liked(self) -> Track | None:
        await self.library.arefresh()
        if not self.library.available:
            raise PlatformError(self.library.reason, code="music_folder_missing")
        tracks = list(self.library.tracks)
        if not tracks:
            return None
        self._rng.shuffle(tracks)
        await self._player.play([str(t.path) for t in tracks], 0)
        return to_track(tracks[0])

    async def queue(self, item: Track) -> None:
        for track in await self._resolve(item):
            await self._player.enqueue(str(track.path))

    async def like(self, item: Track | None) -> Track | None:
        raise PlatformError(
            "Liking songs is not supported for the local music folder.", code="unsupported"
        )

    async def now_playing(self) -> PlaybackState | None:
        state = await self._player.state()
        if not state.path:
            return None
        track = self.library.track_at(state.path)
        if track is None:
            return PlaybackState(is_playing=state.is_playing, title=Path(state.path).stem,
                                 uri=state.path, platform="local", device="this device",
                                 volume=state.volume,
                                 position_ms=round(state.position_s * 1000))
        return PlaybackState(
            is_playing=state.is_playing,
            title=track.title,
            artist=track.artist,
            uri=track_uri(track),
            context_uri=album_uri(self.library.album_of(track)),
            platform="local",
            device="this device",
            volume=state.volume,
            position_ms=round(state.position_s * 1000),
            duration_ms=track.duration_ms,
            image_url=cover_url(track.path),
        )

    async def aclose(self) -> None:
        return None

    async def _resolve(self, item: Track) -> list[LocalTrack]:
        """The tracks ``item`` stands for (one for a track); NotFound when there are none."""
        await self.library.arefresh()
        tracks: list[LocalTrack] = []
        uri = item.uri
        if uri.startswith((TRACK_PREFIX, "file://")):
            path = uri[len(TRACK_PREFIX):] if uri.startswith(TRACK_PREFIX) else _file_path(uri)
            found = self.library.track_at(path)
            if found is None and Path(path).is_file():
                await self.library.arefresh(force=True)  # added since the last scan
                found = self.library.track_at(path)
            tracks = [found] if found else []
        elif uri.startswith(ALBUM_PREFIX):
            folder, _, name = uri[len(ALBUM_PREFIX):].rpartition(":")
            album = self.library.album(Path(unquote(folder)), unquote(name))
            tracks = list(album.tracks) if album else []
        elif uri.startswith(ARTIST_PREFIX):
            tracks = self.library.artist_tracks(uri[len(ARTIST_PREFIX):])
        if not tracks and item.title:
            # Also a file of another device's folder (a household shares its search cache).
            kind = item.kind if item.kind in ("album", "artist", "playlist") else "track"
            query = item.title if kind != "artist" else item.artist or item.title
            found_tracks = self.library.search(query, item.artist or None, kind, limit=1)
            tracks = found_tracks if kind != "track" else found_tracks[:1]
        if not tracks:
            what = item.describe() if item.title else item.uri
            raise NotFound(f"I couldn't find {what} in your music folder.")
        return tracks


def _file_path(uri: str) -> str:
    return unquote(urlparse(uri).path)
