"""Signed-in, retried calls to the SoundCloud API for :class:`~.soundcloud.SoundCloudAdapter`.

Tokens come from the :class:`~sam_edge.accounts.refreshing.RefreshingTokens` base before every
call and are refreshed at ``{auth_url}/oauth/token`` when the clock says they are about to
expire or the API answers 401. SoundCloud's refresh tokens are single-use: the base serialises
refreshes across processes, so two callers never spend the same one. Requests carry
``Authorization: OAuth <token>``, and only ever to the API's own origin, because ``next_href``
and stream URLs from responses are followed verbatim. SoundCloud sends no ``Retry-After`` with a
429, so after one the client refuses calls locally for a back-off that doubles with each 429 in a
row. Errors become :class:`~sam_edge.errors.PlatformError` sentences.
"""

from __future__ import annotations

import logging
import math
from typing import Any
from urllib.parse import urlsplit

import httpx

from ...accounts.refreshing import RefreshingTokens, RefreshRefused
from ...accounts.tokens import TokenStore
from ...clock import Clock
from ...errors import NeedsPairing, NotFound, PlatformError
from ...settings import SoundCloudSettings

log = logging.getLogger(__name__)

PLATFORM = "soundcloud"
NOT_PAIRED = "SoundCloud is not paired. Run: sam-edge pair soundcloud"
PAIR_AGAIN = "SoundCloud needs to be paired again. Run: sam-edge pair soundcloud"
UNREACHABLE = "SoundCloud is not answering right now."
ACCEPT = "application/json; charset=utf-8"
BACKOFF_FIRST_S = 2.0
BACKOFF_MAX_S = 300.0
MAX_PAGES = 20


def _seconds(n: int) -> str:
    return "1 second" if n == 1 else f"{n} seconds"


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def error_text(response: httpx.Response) -> str:
    """SoundCloud's own words: ``message``, ``error_code``/``error`` (OAuth), else the status."""
    body = _json(response)
    if isinstance(body, dict):
        for key in ("message", "error_description", "error_code", "error"):
            if isinstance(body.get(key), str) and body[key].strip():
                return str(body[key]).strip().rstrip(".")
        for entry in body.get("errors") or []:
            if isinstance(entry, dict) and entry.get("error_message"):
                return str(entry["error_message"]).rstrip(".")
    return f"HTTP {response.status_code}"


def oauth_error(response: httpx.Response) -> str:
    """The OAuth error code of a token answer (``{"error"}`` or SoundCloud's ``error_code``)."""
    body = _json(response)
    if not isinstance(body, dict):
        return ""
    return str(body.get("error") or body.get("error_code") or body.get("message") or "")


def translate(response: httpx.Response) -> PlatformError:
    """A sentence for an API error that retrying will not fix."""
    status = response.status_code
    if status == 401:
        return NeedsPairing(PAIR_AGAIN)
    if status == 403:
        return PlatformError("SoundCloud does not allow that for this account.",
                             code="forbidden")
    if status == 404:
        return NotFound("SoundCloud could not find that.")
    if status >= 500:
        return PlatformError(f"SoundCloud is having trouble right now (HTTP {status}).",
                             code="server_error")
    return PlatformError(f"SoundCloud said: {error_text(response)}.", code="soundcloud_error")


