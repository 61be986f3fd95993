"""Errors that carry a code and a sentence a person understands, one class per stage.

Hierarchy (the ``code`` each answers with)::

    SamError(code, message)                      error
     ├── ConfigError                             config_error: a settings file or value (exit 2)
     ├── WakeError                               wake_unavailable: the wake engine could not start
     ├── ListenError                             microphone: capture failed
     ├── SttError                                stt_unavailable: speech-to-text (key, network)
     │    └── SttBadReply                        stt_bad_reply: an answer that is not a transcript
     ├── DialogError                             not_understood: the ``understand`` stage
     │    ├── LLMUnavailable                     llm_unavailable: the language model (key, network)
     │    └── LLMBadReply                        llm_bad_reply: an answer that is not a completion
     ├── PlatformError                           error: the ``act`` stage, a music platform
     │    ├── NeedsPairing                       needs_pairing: no usable account: pair again
     │    ├── NoDevice                           no_device: Spotify has no device to play on
     │    ├── NotFound                           not_found: the search found nothing
     │    └── VerifyError                        not_verified: the ``verify`` stage
     ├── ReplyError                              tts_unavailable: the ``reply`` stage's voice
     ├── StageTimeout                            timeout: a stage ran out of the turn's deadline
     └── PairingError                            pairing_failed: the OAuth pairing
"""

from __future__ import annotations


class SamError(Exception):
    """Base class: ``code`` is machine-readable, ``message`` is for the user."""

    code = "error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return self.message


class ConfigError(SamError):
    code = "config_error"


class WakeError(SamError):
    code = "wake_unavailable"


class ListenError(SamError):
    code = "microphone"


class SttError(SamError):
    """Speech could not be transcribed: no key, key refused, network, timeout or rate limit."""

    code = "stt_unavailable"


class SttBadReply(SttError):
    """Speech-to-text answered with something that is not a transcript (a captive portal's
    page, broken or foreign JSON)."""

    code = "stt_bad_reply"


class DialogError(SamError):
    code = "not_understood"


class LLMUnavailable(DialogError):
    """The language model could not be asked: network, key, model or rate limit."""

    code = "llm_unavailable"


class LLMBadReply(DialogError):
    """The language model's service answered with something that is not a completion."""

    code = "llm_bad_reply"


class PlatformError(SamError):
    code = "error"


class NeedsPairing(PlatformError):
    code = "needs_pairing"


class NoDevice(PlatformError):
    code = "no_device"


class NotFound(PlatformError):
    code = "not_found"


class VerifyError(PlatformError):
    code = "not_verified"


class ReplyError(SamError):
    code = "tts_unavailable"


class StageTimeout(SamError):
    """A stage did not finish within its share of the turn's deadline."""

    code = "timeout"


class PairingError(SamError):
    code = "pairing_failed"
