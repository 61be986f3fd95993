"""``LocalLibrary``: an in-memory index of the music folder, with fuzzy search.

Tracks are found by title in any script (:class:`~sam_edge.text.titles.TitleIndex`: "tum hi
ho" finds a file tagged तुम ही हो, and never "Tum Se Hi"); albums and artists by a fuzzy score
on their names, native-script names compared in their Latin rendering.

Each file's title, artist and album come from :func:`~sam_edge.platforms.local.tags.read_track`
(its tags, or a guess from the file and folder names). The folder is re-scanned only when a cheap
signature (the number of audio files and the newest folder mtime) changed, checked at most every
``check_interval_s``; files whose size and mtime did not change keep the tags read by the
previous scan. Editing the tags of a file in place changes neither, so call
``refresh(force=True)`` after that.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ...clock import Clock, SystemClock
from ...text.keystore import KeyStore
from ...text.matcher import Decision, artist_matches, decide
from ...text.titles import TitleIndex
from .names import normalize, score
from .tags import LocalTrack, read_track

logger = logging.getLogger(__name__)

AUDIO_EXTENSIONS = frozenset({".mp3", ".flac", ".ogg", ".opus", ".m4a", ".wav"})
MATCH_THRESHOLD = 80.0
"""Scores (0-100) below this are not a match, so an unrelated query finds nothing."""
VARIOUS_ARTISTS = "Various Artists"



@dataclass(frozen=True, slots=True)
class LocalAlbum:
    """The tracks of one folder that share an album name, in disc and track order."""

    name: str
    artist: str
    folder: Path
    tracks: tuple[LocalTrack, ...]


@dataclass(frozen=True, slots=True)
class _Entry:
    track: LocalTrack
    title: str
    title_artist: str
    artist: str


class LocalLibrary:
    """The audio files under ``music_dir``; call :meth:`refresh` (or :meth:`arefresh`) first."""

    def __init__(
        self, music_dir: Path, *, check_interval_s: float = 5.0, clock: Clock | None = None
    ) -> None:
        self.music_dir = Path(os.path.abspath(music_dir.expanduser()))
        self.check_interval_s = check_interval_s
        self.available = False
        self.reason = "The music folder has not been scanned yet."
        self._clock = clock or SystemClock()
        self._lock = threading.Lock()
        self._checked_at: float | None = None
        self._signature: tuple[int, int] | None = None
        self._entries: tuple[_Entry, ...] = ()
        self._keys = KeyStore()  # a rescan after one new file derives one file's keys
        self._titles: TitleIndex[LocalTrack] = TitleIndex()
        self._by_path: dict[str, LocalTrack] = {}
        self._stats: dict[Path, tuple[int, int]] = {}

    @property
    def tracks(self) -> tuple[LocalTrack, ...]:
        """Every track, folder by folder, in disc and track order."""
        return tuple(entry.track for entry in self._entries)

    def refresh(self, force: bool = False) -> bool:
        """Re-scan if the folder changed (or ``force``); True when the index was rebuilt."""
        with self._lock:
            now = self._clock.monotonic()
            recent = self._checked_at is not None and now - self._checked_at < self.check_interval_s
            if recent and not force:
                return False
            self._checked_at = now
            if not self.music_dir.is_dir():
                what = "does not exist" if not self.music_dir.exists() else "is not a folder"
                return self._unavailable(f"The music folder {self.music_dir} {what}.")
            try:
                signature, _ = _walk(self.music_dir, with_files=False)
                if not force and signature == self._signature:
                    return False
                signature, files = _walk(self.music_dir, with_files=True)
            except OSError as exc:
                reason = f"The music folder {self.music_dir} cannot be read ({exc.strerror})."
                return self._unavailable(reason)
            self._rebuild(files)
            self._signature = signature
            self.available, self.reason = True, ""
            return True

    async def arefresh(self, force: bool = False) -> bool:
        """:meth:`refresh` on a worker thread, for async callers."""
        return await asyncio.to_thread(self.refresh, force)

    def track_at(self, path: str | Path) -> LocalTrack | None:
        return self._by_path.get(os.path.abspath(path))

    def search(
        self, query: str, artist: str | None = None, kind: str = "track", limit: int = 5
    ) -> list[LocalTrack]:
        """Best tracks for ``kind="track"``; all tracks of the best album (``album``) or artist
        (``artist``) in play order; ``[]`` when nothing scores :data:`MATCH_THRESHOLD`."""
        if kind in ("album", "playlist"):
            albums = self.find_albums(query, artist=artist, limit=1)
            return list(albums[0].tracks) if albums else []
        if kind == "artist":
            names = self.find_artists(query or artist or "", limit=1)
            return self.artist_tracks(names[0]) if names else []
        scored = self._titles.scored(query, self._by_artist(artist))
        exact = [item for item, _, _ in scored if item.title.casefold() == query.casefold()]
        if exact:  # a title picked from "Did you mean … or …?" is named verbatim
            return exact[:limit]
        decision = decide(query, scored)
        if decision.best is None:
            return []
        label = next(lab for item, _, lab in scored if item is decision.best)
        return [item for item, _, lab in scored if lab == label][:limit]

    def resolve(self, query: str, artist: str | None = None) -> Decision[LocalTrack]:
        """The clear track for ``query``, or the close candidates when it is not clear."""
        return self._titles.resolve(query, self._by_artist(artist))

    @staticmethod
    def _by_artist(artist: str | None) -> Callable[[LocalTrack], bool] | None:
        if not artist:
            return None
        return lambda track: artist_matches(artist, track.artist)

    def find_albums(self, query: str, artist: str | None = None, limit: int = 5
                    ) -> list[LocalAlbum]:
        wanted, who = normalize(query), normalize(artist or "")
        scored = []
        for album in self.albums():
            artists = {normalize(t.artist) for t in album.tracks} | {normalize(album.artist)}
            if who and max(score(who, name) for name in artists) < MATCH_THRESHOLD:
                continue
            name = normalize(album.name)
            value = score(wanted, name, f"{name} {normalize(album.artist)}")
            if value >= MATCH_THRESHOLD:
                scored.append((value + (5 if name == wanted else 0), album))
        scored.sort(key=lambda pair: -pair[0])
        return [album for _, album in scored[:limit]]

    def find_artists(self, query: str, limit: int = 5) -> list[str]:
        wanted = normalize(query)
        names: dict[str, str] = {}
        for entry in self._entries:
            names.setdefault(entry.artist, entry.track.artist)
        scored = [(score(wanted, key), name) for key, name in names.items() if key]
        scored = sorted((p for p in scored if p[0] >= MATCH_THRESHOLD), key=lambda p: -p[0])
        return [name for _, name in scored[:limit]]

    def albums(self) -> list[LocalAlbum]:
        """Every named album (a folder's tracks sharing an album name)."""
        groups: dict[tuple[Path, str], list[LocalTrack]] = {}
        for entry in self._entries:
            if entry.track.album:
                key = (entry.track.path.parent, entry.track.album.casefold())
                groups.setdefault(key, []).append(entry.track)
        return [_album(tracks) for tracks in groups.values()]

    def album(self, folder: Path, name: str) -> LocalAlbum | None:
        key = name.casefold()
        tracks = [t for t in self.tracks if t.path.parent == folder and t.album.casefold() == key]
        return _album(tracks) if tracks else None

    def album_of(self, track: LocalTrack) -> LocalAlbum:
        """The album ``track`` belongs to; its folder's untagged files when it has no album."""
        return self.album(track.path.parent, track.album) or _album([track])

    def artist_tracks(self, name: str) -> list[LocalTrack]:
        wanted = normalize(name)
        return [entry.track for entry in self._entries if entry.artist == wanted]

    def _unavailable(self, reason: str) -> bool:
        changed = self.available or bool(self._entries)
        if self.reason != reason:
            logger.warning("%s", reason)
        self._entries, self._by_path, self._stats, self._signature = (), {}, {}, None
        self._titles = TitleIndex()
        self.available, self.reason = False, reason
        return changed

    def _rebuild(self, files: list[tuple[Path, int, int]]) -> None:
        previous = {str(track.path): track for track in self.tracks}
        tracks, stats = [], {}
        for path, mtime_ns, size in files:
            stats[path] = (mtime_ns, size)
            known = previous.get(str(path))
            unchanged = known is not None and self._stats.get(path) == (mtime_ns, size)
            tracks.append(known if unchanged and known else read_track(path, self.music_dir))
        tracks.sort(key=_play_order)
        self._entries = tuple(_entry(track) for track in tracks)
        titles: TitleIndex[LocalTrack] = TitleIndex.using(self._keys)
        for track in tracks:
            titles.add(track, track.title, [f"{track.title} {track.artist}"])
        self._titles = titles
        self._by_path = {str(track.path): track for track in tracks}
        self._stats = stats
        logger.info("music folder %s: %d tracks", self.music_dir, len(tracks))


def _walk(root: Path, *, with_files: bool) -> tuple[tuple[int, int], list[tuple[Path, int, int]]]:
    """(audio file count, newest folder mtime) and, if asked, (path, mtime_ns, size) per file."""
    top = root.stat()
    newest, count, files = top.st_mtime_ns, 0, []
    seen, stack = {(top.st_dev, top.st_ino)}, [root]
    while stack:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError as exc:
            if folder == root:
                raise
            logger.debug("skipping %s: %s", folder, exc)
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                if entry.is_dir():
                    info = entry.stat()
                    if (info.st_dev, info.st_ino) not in seen:  # symlink loops
                        seen.add((info.st_dev, info.st_ino))
                        newest = max(newest, info.st_mtime_ns)
                        stack.append(Path(entry.path))
                elif os.path.splitext(entry.name)[1].lower() in AUDIO_EXTENSIONS:
                    count += 1
                    if with_files and entry.is_file():
                        info = entry.stat()
                        files.append((Path(entry.path), info.st_mtime_ns, info.st_size))
            except OSError:
                continue
    return (count, newest), files


def _play_order(track: LocalTrack) -> tuple[str, str, int, int, str]:
    return (str(track.path.parent), track.album.casefold(), track.disc_no or 0,
            track.track_no if track.track_no is not None else 10**6, track.path.name.casefold())


def _entry(track: LocalTrack) -> _Entry:
    title, artist = normalize(track.title), normalize(track.artist)
    return _Entry(track, title, f"{title} {artist}".strip(), artist)


def _album(tracks: list[LocalTrack]) -> LocalAlbum:
    counts = Counter(t.artist for t in tracks if t.artist)
    artist = counts.most_common(1)[0][0] if len(counts) == 1 else VARIOUS_ARTISTS if counts else ""
    first = tracks[0]
    return LocalAlbum(first.album or first.path.parent.name, artist, first.path.parent,
                      tuple(tracks))
