"""Typed settings: one TOML file plus ``SAM_*`` environment overrides.

Each ``[section] key`` in the file can be overridden by ``SAM_SECTION_KEY`` in the environment;
a few settings also have a short name (``SAM_DEFAULT_PLATFORM``, ``SAM_LANGUAGE``, ``SAM_GPIO``).
The file is ``~/.config/sam-edge/config.toml`` unless ``--config`` or ``SAM_CONFIG`` names
another one. A path that does not exist means "defaults + environment"; an unreadable or invalid
file raises :class:`~sam_edge.errors.ConfigError` with one line naming the field and the
problem. The sections live in :mod:`.device` and :mod:`.clouds`, the root and the loading in
:mod:`.loading`; every default is written once, there.
"""

from __future__ import annotations

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
from .loading import DEFAULT_CONFIG_PATH, Settings, config_path, load_settings

__all__ = [
    "DEFAULT_CONFIG_PATH",
    "AudioSettings",
    "CacheSettings",
    "DataSettings",
    "DialogSettings",
    "ElevenLabsSettings",
    "GpioSettings",
    "GroqSettings",
    "HouseholdSettings",
    "HttpSettings",
    "ListenSettings",
    "LogSettings",
    "MusicSettings",
    "PlayerSettings",
    "PorcupineSettings",
    "Settings",
    "SoundCloudSettings",
    "SpeechSettings",
    "SpotifySettings",
    "SyncSettings",
    "VoiceSettings",
    "config_path",
    "load_settings",
]
