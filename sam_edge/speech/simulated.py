"""A speech-to-text stand-in for the simulated mode: the transcript is known in advance.

The demo request that stands in for the microphone (and any ``FILE.wav`` given to
``sam-edge listen`` with a ``FILE.txt`` beside it) carries its transcript, so the whole loop —
webrtcvad, endpointing, the dialog, the action and the spoken reply — runs without a key.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..audio.format import Clip
from .stt import Transcript

DEMO_WAV = Path(__file__).resolve().parents[1] / "data" / "demo_request.wav"


def sidecar(wav: Path) -> Path:
    return wav.with_suffix(".txt")


class KnownTranscript:
    """Implements ``SpeechToText`` by answering with a fixed transcript."""

    simulated = True

    def __init__(self, text: str) -> None:
        self.text = text.strip()

    @classmethod
    def for_wav(cls, wav: Path) -> KnownTranscript | None:
        try:
            return cls(sidecar(wav).read_text(encoding="utf-8"))
        except OSError:
            return None

    async def transcribe(self, clip: Clip, *, hints: Sequence[str] = ()) -> Transcript:
        return Transcript(self.text, no_speech=not self.text, duration_s=clip.duration_s)
