"""Settings of the services SAM Edge talks to: the music platforms, Groq, ElevenLabs, the
speech languages and the household store."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from ._base import Section as _Section


class SpotifySettings(_Section):
    client_id: str = ""
    """Client id of your own Spotify app (no secret: pairing uses PKCE)."""
    api_url: str = "https://api.spotify.com/v1"
    accounts_url: str = "https://accounts.spotify.com"
    """Both the authorize page and ``/api/token`` live under it."""
    redirect_uri: str = ""
    """Empty = ``http://127.0.0.1:{http.port}/v1/adapter/spotify/callback``."""
    device: str = ""
    """Name of the Spotify Connect device to play on (case-insensitive); empty = the active one."""
    own_device: str = "auto"
    """The Pi's own Connect device (raspotify/librespot), preferred over the active one when
    listed: its name, ``auto`` (a name with raspotify/librespot or the host name), or empty."""
    timeout_s: float = Field(5.0, gt=0, le=60)
    market: str = ""
    """ISO country for search (empty = the account's own, ``from_token``)."""


class SoundCloudSettings(_Section):
    client_id: str = ""
    client_secret: str = ""
    api_url: str = "https://api.soundcloud.com"
    auth_url: str = "https://secure.soundcloud.com"
    redirect_uri: str = ""
    timeout_s: float = Field(5.0, gt=0, le=60)


class GroqSettings(_Section):
    api_key: str = ""
    base_url: str = "https://api.groq.com"
    """The SDK's ``base_url``; the SDK adds ``/openai/v1``."""
    chat_model: str = "openai/gpt-oss-20b"
    stt_model: str = "whisper-large-v3"
    reasoning_effort: Literal["", "low", "medium", "high"] = "low"
    """Only sent to reasoning models (``openai/gpt-oss-*``)."""
    timeout_s: float = Field(8.0, gt=0, le=120)


LANGUAGE_MODELS: dict[str, str] = {
    language: "eleven_v3" for language in ("te", "bn", "gu", "kn", "ml", "mr", "pa")
}
"""Languages the fast models do not speak, only ``eleven_v3``; Hindi and Tamil stay on the
default model (flash v2.5 and multilingual v2 cover them)."""


class ElevenLabsSettings(_Section):
    api_key: str = ""
    base_url: str = "https://api.elevenlabs.io"
    voice_id: str = "JBFqnCBsd6RMkjVDRZzb"
    model: str = "eleven_flash_v2_5"
    """The voice model for replies in English and in every language not in ``language_models``."""
    language_models: dict[str, str] = Field(default_factory=lambda: dict(LANGUAGE_MODELS))
    """Reply language (ISO 639-1) → voice model, on top of the defaults (``LANGUAGE_MODELS``),
    e.g. ``{ hi = "eleven_multilingual_v2" }`` or ``SAM_ELEVENLABS_LANGUAGE_MODELS="hi=..."``. A
    reply's language is that of the native-script title in it (see ``[speech] languages``)."""
    timeout_s: float = Field(8.0, gt=0, le=120)

    @field_validator("language_models", mode="before")
    @classmethod
    def _merge_language_models(cls, value: object) -> object:
        if isinstance(value, str):  # from the environment: "te=eleven_v3,hi=eleven_flash_v2_5"
            pairs = [p.split("=", 1) for p in value.split(",") if p.strip()]
            if any(len(p) != 2 for p in pairs):
                raise ValueError("expected language=model pairs separated by commas")
            value = {p[0]: p[1] for p in pairs}
        if isinstance(value, dict):
            given = {str(k).strip().lower(): str(v).strip() for k, v in value.items()}
            return LANGUAGE_MODELS | {k: v for k, v in given.items() if k and v}
        return value


class SpeechSettings(_Section):
    language: str = ""
    """ISO-639-1 hint for speech-to-text; empty = detect."""
    offline_model: str = ""
    """A faster-whisper model folder for offline speech-to-text (English only), used when no
    Groq key is set; needs ``pip install 'sam-edge[offline]'`` (see docs/offline-stt.md)."""
    languages: tuple[str, ...] = ()
    """Languages the user speaks besides English (ISO 639-1, e.g. ``["te", "hi"]``, or
    ``SAM_SPEECH_LANGUAGES="te,hi"``): they steer native-script platform search and the
    Hinglish/Tenglish phrase packs. Matching in the library and folder covers every script."""

    @field_validator("languages", mode="before")
    @classmethod
    def _split_languages(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.split(",")
        if isinstance(value, list | tuple):
            codes = [str(v).strip().lower() for v in value if str(v).strip()]
            bad = [c for c in codes if not (len(c) in (2, 3) and c.isalpha())]
            if bad:
                raise ValueError(f"not an ISO 639-1 language code: {bad[0]!r}")
            return tuple(dict.fromkeys(codes))
        return value


_DATABASE_URL = re.compile(r"postgresql://[A-Za-z0-9_.-]+@[A-Za-z0-9_.-]+:\d{1,5}/[A-Za-z0-9_-]+")
_REDIS_URL = re.compile(r"redis://[A-Za-z0-9_.-]+:\d{1,5}/\d{1,2}")


class HouseholdSettings(_Section):
    """Several devices sharing one store (PostgreSQL) and one message bus (Redis); both empty
    = this device stands alone on its embedded SQLite file."""

    database_url: str = ""
    """``postgresql://user@host:port/db``."""
    redis_url: str = ""
    """``redis://host:port/n``."""
    name: str = ""
    """The household's name."""
    device: str = ""
    """This device's name in the household (a room: ``kitchen``)."""

    @field_validator("database_url")
    @classmethod
    def _database(cls, value: str) -> str:
        value = value.strip()
        if value and not _DATABASE_URL.fullmatch(value):
            raise ValueError("must look like postgresql://user@host:port/db")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis(cls, value: str) -> str:
        value = value.strip()
        if value and not _REDIS_URL.fullmatch(value):
            raise ValueError("must look like redis://host:port/n")
        return value

    @property
    def enabled(self) -> bool:
        return bool(self.database_url)
