"""OAuth token sets and where they are kept (encrypted in the database, see ``db.accounts``)."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field, replace
from typing import Protocol

from .locks import ProcessLock


@dataclass(frozen=True, slots=True)
class TokenSet:
    access_token: str
    refresh_token: str
    expires_at: float
    """Seconds since the epoch."""
    scope: str = ""
    account_id: str = ""
    display_name: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    def expired(self, now: float, margin: float = 60.0) -> bool:
        return now >= self.expires_at - margin

    def rotated(self, access_token: str, refresh_token: str | None, expires_in: float,
                now: float, scope: str | None = None) -> TokenSet:
        """A copy after a refresh; keeps the old refresh token when none was returned."""
        return replace(
            self,
            access_token=access_token,
            refresh_token=refresh_token or self.refresh_token,
            expires_at=now + expires_in,
            scope=scope if scope is not None else self.scope,
        )


class TokenStore(Protocol):
    """Keeps one token set per platform. ``load`` returns ``None`` when nothing usable is stored
    (never paired, or the encryption key was lost: the user is asked to pair again);
    ``fresh=True`` reads past any copy kept in memory. After a refused refresh the account
    loads as ``None`` until it is paired again."""

    async def load(self, platform: str, *, fresh: bool = False) -> TokenSet | None: ...

    async def save(self, platform: str, tokens: TokenSet) -> None:
        """Stores the set and clears a recorded refusal."""
        ...

    async def delete(self, platform: str) -> None: ...

    async def refused(self, platform: str, reason: str) -> None:
        """Records that the platform refused the stored refresh token."""
        ...

    def lock(self, platform: str) -> AbstractAsyncContextManager[None]:
        """Held while a refresh token is spent and its successor saved."""
        ...


class MemoryTokenStore:
    """A token store in memory, for tests."""

    def __init__(self, initial: dict[str, TokenSet] | None = None) -> None:
        self.tokens: dict[str, TokenSet] = dict(initial or {})
        self.refusals: dict[str, str] = {}
        self.saves = 0
        self._locks = ProcessLock()

    async def load(self, platform: str, *, fresh: bool = False) -> TokenSet | None:
        return None if platform in self.refusals else self.tokens.get(platform)

    async def save(self, platform: str, tokens: TokenSet) -> None:
        self.tokens[platform] = tokens
        self.refusals.pop(platform, None)
        self.saves += 1

    async def delete(self, platform: str) -> None:
        self.tokens.pop(platform, None)
        self.refusals.pop(platform, None)

    async def refused(self, platform: str, reason: str) -> None:
        self.refusals[platform] = reason

    def lock(self, platform: str) -> AbstractAsyncContextManager[None]:
        return self._locks.hold(platform)
