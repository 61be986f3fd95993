"""The settings root and how it is loaded: one TOML file plus ``SAM_*`` environment overrides.

Each ``[section] key`` in the file can be overridden by ``SAM_SECTION_KEY`` in the environment;
a few settings also have a short name (``SAM_DEFAULT_PLATFORM``, ``SAM_LANGUAGE``). The file is
``~/.config/sam-edge/config.toml`` unless ``--config`` or ``SAM_CONFIG`` names another one. A path
that does not exist means "defaults + environment"; an unreadable or invalid file raises
:class:`~sam_edge.errors.ConfigError` with one line naming the field and the problem.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..errors import ConfigError
from ._base import Section as _Section
from .clouds import (
    ElevenLabsSettings,
    GroqSettings,
    HouseholdSettings,
    SoundCloudSettings,
    SpeechSettings,
    SpotifySettings,
)
from .device import (
    AudioSettings,
    CacheSettings,
    DataSettings,
    DialogSettings,
    GpioSettings,
    HttpSettings,
    ListenSettings,
    LogSettings,
    MusicSettings,
    PlayerSettings,
    PorcupineSettings,
    SyncSettings,
    VoiceSettings,
)

DEFAULT_CONFIG_PATH = Path("~/.config/sam-edge/config.toml")


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
