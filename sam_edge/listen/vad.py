"""Voice activity detection with webrtcvad, and the helpers that run whole clips through it.

``webrtcvad`` judges 10, 20 or 30 ms frames of 16-bit mono PCM at 8, 16, 32 or 48 kHz; any
other frame size makes it raise a bare ``webrtcvad.Error``, so :class:`WebRtcVad` checks sizes
itself and says what it expected.
"""

from __future__ import annotations

import webrtcvad

from ..audio.format import FRAME_MS, SAMPLE_RATE, SAMPLE_WIDTH, frames
from .endpoint import Endpointer, EndpointResult

VALID_RATES = (8000, 16000, 32000, 48000)
VALID_FRAME_MS = (10, 20, 30)
MIN_SPEECH_MS = 250
"""Less voice than this is not worth a speech-to-text request."""


class WebRtcVad:
    """webrtcvad with its rules checked up front; ``mode`` 0 (lenient) to 3 (strict)."""

    def __init__(self, mode: int = 2, sample_rate: int = SAMPLE_RATE,
                 frame_ms: int = FRAME_MS) -> None:
        if isinstance(mode, bool) or not isinstance(mode, int) or not 0 <= mode <= 3:
            raise ValueError(f"VAD mode must be 0, 1, 2 or 3, got {mode!r}")
        if sample_rate not in VALID_RATES:
            raise ValueError(
                f"VAD sample rate must be one of {', '.join(map(str, VALID_RATES))} Hz, "
                f"got {sample_rate}"
            )
        if frame_ms not in VALID_FRAME_MS:
            raise ValueError(f"VAD frames must be 10, 20 or 30 ms long, got {frame_ms} ms")
        self.mode = mode
        self.sample_rate = sample_rate
        self.frame_ms = frame_ms
        self.frame_bytes = sample_rate * frame_ms // 1000 * SAMPLE_WIDTH
        self._vad = webrtcvad.Vad(mode)

    def is_speech(self, frame: bytes) -> bool:
        if len(frame) != self.frame_bytes:
            raise ValueError(
                f"a {self.frame_ms} ms frame at {self.sample_rate} Hz is {self.frame_bytes} "
                f"bytes of 16-bit mono PCM, got {len(frame)} bytes"
            )
        return bool(self._vad.is_speech(frame, self.sample_rate))


def voiced_ms(pcm: bytes, vad: WebRtcVad | None = None) -> int:
    """Milliseconds of ``pcm`` that the VAD calls speech (a trailing partial frame is ignored)."""
    vad = vad or WebRtcVad()
    return sum(vad.frame_ms for frame in frames(pcm, vad.frame_bytes) if vad.is_speech(frame))


def speech_span(pcm: bytes, vad: WebRtcVad | None = None, *,
                pad_ms: int = 300) -> tuple[int, bytes]:
    """Milliseconds of speech in ``pcm``, and ``pcm`` without the silence before the first and
    after the last voiced frame (``pad_ms`` of it kept on each side): what is worth uploading."""
    vad = vad or WebRtcVad()
    chunks = frames(pcm, vad.frame_bytes)
    voiced = [i for i, frame in enumerate(chunks) if vad.is_speech(frame)]
    if not voiced:
        return 0, b""
    pad = pad_ms // vad.frame_ms
    first, last = max(0, voiced[0] - pad), min(len(chunks), voiced[-1] + 1 + pad)
    return len(voiced) * vad.frame_ms, b"".join(chunks[first:last])


def has_enough_speech(pcm: bytes, min_ms: int = MIN_SPEECH_MS,
                      vad: WebRtcVad | None = None) -> bool:
    """Whether ``pcm`` holds at least ``min_ms`` of speech (checked before speech-to-text)."""
    return voiced_ms(pcm, vad) >= min_ms


def segment(pcm: bytes, endpointer: Endpointer, vad: WebRtcVad) -> EndpointResult:
    """The first utterance in a whole clip (an upload, a WAV file), or a ``timeout``.

    The endpointer is reset first. A clip that ends mid-speech gives a ``flush`` result.
    """
    if endpointer.config.frame_ms != vad.frame_ms:
        raise ValueError(
            f"the endpointer counts {endpointer.config.frame_ms} ms frames but the VAD "
            f"judges {vad.frame_ms} ms frames"
        )
    endpointer.reset()
    for frame in frames(pcm, vad.frame_bytes):
        result = endpointer.feed(frame, vad.is_speech(frame))
        if result is not None:
            return result
    return endpointer.flush()
