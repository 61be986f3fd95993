"""The household's music accounts: the shared ``platform_accounts`` table, with the decrypted
tokens kept in memory between changes.

On a single device a stamp file tells every process that the tokens changed; in a household the
change may come from another device, so every save publishes on ``sam:accounts`` and every
device drops its copy when the message arrives. While this device is not subscribed (Redis
restarting) nothing is kept: each load reads the table, as before.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker

from ..accounts.locks import RefreshLock
from ..accounts.secrets import Cipher
from ..accounts.store import DbTokenStore
from .bus import ACCOUNTS, Bus


class SharedTokenStore(DbTokenStore):
    def __init__(self, sessions: async_sessionmaker[Any], cipher: Cipher, bus: Bus, *,
                 refresh_lock: RefreshLock) -> None:
        super().__init__(sessions, cipher, refresh_lock=refresh_lock)
        self._bus = bus
        self._version = 1
        self.watching = False
        """Set while this device receives the household's messages (then loads are kept)."""

    def _stamp_version(self) -> int:
        return self._version if self.watching else -1

    def changed(self) -> None:
        """Another device (or this one) saved tokens: the next load reads the table."""
        self._version += 1
        self._memo.clear()

    def _touch(self) -> None:
        self.changed()
        self._bus.publish_soon(ACCOUNTS, {"changed": True})
