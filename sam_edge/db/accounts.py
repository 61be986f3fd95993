"""Platform accounts: the token store over ``platform_accounts``, encrypted at rest."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from ..platforms.tokens import TokenSet
from .models import PlatformAccount, User
from .secrets import Cipher

log = logging.getLogger(__name__)

DEFAULT_USER = "00000000-0000-0000-0000-000000000001"


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


class DbTokenStore:
    """Implements :class:`~sam_edge.platforms.tokens.TokenStore` for the device's single user."""

    def __init__(self, sessions: async_sessionmaker[Any], cipher: Cipher,
                 user_id: str = DEFAULT_USER) -> None:
        self._sessions = sessions
        self._cipher = cipher
        self._user_id = user_id

    async def _ensure_user(self, session: Any) -> None:
        if await session.get(User, self._user_id) is None:
            session.add(User(id=self._user_id, name="owner", created_at=time.time()))
            await session.flush()

    async def load(self, platform: str) -> TokenSet | None:
        async with self._sessions() as session:
            row = await session.scalar(
                select(PlatformAccount).where(
                    PlatformAccount.user_id == self._user_id,
                    PlatformAccount.platform_name == platform,
                )
            )
        if row is None:
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
            extra={k: str(v) for k, v in (row.meta_data or {}).items()},
        )

    async def save(self, platform: str, tokens: TokenSet) -> None:
        """Store access and refresh token in one transaction (refresh tokens rotate)."""
        now = time.time()
        async with self._sessions.begin() as session:
            await self._ensure_user(session)
            row = await session.scalar(
                select(PlatformAccount).where(
                    PlatformAccount.user_id == self._user_id,
                    PlatformAccount.platform_name == platform,
                )
            )
            if row is None:
                row = PlatformAccount(user_id=self._user_id, platform_name=platform)
                session.add(row)
            row.access_token = self._cipher.encrypt(tokens.access_token)
            row.refresh_token = self._cipher.encrypt(tokens.refresh_token)
            row.expires_at = tokens.expires_at
            row.scope = tokens.scope
            row.account_id = tokens.account_id or row.account_id or ""
            row.display_name = tokens.display_name or row.display_name or ""
            row.meta_data = dict(tokens.extra)
            row.updated_at = now

    async def delete(self, platform: str) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                delete(PlatformAccount).where(
                    PlatformAccount.user_id == self._user_id,
                    PlatformAccount.platform_name == platform,
                )
            )

    async def info(self, platform: str) -> AccountInfo | None:
        async with self._sessions() as session:
            row = await session.scalar(
                select(PlatformAccount).where(
                    PlatformAccount.user_id == self._user_id,
                    PlatformAccount.platform_name == platform,
                )
            )
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
        )

    async def paired(self, platform: str) -> bool:
        info = await self.info(platform)
        return info is not None and info.readable
