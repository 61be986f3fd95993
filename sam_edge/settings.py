"""Typed settings: one TOML file plus ``SAM_*`` environment overrides.

Each ``[section] key`` in the file can be overridden by ``SAM_SECTION_KEY`` in the environment;
a few settings also have a short name (``SAM_DEFAULT_PLATFORM``, ``SAM_LANGUAGE``). The file is
``~/.config/sam-edge/config.toml`` unless ``--config`` or ``SAM_CONFIG`` names another one. A path
that does not exist means "defaults + environment"; an unreadable or invalid file raises
:class:`~sam_edge.errors.ConfigError` with one line naming the field and the problem.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import ConfigError

DEFAULT_CONFIG_PATH = Path("~/.config/sam-edge/config.toml")


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DataSettings(_Section):
    dir: Path = Path("~/.local/share/sam-edge")
    """Holds the database, the diskcache, the encryption key and all other state."""

    @field_validator("dir")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser()


class HttpSettings(_Section):
    host: str = "127.0.0.1"
    """Address the local API and pages listen on (loopback unless set up for the LAN)."""
    port: int = Field(8080, ge=1, le=65535)
    token: str = ""
    """A bearer token for API clients on the network (``Authorization: Bearer ...``); browsers
    on the network sign in with the pairing code instead. Loopback needs neither."""


class MusicSettings(_Section):
    default_platform: Literal["auto", "spotify", "soundcloud", "local"] = "auto"
    """``auto`` = Spotify if paired, else SoundCloud if paired, else the local folder."""
    dir: Path = Path("~/Music")
    """The local music folder."""

    @field_validator("default_platform", mode="before")
    @classmethod
    def _blank_is_auto(cls, value: object) -> object:
        if value is None or (isinstance(value, str) and not value.strip()):
            return "auto"
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("dir")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser()


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


class AudioSettings(_Section):
    input_device: str = ""
    """Microphone by name (substring, case-insensitive) or index; empty = the default one."""
    output: Literal["auto", "aplay", "none"] = "auto"
    """How replies are played: ``aplay`` (ALSA, works with dmix), ``none`` (text only), or
    ``auto`` = ``aplay`` when the machine has a sound card."""
    output_device: str = ""
    """ALSA device for replies (``aplay -D``); empty = ``default``."""
    voice_volume: int = Field(100, ge=0, le=100)
    """Loudness of spoken replies and earcons, apart from the music volume."""
    echo_cancel: Literal["auto", "on", "off"] = "auto"
    """Remove SAM's own playback from the microphone signal: ``on`` = SAM's canceller,
    ``off`` = none, ``auto`` = SAM's canceller unless PipeWire's echo-cancel module is
    running (then the microphone is already cancelled; see docs/echo.md)."""
    simulated_input: str = ""
    """A WAV file that stands in for the microphone when there is none (the simulated mode);
    empty = the bundled demo request. A ``.txt`` next to it holds its transcript for the
    simulated speech-to-text."""


class ListenSettings(_Section):
    vad_mode: int = Field(2, ge=0, le=3)
    """webrtcvad aggressiveness, 0 (least) to 3 (most) at rejecting non-speech."""
    trailing_silence_ms: int = Field(600, ge=90, le=5000)
    no_speech_timeout_ms: int = Field(8000, ge=500, le=60000)
    max_utterance_ms: int = Field(15000, ge=1000, le=60000)
    min_voiced_ms: int = Field(250, ge=0, le=5000)
    """Audio with less voiced speech than this never reaches speech-to-text."""
    pre_roll_ms: int = Field(300, ge=150, le=2000)
    """Audio kept from before speech was detected."""
    duck_volume: int = Field(20, ge=0, le=100)
    """Music volume while listening (never raised by ducking)."""


class PorcupineSettings(_Section):
    access_key: str = ""
    """Picovoice AccessKey; without one, only the talk button starts listening."""
    keyword: str = "computer"
    """A built-in keyword (``pvporcupine.KEYWORDS``)."""
    keyword_path: str = ""
    """A custom ``.ppn`` file; wins over ``keyword``."""
    sensitivity: float = Field(0.5, ge=0.0, le=1.0)


class GpioSettings(_Section):
    mode: Literal["auto", "pi", "mock"] = "auto"
    """``auto``: the Pi's pins on a Raspberry Pi, else virtual pins (shown on the page)."""
    talk_pin: int = 17
    """BCM numbers; -1 = not wired. 17 is the button of ReSpeaker-style 2-mic HATs."""
    play_pause_pin: int = 27
    next_pin: int = 22
    previous_pin: int = 23
    volume_up_pin: int = 24
    volume_down_pin: int = 25
    like_pin: int = 6
    mic_mute_pin: int = 4
    rgb_led: list[int] = Field(default_factory=lambda: [16, 26, 12])
    """Red, green, blue pins of an RGB LED; ``[]`` = none."""
    status_led_pin: int = -1
    """A single status LED, used when there is no RGB LED."""
    status_led_pwm: bool = True
    led_active_high: bool = True
    bounce_time_s: float = Field(0.05, ge=0, le=1)
    hold_time_s: float = Field(1.0, gt=0, le=10)
    volume_repeat_s: float = Field(0.4, gt=0, le=5)
    error_flash_s: float = Field(2.0, gt=0, le=30)

    @field_validator("rgb_led", mode="before")
    @classmethod
    def _pins(cls, value: object) -> object:
        if isinstance(value, str):  # from the environment: "16,26,12" or ""
            return [int(p) for p in value.replace(" ", "").split(",") if p]
        return value


