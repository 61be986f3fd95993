"""Encryption at rest for tokens: Fernet with a key file created 0600 in the data dir.

A lost or replaced key file makes stored tokens unreadable; callers treat that as "please pair
again", never as a crash.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cryptography.fernet import Fernet

log = logging.getLogger(__name__)

KEY_FILE = "secret.key"


class Cipher:
    """Fernet, made on first use: a device with no account never loads the crypto library."""

    def __init__(self, key: bytes) -> None:
        _check_key(key)
        self._key = key
        self._made: Fernet | None = None

    @property
    def _fernet(self) -> Fernet:
        if self._made is None:
            from cryptography.fernet import Fernet

            self._made = Fernet(self._key)
        return self._made

    @classmethod
    def from_data_dir(cls, data_dir: Path) -> Cipher:
        return cls(load_or_create_key(data_dir / KEY_FILE))

    def encrypt(self, plain: str) -> str:
        return self._fernet.encrypt(plain.encode()).decode()

    def decrypt(self, token: str) -> str | None:
        """The plain text, or ``None`` when this key cannot read it."""
        from cryptography.fernet import InvalidToken

        try:
            return self._fernet.decrypt(token.encode()).decode()
        except (InvalidToken, ValueError):
            return None


def load_or_create_key(path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        key = path.read_bytes().strip()
        _check_key(key)
        return key
    except FileNotFoundError:
        pass
    except ValueError:
        broken = path.with_name(path.name + ".broken")
        path.replace(broken)
        log.warning("the token key file was damaged (kept as %s); accounts must be paired again",
                    broken.name)
    key = new_key()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, key + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)
    return key


def new_key() -> bytes:
    """A new Fernet key (what ``Fernet.generate_key()`` makes)."""
    return base64.urlsafe_b64encode(os.urandom(32))


def _check_key(key: bytes) -> None:
    """A Fernet key: 32 bytes in URL-safe base64 (Fernet's own check, without loading it)."""
    try:
        raw = base64.urlsafe_b64decode(key)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("Fernet key must be 32 url-safe base64-encoded bytes.") from exc
    if len(raw) != 32:
        raise ValueError("Fernet key must be 32 url-safe base64-encoded bytes.")
