"""Settings of the device itself: data, HTTP, the music folder, audio, listening, wake word,
GPIO, sync, uploads, caches, dialog, player and log."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from ._base import Section as _Section


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
    pcm_socket: str = ""
    """Where the output stage takes PCM from other players (``sam-edge-pcm-in``, for
    librespot); empty = ``/run/sam-edge/pcm.sock`` when ``/run/sam-edge`` exists (the service),
    else ``run/pcm.sock`` in the data folder."""
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
