"""Signed-in, retried calls to the Spotify Web API for :class:`~.spotify.SpotifyAdapter`.

Tokens come from the :class:`~sam_edge.accounts.refreshing.RefreshingTokens` base before every
call and are refreshed (PKCE, no secret) when the clock says they are about to expire or the API
answers 401. spotipy only ever sees the
access token we hand it: it never prompts and never writes a ``.cache`` file. Spotify's errors
become :class:`~sam_edge.errors.PlatformError` sentences.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import functools
import logging
import math
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import httpx
import requests
from spotipy.cache_handler import CacheHandler
from spotipy.exceptions import SpotifyException

from ...accounts.refreshing import RefreshingTokens, RefreshRefused
from ...accounts.tokens import TokenSet, TokenStore
from ...clock import Clock
from ...errors import NeedsPairing, NoDevice, PlatformError
from ...settings import SpotifySettings

log = logging.getLogger(__name__)

T = TypeVar("T")
PLATFORM = "spotify"
NOT_PAIRED = "Spotify is not paired. Run: sam-edge pair spotify"
PAIR_AGAIN = "Spotify needs to be paired again. Run: sam-edge pair spotify"
NO_DEVICE = (
    "No Spotify device is available. Open Spotify on a phone, computer or speaker "
    "(or start the Pi's Spotify Connect service) and try again."
)
UNREACHABLE = "Spotify is not answering right now."
MAX_RETRY_AFTER_S = 5.0
MAX_MESSAGE = 160


class DeviceLost(NoDevice):
    """Spotify answered 404 for the device (``NO_ACTIVE_DEVICE`` or an unknown ``device_id``)."""


class TokenCache(CacheHandler):  # type: ignore[misc]
    """The token dict spotipy reads, kept in memory only."""

    def __init__(self) -> None:
        self.token_info: dict[str, Any] | None = None

    def get_cached_token(self) -> dict[str, Any] | None:
        return self.token_info

    def save_token_to_cache(self, token_info: dict[str, Any]) -> None:
        self.token_info = dict(token_info)


class StoreAuthManager:
    """spotipy's ``auth_manager``: hands out the access token :class:`SpotifyAuth` loaded.

    Refreshing is not done here (spotipy would do it with the wall clock, on a worker thread,
    and could fall back to an interactive prompt); :class:`SpotifyAuth` does it before the call.
    """

    def __init__(self, cache: TokenCache) -> None:
        self.cache = cache

    def get_access_token(self, as_dict: bool = False) -> Any:
        info = self.cache.get_cached_token()
        if not info:
            raise NeedsPairing(NOT_PAIRED)
        return dict(info) if as_dict else info["access_token"]


def _seconds(n: int) -> str:
    return "1 second" if n == 1 else f"{n} seconds"


def retry_after(headers: Mapping[str, str] | None) -> int:
    try:
        return max(0, math.ceil(float((headers or {}).get("Retry-After", "1"))))
    except ValueError:
        return 1


def _busy(wait: int) -> PlatformError:
    return PlatformError(f"Spotify is busy, try again in {_seconds(wait)}.", code="rate_limited")


def spotify_message(exc: SpotifyException) -> str:
    """Spotify's own text: spotipy prefixes it with the URL and a line break. A body that is
    not a short sentence (an HTML error page from a proxy) is never passed on."""
    text = str(exc.msg or "").split("\n", 1)[-1].strip()
    if "<" in text or len(text) > MAX_MESSAGE or not text.isprintable():
        return f"HTTP {exc.http_status}"
    return text.rstrip(".") or f"HTTP {exc.http_status}"


def translate(exc: SpotifyException) -> PlatformError:
    """A sentence for an API error that retrying will not fix."""
    message = spotify_message(exc)
    if exc.http_status == 403 and exc.reason == "PREMIUM_REQUIRED":
        return PlatformError("Spotify needs a Premium account to control playback.",
                             code="premium_required")
    if exc.http_status == 403 and "not registered" in message.lower():
        return PlatformError(
            "This Spotify account is not on the app's user list. Add it under Users Management "
            "in the Spotify Developer Dashboard.", code="not_registered")
    if exc.http_status == 404 and (exc.reason == "NO_ACTIVE_DEVICE" or "device" in message.lower()):
        return DeviceLost(NO_DEVICE)
    if exc.http_status == 401:
        return NeedsPairing(PAIR_AGAIN)
    if exc.http_status >= 500:
        return PlatformError(f"Spotify is having trouble right now (HTTP {exc.http_status}).",
                             code="server_error")
    return PlatformError(f"Spotify said: {message}.", code="spotify_error")


CALL_THREADS = 12
"""Blocking spotipy calls at once: more than the library sync's requests in flight."""


