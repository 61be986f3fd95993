"""Audio errors: each carries a code, a sentence for a person and, for uploads, an HTTP status.

Hierarchy::

    SamError
     ├── AudioError (400)          audio we were given cannot be used
     │    ├── EmptyAudio (400)     no bytes, or no samples in them
     │    ├── TruncatedAudio (400) a known container that is cut short or damaged
     │    ├── NotAudio (415)       not WAV, Ogg, WebM/Matroska, MP3, FLAC or MP4
     │    ├── TooLong (413)        longer than the limit (``seconds``, ``limit_s``)
     │    └── DecoderMissing (503) ffmpeg is not installed (or did not finish in time)
     └── AudioDeviceError          a microphone or speaker that cannot be used
          ├── MicrophoneError
          └── PlaybackError
"""

from __future__ import annotations

from ..errors import SamError


class AudioError(SamError):
    code = "bad_audio"
    status = 400

    def __init__(self, message: str, *, code: str | None = None,
                 status: int | None = None) -> None:
        super().__init__(message, code=code)
        if status is not None:
            self.status = status


class EmptyAudio(AudioError):
    code = "empty_audio"


class TruncatedAudio(AudioError):
    code = "truncated_audio"


class NotAudio(AudioError):
    code = "not_audio"
    status = 415


class TooLong(AudioError):
    code = "audio_too_long"
    status = 413

    def __init__(self, seconds: float, limit_s: float, *, at_least: bool = False) -> None:
        longer = "more than " if at_least else ""
        super().__init__(
            f"The recording is {longer}{seconds:.1f} s long; the limit is {limit_s:g} s."
        )
        self.seconds = seconds
        self.limit_s = limit_s


class DecoderMissing(AudioError):
    code = "decoder_missing"
    status = 503


class AudioDeviceError(SamError):
    code = "audio_device"


class MicrophoneError(AudioDeviceError):
    code = "no_microphone"


class PlaybackError(AudioDeviceError):
    code = "playback_failed"
