"""A recording run through the live front end, frame by frame, as the microphone would be.

``sam-edge listen --wav MIC --reference PLAYED`` uses this: MIC's 30 ms frames are fed in
order, each with the PLAYED audio of the same 30 ms, to the same :class:`FrontEnd` the device
uses. Nothing looks at the file as a whole: the listen stops at the first endpoint, so what
comes after an utterance cannot change it. A recording has no wake word, so the no-speech
timeout does not apply and speech may start anywhere in it.
"""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass

from ..audio.format import FRAME_BYTES, FRAME_MS, SAMPLE_RATE, SAMPLE_WIDTH
from ..audio.sources import decode_upload
from .endpoint import EndpointConfig, EndpointResult
from .frontend import FrameDecision, FrontEnd, FrontEndConfig


@dataclass(frozen=True, slots=True)
class Played:
    """The audio as the device played it: 16-bit interleaved PCM at its own rate."""

    pcm: bytes
    sample_rate: int
    channels: int

    @property
    def frame_bytes(self) -> int:
        """Bytes played over one microphone frame."""
        return self.sample_rate * FRAME_MS // 1000 * SAMPLE_WIDTH * self.channels


def read_played(data: bytes, *, max_seconds: float) -> Played:
    """PLAYED as it is when it is 16-bit PCM WAV (any rate, mono or stereo); anything else
    is decoded to 16 kHz mono, which is all the canceller uses."""
    try:
        with wave.open(io.BytesIO(data)) as wav:
            if wav.getsampwidth() == SAMPLE_WIDTH and wav.getnframes() > 0:
                seconds = wav.getnframes() / wav.getframerate()
                if seconds <= max_seconds:
                    return Played(wav.readframes(wav.getnframes()), wav.getframerate(),
                                  wav.getnchannels())
    except (wave.Error, EOFError):
        pass  # not a plain PCM WAV: let the decoder judge it
    clip = decode_upload(data, max_seconds=max_seconds)
    return Played(clip.pcm, SAMPLE_RATE, 1)


@dataclass(frozen=True, slots=True)
class ReplayResult:
    result: EndpointResult
    erle_db: float | None
    """ERLE over the music the listen heard; ``None`` without a reference."""
    frames: int
    """Microphone frames the front end judged before the listen ended."""


def listen_config(endpoint: EndpointConfig, *, vad_mode: int, mic_ms: int) -> FrontEndConfig:
    """The live front end's settings for a recording: the no-speech timeout cannot fire."""
    fields = {name: getattr(endpoint, name) for name in endpoint.__slots__}
    fields["no_speech_timeout_ms"] = max(mic_ms + 1000, endpoint.no_speech_timeout_ms)
    return FrontEndConfig(vad_mode=vad_mode, endpoint=EndpointConfig(**fields))


def replay(mic: bytes, played: Played | None, config: FrontEndConfig) -> ReplayResult:
    """Feed ``mic`` (16 kHz mono 16-bit PCM) and ``played`` in step until the first endpoint."""
    front = FrontEnd(config, reference_rate=played.sample_rate if played else None,
                     reference_channels=played.channels if played else 1)
    decisions: list[FrameDecision] = []
    judged = 0
    try:
        for k, at in enumerate(range(0, len(mic) - FRAME_BYTES + 1, FRAME_BYTES)):
            reference = b""
            if played is not None:
                step = played.frame_bytes
                reference = played.pcm[k * step:(k + 1) * step]
            decisions = front.feed(mic[at:at + FRAME_BYTES], reference)
            judged += len(decisions)
            if decisions and decisions[-1].result is not None:
                break
        else:
            decisions = front.finish()
            judged += len(decisions)
        last = decisions[-1] if decisions else None
        result = last.result if last is not None and last.result is not None \
            else front.endpointer.flush()
        return ReplayResult(result, front.take_erle(), judged)
    finally:
        front.close()
