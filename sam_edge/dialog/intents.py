"""The action schema shared by the grammar, the LLM and the action router (a contract)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal


class Action(StrEnum):
    PLAY = "PLAY"
    PAUSE = "PAUSE"
    RESUME = "RESUME"
    NEXT = "NEXT"
    PREVIOUS = "PREVIOUS"
    VOLUME_UP = "VOLUME_UP"
    VOLUME_DOWN = "VOLUME_DOWN"
    SET_VOLUME = "SET_VOLUME"
    SHUFFLE = "SHUFFLE"
    REPEAT = "REPEAT"
    QUEUE = "QUEUE"
    NOW_PLAYING = "NOW_PLAYING"
    LIKE = "LIKE"
    SWITCH_PLATFORM = "SWITCH_PLATFORM"
    CHAT = "CHAT"

    @classmethod
    def parse(cls, value: object) -> Action | None:
        """Case-insensitive lookup; ``None`` for anything that is not an action."""
        if not isinstance(value, str):
            return None
        try:
            return cls(value.strip().upper())
        except ValueError:
            return None


PLATFORMS: tuple[str, ...] = ("spotify", "soundcloud", "local")
KINDS: tuple[str, ...] = ("track", "album", "artist", "playlist", "liked")
REPEAT_STATES: tuple[str, ...] = ("track", "context", "off")

Source = Literal["grammar", "llm", "history"]


@dataclass(frozen=True, slots=True)
class Intent:
    """What the user asked for.

    ``parameters`` may hold ``query``, ``artist``, ``kind``, ``platform``, ``level`` (0-100)
    and ``state`` (bool for SHUFFLE; ``track``/``context``/``off`` for REPEAT).
    """

    action: Action
    parameters: dict[str, Any] = field(default_factory=dict)
    response_text: str = ""
    source: Source = "grammar"


def clean_parameters(raw: object) -> dict[str, Any]:
    """Keep only known parameters with valid values (used on LLM output)."""
    if not isinstance(raw, dict):
        return {}
    out: dict[str, Any] = {}
    for key in ("query", "artist", "device"):
        value = raw.get(key)
        if isinstance(value, str) and value.strip():
            out[key] = value.strip()
    kind = raw.get("kind")
    if isinstance(kind, str) and kind.lower() in KINDS:
        out["kind"] = kind.lower()
    platform = raw.get("platform")
    if isinstance(platform, str) and platform.lower() in PLATFORMS:
        out["platform"] = platform.lower()
    level = raw.get("level")
    if isinstance(level, int | float) and not isinstance(level, bool):
        out["level"] = max(0, min(100, int(level)))
    elif isinstance(level, str) and level.strip().isdigit():
        out["level"] = max(0, min(100, int(level.strip())))
    state = raw.get("state")
    if isinstance(state, bool):
        out["state"] = state
    elif isinstance(state, str):
        lowered = state.strip().lower()
        if lowered in REPEAT_STATES:
            out["state"] = lowered
        elif lowered in ("true", "on", "yes"):
            out["state"] = True
        elif lowered in ("false", "no"):
            out["state"] = False
    return out
