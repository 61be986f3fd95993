"""Make small real audio files (ffmpeg) with tags, for the local music folder in tests."""

from __future__ import annotations

import subprocess
from pathlib import Path


def make_song(folder: Path, name: str, *, title: str = "", artist: str = "", album: str = "",
              track: int = 0, seconds: float = 2.0) -> Path:
    """An MP3 (or any extension in ``name``) of a quiet tone, tagged when tags are given."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    meta: list[str] = []
    for key, value in (("title", title), ("artist", artist), ("album", album),
                       ("track", str(track) if track else "")):
        if value:
            meta += ["-metadata", f"{key}={value}"]
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
         f"sine=frequency=440:duration={seconds}", "-ac", "1", "-ar", "22050", *meta, str(path)],
        check=True, timeout=60,
    )
    return path
