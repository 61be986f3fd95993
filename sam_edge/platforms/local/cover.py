"""Cover art embedded in a local music file (ID3 ``APIC``, FLAC and Ogg pictures, MP4 ``covr``),
served by the device at :data:`COVER_ROUTE` for the track that is playing."""

from __future__ import annotations

import base64
import functools
import hashlib
import logging
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

COVER_ROUTE = "/v1/now-playing/art"
MAX_COVER_BYTES = 4 * 1024 * 1024
"""A larger picture is not sent to a phone."""


@functools.lru_cache(maxsize=64)
def _cover(path: str, mtime_ns: int) -> tuple[bytes, str] | None:
    try:
        import mutagen

        audio = mutagen.File(path)
    except Exception:  # a damaged file has no cover, it does not break the page
        log.debug("no tags readable in %s", path, exc_info=True)
        return None
    if audio is None:
        return None
    found = _picture(audio)
    if found is None or len(found[0]) > MAX_COVER_BYTES:
        return None
    return found


def _picture(audio: Any) -> tuple[bytes, str] | None:
    from mutagen.flac import Picture

    pictures = getattr(audio, "pictures", None)
    if pictures:  # FLAC
        return pictures[0].data, pictures[0].mime or "image/jpeg"
    tags = audio.tags
    if tags is None:
        return None
    if hasattr(tags, "getall"):  # ID3
        frames = tags.getall("APIC")
        if frames:
            return frames[0].data, frames[0].mime or "image/jpeg"
    covr = tags.get("covr") if hasattr(tags, "get") else None
    if covr:  # MP4
        data = bytes(covr[0])
        return data, "image/png" if data[:4] == b"\x89PNG" else "image/jpeg"
    blocks = tags.get("metadata_block_picture") if hasattr(tags, "get") else None
    if blocks:  # Ogg Vorbis / Opus
        picture = Picture(base64.b64decode(blocks[0]))  # type: ignore[no-untyped-call]
        return picture.data, picture.mime or "image/jpeg"
    return None


def cover_of(path: Path) -> tuple[bytes, str] | None:
    """(image bytes, media type) of the file's embedded cover, or ``None``."""
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        return None
    return _cover(str(path), mtime)


def cover_url(path: Path) -> str:
    """The route for this file's cover (changing with the file, so browsers refetch), or ``""``
    when it has none."""
    if cover_of(path) is None:
        return ""
    return f"{COVER_ROUTE}?of={hashlib.sha1(str(path).encode()).hexdigest()[:12]}"
