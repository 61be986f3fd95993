"""The endpointer's thresholds and its result (see :mod:`.endpoint` for how they are used)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..audio.format import FRAME_MS
from ..settings import ListenSettings

EndpointKind = Literal["speech", "timeout"]
EndpointReason = Literal["silence", "max_length", "no_speech", "flush", "provisional"]


_LISTEN = ListenSettings()
"""The defaults live in the settings; pure tests build configs without them."""


@dataclass(frozen=True, slots=True)
class EndpointConfig:
    """Endpointing thresholds, all in milliseconds (rounded to whole frames)."""

    frame_ms: int = FRAME_MS
    pre_roll_ms: int = _LISTEN.pre_roll_ms
    """Audio kept from before the detected start; must cover ``start_window_ms``."""
    start_window_ms: int = 150
    start_ratio: float = 0.8
    """Share of voiced frames in the start window that means speech has started."""
    trailing_silence_ms: int = _LISTEN.trailing_silence_ms
    provisional_silence_ms: int = 250
    """Trailing silence after which a provisional end is offered (``0``: never)."""
    resume_ms: int = 90
    """A voiced run this long cancels the trailing silence counted so far."""
    no_speech_timeout_ms: int = _LISTEN.no_speech_timeout_ms
    max_utterance_ms: int = _LISTEN.max_utterance_ms
    min_speech_ms: int = _LISTEN.min_voiced_ms

    @classmethod
    def from_settings(cls, listen: ListenSettings) -> EndpointConfig:
        return cls(pre_roll_ms=listen.pre_roll_ms,
                   trailing_silence_ms=listen.trailing_silence_ms,
                   no_speech_timeout_ms=listen.no_speech_timeout_ms,
                   max_utterance_ms=listen.max_utterance_ms, min_speech_ms=listen.min_voiced_ms)

    def __post_init__(self) -> None:
        if self.frame_ms <= 0:
            raise ValueError(f"frame_ms must be positive, got {self.frame_ms}")
        if not 0.0 < self.start_ratio <= 1.0:
            raise ValueError(f"start_ratio must be in (0, 1], got {self.start_ratio}")
        for name in ("start_window_ms", "trailing_silence_ms", "resume_ms",
                     "no_speech_timeout_ms", "max_utterance_ms"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")
        if not 0 <= self.provisional_silence_ms <= self.trailing_silence_ms:
            raise ValueError(f"provisional_silence_ms must be 0-{self.trailing_silence_ms}, "
                             f"got {self.provisional_silence_ms}")
        if self.min_speech_ms < 0:
            raise ValueError(f"min_speech_ms must not be negative, got {self.min_speech_ms}")
        if self.pre_roll_ms < self.start_window_ms:
            raise ValueError(
                f"pre_roll_ms ({self.pre_roll_ms}) must be at least start_window_ms "
                f"({self.start_window_ms}), or the start of speech would be cut off"
            )
        if self.max_utterance_ms <= self.pre_roll_ms:
            raise ValueError(
                f"max_utterance_ms ({self.max_utterance_ms}) must exceed pre_roll_ms "
                f"({self.pre_roll_ms})"
            )

    def frames(self, ms: int) -> int:
        """Whole frames in ``ms`` (at least one)."""
        return max(1, round(ms / self.frame_ms))


@dataclass(frozen=True, slots=True)
class EndpointResult:
    """One finished listen: an utterance (``speech``) or nothing worth sending (``timeout``)."""

    kind: EndpointKind
    audio: bytes
    """The utterance, pre-roll and trailing silence included; empty for a timeout."""
    reason: EndpointReason
    voiced_ms: int
    duration_ms: int
    """Length of ``audio`` for speech; time listened since the start for a timeout."""
    start_ms: int = 0
    """Offset of the first byte of ``audio`` from the start of listening (the last reset)."""
    speech_start_ms: int | None = None
    """Start of the first voiced frame of the utterance (pre-roll excluded), from the start
    of listening; ``None`` for a timeout."""
    speech_end_ms: int | None = None
    """End of the last voiced frame (trailing silence excluded)."""