class SyncSettings(_Section):
    enabled: bool = True
    """Sync paired libraries in the background while ``sam-edge run`` runs."""
    interval_hours: float = Field(6.0, gt=0, le=168)
    """A platform last synced longer ago than this is synced at the next check."""
    check_minutes: int = Field(15, ge=1, le=60)

    @field_validator("check_minutes")
    @classmethod
    def _divides_an_hour(cls, value: int) -> int:
        if 60 % value:
            raise ValueError("must divide 60 (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30 or 60)")
        return value


class VoiceSettings(_Section):
    max_upload_mb: float = Field(10.0, gt=0, le=100)
    max_upload_seconds: float = Field(30.0, gt=0, le=600)


class CacheSettings(_Section):
    dir: str = ""
    """Where the caches live (a systemd ``CacheDirectory``); empty = inside the data dir.
    Everything in it can be thrown away."""
    hot_ttl_s: float = Field(3600.0, gt=0)
    """Tier 1 (diskcache) time to live."""
    persistent_ttl_days: float = Field(30.0, gt=0)
    """Tier 2 (SQLite ``search_cache``) time to live."""
    hot_size_mb: int = Field(64, ge=1)


class DialogSettings(_Section):
    history_turns: int = Field(5, ge=0, le=50)
    history_max_age_s: float = Field(600.0, gt=0)


class PlayerSettings(_Section):
    mpv_path: str = "mpv"
    audio_output: str = "auto"
    """``auto`` (``null`` when the machine has no sound card), or any mpv ``--ao`` value."""
    start_volume: int = Field(60, ge=0, le=100)
    max_volume: int = Field(100, ge=0, le=100)