class SpotifyAuth(RefreshingTokens):
    """Loads, refreshes and saves the account's tokens; runs spotipy calls with them."""

    platform = PLATFORM
    label = "Spotify"

    def __init__(self, settings: SpotifySettings, store: TokenStore, clock: Clock,
                 http: httpx.AsyncClient) -> None:
        super().__init__(store, clock)
        self._settings, self._http = settings, http
        self.cache = TokenCache()
        self.manager = StoreAuthManager(self.cache)
        # Its own threads: the loop's default pool has cpu_count + 4 (6 on a Pi), fewer than
        # the library sync's requests in flight. Threads start only when needed.
        self._threads = concurrent.futures.ThreadPoolExecutor(CALL_THREADS,
                                                              thread_name_prefix="spotify")

    def close(self) -> None:
        """Let the call threads go (a call still running finishes on its own)."""
        self._threads.shutdown(wait=False)

    def _use(self, tokens: TokenSet) -> TokenSet:
        self.cache.save_token_to_cache({
            "access_token": tokens.access_token, "token_type": "Bearer",
            "refresh_token": tokens.refresh_token, "scope": tokens.scope,
            "expires_at": int(tokens.expires_at),
            "expires_in": max(0, int(tokens.expires_at - self._clock.now())),
        })
        return tokens

    async def _token_request(self, refresh_token: str) -> dict[str, Any]:
        url = self._settings.accounts_url.rstrip("/") + "/api/token"
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token,
                "client_id": self._settings.client_id}
        timeout = self._settings.timeout_s
        try:
            try:
                response = await self._http.post(url, data=form, timeout=timeout)
            except (httpx.ConnectError, httpx.ConnectTimeout):
                # Only a request that never left is repeated: a refresh Spotify did receive has
                # already used up this refresh token.
                response = await self._http.post(url, data=form, timeout=timeout)
        except httpx.TransportError as exc:
            raise PlatformError(UNREACHABLE, code="unreachable") from exc
        if response.status_code == 200:
            return dict(response.json())
        if response.status_code == 429:
            raise _busy(retry_after(response.headers))
        try:
            error = response.json()
        except ValueError:
            error = {}
        if isinstance(error, dict) and error.get("error") in ("invalid_grant", "invalid_client"):
            raise RefreshRefused(str(error.get("error_description") or error["error"]))
        raise PlatformError(
            f"Spotify could not renew the sign-in (HTTP {response.status_code}).",
            code="refresh_failed")

    async def call(self, fn: Callable[..., T], *args: Any, idempotent: bool = True,
                   **kwargs: Any) -> T:
        """Run a blocking spotipy call in a thread: refresh and retry once on 401, wait and
        retry once on a short 429, retry once when Spotify cannot be reached."""
        await self.ensure()
        refreshed = waited = retried = False
        while True:
            access = self.manager.get_access_token()
            try:
                call = functools.partial(contextvars.copy_context().run, fn, *args, **kwargs)
                return await asyncio.get_running_loop().run_in_executor(self._threads, call)
            except SpotifyException as exc:
                if exc.http_status == 401 and not refreshed:
                    refreshed = True
                    await self.refresh(access)
                    continue
                if exc.http_status == 429:
                    wait = retry_after(exc.headers)
                    if waited or wait > MAX_RETRY_AFTER_S:
                        raise _busy(wait) from exc
                    waited = True
                    await asyncio.sleep(wait)
                    continue
                if exc.http_status in (502, 503, 504) and idempotent and not retried:
                    retried = True
                    continue
                raise translate(exc) from exc
            except (requests.ConnectionError, requests.Timeout) as exc:
                # A POST that may have reached Spotify (skip, queue) is not sent twice.
                safe = idempotent or isinstance(exc, requests.ConnectTimeout)
                if retried or not safe:
                    raise PlatformError(UNREACHABLE, code="unreachable") from exc
                retried = True
