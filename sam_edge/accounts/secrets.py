"""Encryption at rest for tokens: Fernet with a key file created 0600 in the data dir.

A lost or replaced key file makes stored tokens unreadable; callers treat that as "please pair
again", never as a crash.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

log = logging.getLogger(__name__)

KEY_FILE = "secret.key"


class Cipher:
    def __init__(self, key: bytes) -> None:
        self._fernet = Fernet(key)

    @classmethod
    def from_data_dir(cls, data_dir: Path) -> Cipher:
        return cls(load_or_create_key(data_dir / KEY_FILE))

    def encrypt(self, plain: str) -> str:
        return self._fernet.encrypt(plain.encode()).decode()

    def decrypt(self, token: str) -> str | None:
        """The plain text, or ``None`` when this key cannot read it."""
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except (InvalidToken, ValueError):
            return None


def load_or_create_key(path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        key = path.read_bytes().strip()
        Fernet(key)
        return key
    except FileNotFoundError:
        pass
    except ValueError:
        broken = path.with_name(path.name + ".broken")
        path.replace(broken)
        log.warning("the token key file was damaged (kept as %s); accounts must be paired again",
                    broken.name)
    key = Fernet.generate_key()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, key + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)
    return key