class LogSettings(_Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value


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


class Settings(_Section):
    """Everything SAM Edge can be told; every cloud endpoint is a setting."""

    data: DataSettings = DataSettings()
    http: HttpSettings = HttpSettings()
    music: MusicSettings = MusicSettings()
    spotify: SpotifySettings = SpotifySettings()
    soundcloud: SoundCloudSettings = SoundCloudSettings()
    groq: GroqSettings = GroqSettings()
    elevenlabs: ElevenLabsSettings = ElevenLabsSettings()
    speech: SpeechSettings = SpeechSettings()
    audio: AudioSettings = AudioSettings()
    listen: ListenSettings = ListenSettings()
    porcupine: PorcupineSettings = PorcupineSettings()
    voice: VoiceSettings = VoiceSettings()
    gpio: GpioSettings = GpioSettings()
    sync: SyncSettings = SyncSettings()
    cache: CacheSettings = CacheSettings()
    dialog: DialogSettings = DialogSettings()
    player: PlayerSettings = PlayerSettings()
    log: LogSettings = LogSettings()
    household: HouseholdSettings = HouseholdSettings()

    @property
    def spotify_redirect_uri(self) -> str:
        return (
            self.spotify.redirect_uri
            or f"http://127.0.0.1:{self.http.port}/v1/adapter/spotify/callback"
        )

    @property
    def soundcloud_redirect_uri(self) -> str:
        return (
            self.soundcloud.redirect_uri
            or f"http://127.0.0.1:{self.http.port}/v1/adapter/soundcloud/callback"
        )

    @property
    def database_path(self) -> Path:
        return self.data.dir / "sam-edge.sqlite3"

    @property
    def cache_dir(self) -> Path:
        """Tier 1 of the search cache (diskcache)."""
        if self.cache.dir:
            return Path(self.cache.dir).expanduser() / "search"
        return self.data.dir / "cache"

    @property
    def phrase_cache_dir(self) -> Path:
        """Spoken replies said before."""
        if self.cache.dir:
            return Path(self.cache.dir).expanduser() / "phrases"
        return self.data.dir / "phrases"

    @property
    def service_url(self) -> str:
        host = "127.0.0.1" if self.http.host in ("0.0.0.0", "", "::") else self.http.host
        return f"http://{host}:{self.http.port}"


# Short names that do not follow SAM_SECTION_KEY; each wins over the long name when both are
# set (SAM_GPIO over SAM_GPIO_MODE).
ALIASES: dict[str, tuple[str, str]] = {
    "SAM_DEFAULT_PLATFORM": ("music", "default_platform"),
    "SAM_GPIO": ("gpio", "mode"),
    "SAM_LANGUAGE": ("speech", "language"),
    "SAM_LOG_LEVEL": ("log", "level"),
}


def _section_fields() -> dict[str, type[_Section]]:
    return {
        name: field.annotation  # type: ignore[misc]
        for name, field in Settings.model_fields.items()
    }


def _env_overrides(env: Mapping[str, str]) -> dict[str, dict[str, str]]:
    overrides: dict[str, dict[str, str]] = {}
    for section, model in _section_fields().items():
        for key in model.model_fields:
            name = f"SAM_{section}_{key}".upper()
            if name in env:
                overrides.setdefault(section, {})[key] = env[name]
    for name, (section, key) in ALIASES.items():
        if name in env:
            overrides.setdefault(section, {})[key] = env[name]
    return overrides


def config_path(explicit: str | os.PathLike[str] | None, env: Mapping[str, str]) -> Path:
    if explicit:
        return Path(explicit).expanduser()
    if env.get("SAM_CONFIG"):
        return Path(env["SAM_CONFIG"]).expanduser()
    return DEFAULT_CONFIG_PATH.expanduser()


def _read_file(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except PermissionError as exc:
        raise ConfigError(f"config {path}: cannot be read ({exc.strerror})") from exc
    except IsADirectoryError as exc:
        raise ConfigError(f"config {path}: is a directory, not a TOML file") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config {path}: invalid TOML: {exc}") from exc
    except OSError as exc:
        raise ConfigError(f"config {path}: cannot be read ({exc})") from exc


def _describe(exc: ValidationError, path: Path) -> str:
    err = exc.errors()[0]
    loc = [str(part) for part in err["loc"]]
    where = f"[{loc[0]}] {'.'.join(loc[1:])}" if len(loc) > 1 else loc[0] if loc else "?"
    message = err["msg"]
    if err["type"] == "extra_forbidden":
        message = "unknown setting"
    env_name = "SAM_" + "_".join(loc).upper() if loc else ""
    short = [name for name, where in ALIASES.items() if list(where) == loc]
    if short:
        env_name = f"{short[0]} or {env_name}"
    return f"config {path}: {where}: {message} (or environment {env_name})"


def load_settings(
    path: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None,
    *, skip: Collection[str] = (),
) -> Settings:
    """Read the settings file (if any) and apply the environment on top. Sections named in
    ``skip`` are neither read nor validated: they keep their defaults."""
    env = os.environ if env is None else env
    cfg_path = config_path(path, env)
    data = {k: v for k, v in _read_file(cfg_path).items() if k not in skip}
    for section, values in _env_overrides(env).items():
        if section in skip:
            continue
        current = data.get(section)
        if current is not None and not isinstance(current, dict):
            raise ConfigError(f"config {cfg_path}: [{section}] must be a table")
        data[section] = {**(current or {}), **values}
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, cfg_path)) from exc
