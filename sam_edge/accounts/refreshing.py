"""One refreshing-token holder for every platform.

:meth:`RefreshingTokens.ensure` hands out the stored tokens, refreshed first when they are
about to expire; :meth:`RefreshingTokens.refresh` does it after a 401. A refresh takes the
store's cross-process lock, re-reads the stored tokens (another process may have refreshed
while this one waited) and saves the new pair before the lock is let go, so a single-use
refresh token is never spent twice nor its successor lost. A refused refresh
(``invalid_grant``) is recorded with the account, so status pages can say why it is no longer
connected. Subclasses only say how the token endpoint is asked.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from ..clock import Clock
from ..errors import NeedsPairing
from .tokens import TokenSet, TokenStore

log = logging.getLogger(__name__)


class RefreshRefused(Exception):
    """The token endpoint refused the refresh token for good (``invalid_grant``)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RefreshingTokens:
    """Loads, refreshes and saves one platform's tokens."""

    platform: ClassVar[str] = ""
    label: ClassVar[str] = ""

    def __init__(self, store: TokenStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    @property
    def not_paired(self) -> str:
        return f"{self.label} is not paired. Run: sam-edge pair {self.platform}"

    @property
    def pair_again(self) -> str:
        return f"{self.label} needs to be paired again. Run: sam-edge pair {self.platform}"

    async def _token_request(self, refresh_token: str) -> dict[str, Any]:
        """The token endpoint's JSON for a refresh grant; :class:`RefreshRefused` when the
        refresh token is dead."""
        raise NotImplementedError

    def _use(self, tokens: TokenSet) -> TokenSet:
        """A hook run on every token set handed out."""
        return tokens

    async def _load(self, *, fresh: bool = False) -> TokenSet:
        tokens = await self._store.load(self.platform, fresh=fresh)
        if tokens is None:
            raise NeedsPairing(self.not_paired)
        return tokens

    async def ensure(self) -> TokenSet:
        """The stored tokens, refreshed first when they expire within a minute."""
        tokens = await self._load()
        if tokens.expired(self._clock.now()):
            return await self.refresh(tokens.access_token)
        return self._use(tokens)

    async def refresh(self, stale_access_token: str) -> TokenSet:
        """Spend the refresh token for a new pair and save both at once."""
        async with self._store.lock(self.platform):
            tokens = await self._load(fresh=True)
            if tokens.access_token != stale_access_token and not tokens.expired(self._clock.now()):
                return self._use(tokens)
            try:
                body = await self._token_request(tokens.refresh_token)
            except RefreshRefused as exc:
                log.warning("%s refresh refused: %s", self.platform, exc.reason)
                await self._store.refused(self.platform, exc.reason)
                raise NeedsPairing(self.pair_again) from exc
            fresh = tokens.rotated(
                str(body["access_token"]), body.get("refresh_token"),
                float(body.get("expires_in") or 3600), self._clock.now(), body.get("scope"),
            )
            await self._store.save(self.platform, fresh)
        log.info("%s tokens refreshed (refresh token %s)", self.platform,
                 "rotated" if body.get("refresh_token") else "kept")
        return self._use(fresh)
