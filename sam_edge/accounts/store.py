"""Platform accounts: the token store over ``platform_accounts``, encrypted at rest."""

from __future__ import annotations

import logging
import os
import time
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from ..db.models import PlatformAccount, User
from ..db.private import create_private_file
from .locks import FlockLock, ProcessLock, RefreshLock
from .secrets import Cipher
from .tokens import TokenSet

log = logging.getLogger(__name__)

DEFAULT_USER = "00000000-0000-0000-0000-000000000001"
REFUSED = "refresh_refused"
"""The key in ``meta_data`` under which a refused refresh is recorded."""


@dataclass(frozen=True, slots=True)
class AccountInfo:
    platform: str
    account_id: str
    display_name: str
    expires_at: float
    scope: str
    updated_at: float
    readable: bool
    """False when the tokens cannot be decrypted (the key changed): pair again."""
    refused: str = ""
    """Why the platform refused the stored refresh token (pair again); empty when it did not."""

    @property
    def connected(self) -> bool:
        return self.readable and not self.refused


class DbTokenStore:
    """Implements :class:`~sam_edge.accounts.tokens.TokenStore` for the device's single user.

    Loaded tokens are kept in memory until the stamp file next to the database changes: every
    save, from this process or another (``sam-edge pair`` while the service runs), touches it,
    so a turn costs a ``stat`` instead of a query and a decryption. Refreshes are serialised by
    ``refresh_lock`` (a ``flock`` in the data dir for a store made by :meth:`in_data_dir`).
    """

    def __init__(self, sessions: async_sessionmaker[Any], cipher: Cipher,
                 user_id: str = DEFAULT_USER, *, stamp: Path | None = None,
                 refresh_lock: RefreshLock | None = None) -> None:
        self._sessions = sessions
        self._cipher = cipher
        self._user_id = user_id
        self._stamp = stamp
        self._memo: dict[str, tuple[int, TokenSet | None]] = {}
        self._refresh_lock: RefreshLock = refresh_lock or ProcessLock()

    @classmethod
    def in_data_dir(cls, sessions: async_sessionmaker[Any], cipher: Cipher,
                    data_dir: Path) -> DbTokenStore:
        stamp = data_dir / "accounts.stamp"
        create_private_file(stamp)
        return cls(sessions, cipher, stamp=stamp, refresh_lock=FlockLock.in_data_dir(data_dir))

    def lock(self, platform: str) -> AbstractAsyncContextManager[None]:
        return self._refresh_lock.hold(f"refresh-{platform}")

    def _stamp_version(self) -> int:
        if self._stamp is None:
            return -1
        try:
            return self._stamp.stat().st_mtime_ns
        except FileNotFoundError:
            return 0

    def _touch(self) -> None:
        self._memo.clear()
        if self._stamp is not None:
            self._stamp.touch()
            now = time.time_ns()
            os.utime(self._stamp, ns=(now, now))

    async def _row(self, session: Any, platform: str) -> PlatformAccount | None:
        row: PlatformAccount | None = await session.scalar(
            select(PlatformAccount).where(
                PlatformAccount.user_id == self._user_id,
                PlatformAccount.platform_name == platform,
            )
        )
        return row

    async def _ensure_user(self, session: Any) -> None:
        if await session.get(User, self._user_id) is None:
            session.add(User(id=self._user_id, name="owner", created_at=time.time()))
            await session.flush()

    async def load(self, platform: str, *, fresh: bool = False) -> TokenSet | None:
        version = self._stamp_version()
        memo = self._memo.get(platform)
        if not fresh and memo is not None and version > 0 and memo[0] == version:
            return memo[1]
        tokens = await self._load(platform)
        self._memo[platform] = (version, tokens)
        return tokens

    async def _load(self, platform: str) -> TokenSet | None:
        async with self._sessions() as session:
            row = await self._row(session, platform)
        if row is None or (row.meta_data or {}).get(REFUSED):
            return None
        access = self._cipher.decrypt(row.access_token)
        refresh = self._cipher.decrypt(row.refresh_token)
        if access is None or refresh is None:
            log.warning("%s tokens cannot be decrypted (the key changed); please pair again",
                        platform)
            return None
        return TokenSet(
            access_token=access,
            refresh_token=refresh,
            expires_at=row.expires_at,
            scope=row.scope,
            account_id=row.account_id,
            display_name=row.display_name,
            extra={k: str(v) for k, v in (row.meta_data or {}).items() if k != REFUSED},
        )

    async def save(self, platform: str, tokens: TokenSet) -> None:
        """Store access and refresh token in one transaction (refresh tokens rotate)."""
        now = time.time()
        async with self._sessions.begin() as session:
            await self._ensure_user(session)
            row = await self._row(session, platform)
            if row is None:
                row = PlatformAccount(user_id=self._user_id, platform_name=platform)
                session.add(row)
            row.access_token = self._cipher.encrypt(tokens.access_token)
            row.refresh_token = self._cipher.encrypt(tokens.refresh_token)
            row.expires_at = tokens.expires_at
            row.scope = tokens.scope
            row.account_id = tokens.account_id or row.account_id or ""
            row.display_name = tokens.display_name or row.display_name or ""
            row.meta_data = {k: v for k, v in tokens.extra.items() if k != REFUSED}
            row.updated_at = now
        self._touch()

    async def refused(self, platform: str, reason: str) -> None:
        async with self._sessions.begin() as session:
            row = await self._row(session, platform)
            if row is None:
                return
            row.meta_data = {**(row.meta_data or {}), REFUSED: reason or "refused"}
            row.updated_at = time.time()
        self._touch()

    async def delete(self, platform: str) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                delete(PlatformAccount).where(
                    PlatformAccount.user_id == self._user_id,
                    PlatformAccount.platform_name == platform,
                )
            )
        self._touch()

    async def info(self, platform: str) -> AccountInfo | None:
        async with self._sessions() as session:
            row = await self._row(session, platform)
        if row is None:
            return None
        return AccountInfo(
            platform=platform,
            account_id=row.account_id,
            display_name=row.display_name,
            expires_at=row.expires_at,
            scope=row.scope,
            updated_at=row.updated_at,
            readable=self._cipher.decrypt(row.refresh_token) is not None,
            refused=str((row.meta_data or {}).get(REFUSED) or ""),
        )

    async def paired(self, platform: str) -> bool:
        info = await self.info(platform)
        return info is not None and info.connected