class SoundCloudClient(RefreshingTokens):
    """Loads, refreshes and saves the account's tokens and makes the API calls with them."""

    platform = PLATFORM
    label = "SoundCloud"

    def __init__(self, settings: SoundCloudSettings, store: TokenStore, clock: Clock,
                 http: httpx.AsyncClient) -> None:
        super().__init__(store, clock)
        self._settings, self._http = settings, http
        self.api = settings.api_url.rstrip("/")
        self._backoff_s = 0.0
        self._quiet_until = 0.0

    # ---- tokens -------------------------------------------------------------------------------

    async def _token_request(self, refresh_token: str) -> dict[str, Any]:
        url = self._settings.auth_url.rstrip("/") + "/oauth/token"
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token,
                "client_id": self._settings.client_id}
        if self._settings.client_secret:
            form["client_secret"] = self._settings.client_secret
        headers = {"accept": ACCEPT}
        try:
            try:
                response = await self._http.post(url, data=form, headers=headers)
            except (httpx.ConnectError, httpx.ConnectTimeout):
                # Only a request that never left is repeated: a refresh SoundCloud received has
                # already spent this single-use refresh token.
                response = await self._http.post(url, data=form, headers=headers)
        except httpx.TransportError as exc:
            raise PlatformError(UNREACHABLE, code="unreachable") from exc
        body = _json(response)
        if response.status_code == 200 and isinstance(body, dict) and body.get("access_token"):
            return body
        if response.status_code == 429:
            raise self._rate_limited(response)
        error = oauth_error(response)
        if error == "invalid_grant":
            raise RefreshRefused(error_text(response))
        if error in ("invalid_client", "unauthorized_client"):
            raise PlatformError("SoundCloud refused this app's client id or secret; check "
                                "[soundcloud] client_id and client_secret.",
                                code="invalid_client")
        raise PlatformError(
            f"SoundCloud could not renew the sign-in (HTTP {response.status_code}).",
            code="refresh_failed")

    # ---- calls --------------------------------------------------------------------------------

    def _rate_limited(self, response: httpx.Response) -> PlatformError:
        self._backoff_s = min(BACKOFF_MAX_S, self._backoff_s * 2 or BACKOFF_FIRST_S)
        self._quiet_until = self._clock.monotonic() + self._backoff_s
        body = _json(response)
        groups = [((e.get("meta") or {}).get("rate_limit") or {}).get("group")
                  for e in (body.get("errors") or []) if isinstance(e, dict)] \
            if isinstance(body, dict) else []
        if "plays" in groups:
            return PlatformError("SoundCloud's play limit for this app is used up for today; "
                                 "try again later.", code="rate_limited")
        wait = _seconds(math.ceil(self._backoff_s))
        return PlatformError(f"SoundCloud is busy, try again in {wait}.", code="rate_limited")

    def _check_quiet(self) -> None:
        left = self._quiet_until - self._clock.monotonic()
        if left > 0:
            raise PlatformError(f"SoundCloud is busy, try again in {_seconds(math.ceil(left))}.",
                                code="rate_limited")

    async def request(self, method: str, target: str, *, params: dict[str, Any] | None = None,
                      idempotent: bool | None = None) -> httpx.Response:
        """``method target`` (an API path or an absolute API URL) without following redirects:
        refreshed and resent once on 401, repeated once when SoundCloud cannot be reached or
        answers 502-504 (only idempotent calls, unless the request never left)."""
        url = target if "://" in target else self.api + target
        if _origin(url) != _origin(self.api):
            raise PlatformError("SoundCloud pointed somewhere unexpected; not following it.",
                                code="bad_response")
        self._check_quiet()
        idempotent = method in ("GET", "HEAD") if idempotent is None else idempotent
        tokens = await self.ensure()
        refreshed = retried = False
        while True:
            headers = {"Authorization": f"OAuth {tokens.access_token}", "accept": ACCEPT}
            try:
                response = await self._http.request(method, url, params=params, headers=headers,
                                                    follow_redirects=False)
            except httpx.TransportError as exc:
                safe = idempotent or isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
                if retried or not safe:
                    raise PlatformError(UNREACHABLE, code="unreachable") from exc
                retried = True
                continue
            status = response.status_code
            if status == 401 and not refreshed:
                refreshed = True
                tokens = await self.refresh(tokens.access_token)
                continue
            if status in (502, 503, 504) and idempotent and not retried:
                retried = True
                continue
            if status == 429:
                raise self._rate_limited(response)
            if status >= 400:
                raise translate(response)
            self._backoff_s = 0.0
            return response

    async def get_json(self, target: str, params: dict[str, Any] | None = None) -> Any:
        response = await self.request("GET", target, params=params)
        body = _json(response)
        if response.status_code != 200 or body is None:
            raise PlatformError("SoundCloud sent an answer that could not be read.",
                                code="bad_response")
        return body

    async def collect(self, path: str, params: dict[str, Any], cap: int) -> list[dict[str, Any]]:
        """Up to ``cap`` items of a list endpoint, following ``next_href`` page by page."""
        items: list[dict[str, Any]] = []
        target: str | None = path
        query: dict[str, Any] | None = {**params, "linked_partitioning": "true"}
        for _ in range(MAX_PAGES):
            if not target or len(items) >= cap:
                break
            body = await self.get_json(target, query)
            entries = body if isinstance(body, list) else body.get("collection") or []
            items += [e for e in entries if isinstance(e, dict)]
            # next_href already carries every parameter, the cursor included.
            target, query = (None if isinstance(body, list) else body.get("next_href")), None
        return items[:cap]
