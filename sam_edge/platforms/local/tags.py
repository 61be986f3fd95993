"""``LocalTrack`` and how one audio file becomes one: its tags, or a guess from its name.

Tags come from mutagen (easy names, or the ID3 frames of WAV files). A file without tags is named
after its file name ("Artist - Title.mp3", "01. Title.flac", or just "Title.ogg"), its folder
(the album) and, two folders down, the folder above that (the artist).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# These records are about the music folder's index, so they keep its logger name.
logger = logging.getLogger("sam_edge.platforms.local.index")

_TAGS = {"title": "TIT2", "artist": "TPE1", "album": "TALB", "albumartist": "TPE2",
         "tracknumber": "TRCK", "discnumber": "TPOS"}  # easy name -> ID3 frame (WAV files)
_NUMBERED = (re.compile(r"^(\d{1,3})\s*[.)]\s*(.+)$"), re.compile(r"^(\d{1,2})\s+-\s+(.+)$"),
             re.compile(r"^(0\d)\s+(.+)$"))
_DASH = re.compile(r"\s+[-–—]\s+")


@dataclass(frozen=True, slots=True)
class LocalTrack:
    path: Path
    title: str
    artist: str = ""
    album: str = ""
    track_no: int | None = None
    duration_ms: int | None = None
    disc_no: int | None = None


def read_track(path: Path, root: Path) -> LocalTrack:
    """Tags where present, the file and folder names where not."""
    guess = _guess_from_name(path, root)
    tags, duration_ms = _read_tags(path)
    return LocalTrack(
        path=path,
        title=tags.get("title") or guess.title,
        artist=tags.get("artist") or tags.get("albumartist") or guess.artist,
        album=tags.get("album") or guess.album,
        track_no=_number(tags.get("tracknumber")) or guess.track_no,
        duration_ms=duration_ms,
        disc_no=_number(tags.get("discnumber")),
    )


def _read_tags(path: Path) -> tuple[dict[str, str], int | None]:
    try:
        import mutagen  # loaded with the first file read (about 0.1 s of start-up otherwise)

        audio: Any = mutagen.File(path, easy=True)
    except Exception as exc:  # mutagen raises many kinds of errors on damaged files
        logger.debug("cannot read tags of %s: %s", path, exc)
        return {}, None
    if audio is None:
        return {}, None
    length = getattr(audio.info, "length", None)
    duration_ms = round(length * 1000) if length else None
    if audio.tags is None:
        return {}, duration_ms
    tags = {name: _first(audio.tags, name) or _first(audio.tags, frame)
            for name, frame in _TAGS.items()}
    return {name: value for name, value in tags.items() if value}, duration_ms


def _first(tags: Any, key: str) -> str:
    try:
        value = tags.get(key)
    except (KeyError, ValueError):
        return ""
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value).strip() if value is not None else ""


def _number(value: str | None) -> int | None:
    match = re.match(r"\s*(\d+)", value or "")
    return int(match.group(1)) if match else None


def _guess_from_name(path: Path, root: Path) -> LocalTrack:
    stem = path.stem.replace("_", " ").strip()
    track_no = None
    for pattern in _NUMBERED:
        if match := pattern.match(stem):
            track_no, stem = int(match.group(1)), match.group(2).strip()
            break
    parts = path.relative_to(root).parts
    artist = parts[-3] if len(parts) >= 3 else ""
    pieces = _DASH.split(stem, maxsplit=1)
    if len(pieces) == 2 and all(piece.strip() for piece in pieces):
        artist, stem = pieces[0].strip(), pieces[1].strip()
    album = parts[-2] if len(parts) >= 2 else ""
    return LocalTrack(path=path, title=stem or path.stem, artist=artist, album=album,
                      track_no=track_no)

