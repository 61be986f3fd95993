"""Errors that carry a code and a sentence a person understands.

Hierarchy::

    SamError(code, message)
     ├── ConfigError          a settings file that cannot be read or is invalid (exit 2)
     ├── PlatformError        a music platform refused or failed a command
     │    ├── NeedsPairing    no account, or its tokens are unusable: pair again
     │    ├── NoDevice        Spotify has no device to play on
     │    └── NotFound        the search found nothing
     ├── DialogError          the LLM failed or answered nonsense
     └── PairingError         the OAuth pairing could not complete
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


class PlatformError(SamError):
    code = "error"


class NeedsPairing(PlatformError):
    code = "needs_pairing"


class NoDevice(PlatformError):
    code = "no_device"


class NotFound(PlatformError):
    code = "not_found"


class DialogError(SamError):
    code = "not_understood"


class PairingError(SamError):
    code = "pairing_failed"
