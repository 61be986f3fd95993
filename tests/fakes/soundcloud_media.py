"""What the fake SoundCloud's CDN serves: short real audio files (made once per test run with
ffmpeg; a WAV from the standard library when ffmpeg is missing) behind CloudFront-style signed
URLs (``Expires``, ``Signature``, ``Key-Pair-Id``) that stop working after a while."""

from __future__ import annotations

import hashlib
import hmac
import math
import shutil
import struct
import subprocess
import tempfile
import threading
import wave
from pathlib import Path
from urllib.parse import urlencode

KEY_PAIR_ID = "APKAFAKESOUNDCLOUD"
TONES = {"full": (440, 20.0), "preview": (880, 6.0)}
"""Kind -> (frequency in Hz, seconds). A preview stands for the 30-second snippet."""

_files: dict[str, tuple[Path, str]] = {}
_lock = threading.Lock()
_dir: Path | None = None


def audio_file(kind: str) -> tuple[Path, str]:
    """The audio file for ``full`` or ``preview`` and its media type, made on first use."""
    global _dir
    with _lock:
        if kind in _files:
            return _files[kind]
        if _dir is None:
            _dir = Path(tempfile.mkdtemp(prefix="fake-soundcloud-"))
        frequency, seconds = TONES[kind]
        if shutil.which("ffmpeg"):
            path = _dir / f"{kind}.mp3"
            subprocess.run(
                ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                 f"sine=frequency={frequency}:duration={seconds}", "-ac", "1", "-ar", "22050",
                 "-b:a", "32k", str(path)],
                check=True, timeout=60,
            )
            _files[kind] = (path, "audio/mpeg")
        else:
            path = _dir / f"{kind}.wav"
            _write_wav(path, frequency, seconds)
            _files[kind] = (path, "audio/wav")
        return _files[kind]


def _write_wav(path: Path, frequency: int, seconds: float, rate: int = 8000) -> None:
    frames = b"".join(
        struct.pack("<h", int(3000 * math.sin(2 * math.pi * frequency * n / rate)))
        for n in range(int(rate * seconds))
    )
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames)


def _signature(key: bytes, path: str, expires: int) -> str:
    return hmac.new(key, f"{path}|{expires}".encode(), hashlib.sha256).hexdigest()


def signed_url(base: str, path: str, key: bytes, expires: int) -> str:
    """``base + path`` with a signature valid until ``expires`` (epoch seconds)."""
    query = urlencode({"Expires": expires, "Signature": _signature(key, path, expires),
                       "Key-Pair-Id": KEY_PAIR_ID})
    return f"{base}{path}?{query}"


def signature_ok(path: str, query: dict[str, str], key: bytes, now: float) -> bool:
    try:
        expires = int(query.get("Expires", ""))
    except ValueError:
        return False
    expected = _signature(key, path, expires)
    return now < expires and hmac.compare_digest(expected, query.get("Signature", ""))
