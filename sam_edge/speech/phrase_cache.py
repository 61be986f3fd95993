"""Spoken replies kept on disk: "Paused." or "Playing Tum Hi Ho." cost no API call twice.

Only short replies are kept (long ones rarely repeat) and only audio in the primary voice: mixing
cached espeak-ng audio into ElevenLabs speech would make SAM change voice from one reply to the
next, and espeak-ng is instant anyway.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import diskcache

from ..db.private import tighten

MAX_CHARS = 200
TTL_S = 30 * 86400.0
"""Voices get retrained and models replaced; a month is long enough to pay off."""


def normalize(text: str) -> str:
    """Whitespace only: case and punctuation change how a reply is spoken."""
    return " ".join(text.split())


class PhraseCache:
    """Whole 16 kHz mono int16 PCM per (voice, text), in a diskcache directory of its own.

    ``voice`` is the primary voice's key for that very text (``ElevenLabsTTS.voice_key``):
    voice, model and language, so a Telugu reply said by ``eleven_v3`` is never answered with
    audio an English model once made of it.
    """

    def __init__(
        self,
        directory: Path,
        *,
        size_mb: int = 32,
        max_chars: int = MAX_CHARS,
        ttl_s: float | None = TTL_S,
    ) -> None:
        existed = directory.exists() and any(directory.iterdir())
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._cache = diskcache.Cache(str(directory), size_limit=size_mb * 1024 * 1024)
        tighten([directory], quiet=not existed)  # see HotCache
        self.max_chars = max_chars
        self.ttl_s = ttl_s

    @staticmethod
    def key(voice: str, text: str) -> str:
        digest = hashlib.sha256(normalize(text).encode()).hexdigest()[:32]
        return f"tts:{voice}:{digest}"

    def accepts(self, text: str) -> bool:
        return 0 < len(normalize(text)) <= self.max_chars

    def get(self, voice: str, text: str) -> bytes | None:
        if not self.accepts(text):
            return None
        value = self._cache.get(self.key(voice, text))
        return value if isinstance(value, bytes) and value else None

    def put(self, voice: str, text: str, pcm: bytes) -> bool:
        """Keep ``pcm`` for this reply; ``False`` when the reply is too long or the audio empty."""
        if not pcm or not self.accepts(text):
            return False
        return bool(self._cache.set(self.key(voice, text), pcm, expire=self.ttl_s))

    def clear(self) -> None:
        self._cache.clear()

    def __len__(self) -> int:
        return len(self._cache)

    def close(self) -> None:
        self._cache.close()
