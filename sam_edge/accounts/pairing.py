"""Pairing an account without the web page: Authorization Code with PKCE and ``state``.

``start()`` writes a pending record (state + encrypted verifier, 10-minute expiry) to the data
dir and returns the authorize URL; ``complete(redirect_url)`` checks ``state``, exchanges the
code and stores the tokens encrypted. The record lets the printing and the pasting happen in two
separate commands, or the callback land on the running service.

* :class:`SpotifyPairing`: ``{accounts_url}/authorize`` and ``/api/token``, no client secret;
* :class:`SoundCloudPairing`: ``{auth_url}/authorize`` and ``/oauth/token`` (OAuth 2.1, PKCE
  mandatory), with the client secret when one is configured.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from ..errors import PairingError
from ..settings import Settings
from .secrets import Cipher
from .tokens import TokenSet, TokenStore

SPOTIFY_SCOPES = (
    "user-read-playback-state user-modify-playback-state user-read-currently-playing "
    "user-library-read user-library-modify playlist-read-private playlist-read-collaborative"
)
PENDING_TTL_S = 600.0
STATE_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,128}")  # what start() makes, token_urlsafe


def pkce_pair() -> tuple[str, str]:
    """A ``code_verifier`` (43-128 chars of ``[A-Za-z0-9-._~]``) and its S256 challenge."""
    verifier = secrets.token_urlsafe(64)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    challenge = base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")
    return verifier, challenge


@dataclass(frozen=True, slots=True)
class Pending:
    platform: str
    state: str
    verifier: str
    redirect_uri: str
    created_at: float


class PkcePairing:
    """The flow shared by every platform; subclasses name the endpoints and the account."""

    platform = ""
    label = ""
    service = ""
    """How the sign-in service is called in "... is not answering"."""
    token_headers: ClassVar[dict[str, str]] = {}

    def __init__(self, settings: Settings, tokens: TokenStore, cipher: Cipher,
                 *, now: float | None = None) -> None:
        self._settings = settings
        if not self.client_id:
            raise PairingError(
                f"No {self.label} client id: set SAM_{self.platform.upper()}_CLIENT_ID "
                f"(or [{self.platform}] client_id in the config).", code="no_client_id")
        self._tokens = tokens
        self._cipher = cipher
        self._now = now

    # ---- what differs between platforms --------------------------------------------------------

    @property
    def client_id(self) -> str:
        raise NotImplementedError

    @property
    def redirect_uri(self) -> str:
        raise NotImplementedError

    @property
    def timeout_s(self) -> float:
        raise NotImplementedError

    def authorize_url(self, query: dict[str, str]) -> str:
        raise NotImplementedError

    def token_request(self, code: str, pending: Pending) -> tuple[str, dict[str, str]]:
        """The token endpoint and the form that exchanges ``code``."""
        raise NotImplementedError

    async def whoami(self, client: httpx.AsyncClient, access_token: str) -> tuple[str, str]:
        """The account's id and display name; empty strings when they cannot be read."""
        raise NotImplementedError

    # ---- the flow ------------------------------------------------------------------------------

    def _time(self) -> float:
        return self._now if self._now is not None else time.time()

    @property
    def pending_path(self) -> Path:
        return self._settings.data.dir / "pairing" / f"{self.platform}.json"

    def start(self) -> str:
        """Create a pending record and return the authorize URL."""
        verifier, challenge = pkce_pair()
        state = secrets.token_urlsafe(24)
        redirect_uri = self.redirect_uri
        self._write_pending(Pending(self.platform, state, verifier, redirect_uri, self._time()))
        return self.authorize_url({
            "client_id": self.client_id,
            "response_type": "code",
            "redirect_uri": redirect_uri,
            "code_challenge_method": "S256",
            "code_challenge": challenge,
            "state": state,
        })

    def _write_pending(self, pending: Pending) -> None:
        path = self.pending_path
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        record = {
            "platform": pending.platform, "state": pending.state,
            "verifier": self._cipher.encrypt(pending.verifier),
            "redirect_uri": pending.redirect_uri, "created_at": pending.created_at,
        }
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(record, fh)
        tmp.replace(path)

    def _read_pending(self) -> Pending:
        try:
            record = json.loads(self.pending_path.read_text())
            verifier = self._cipher.decrypt(record["verifier"])
            pending = Pending(record["platform"], record["state"], verifier or "",
                              record["redirect_uri"], float(record["created_at"]))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise PairingError(f"No pairing is in progress: run sam-edge pair {self.platform} "
                               "first.", code="no_pending") from exc
        if not pending.verifier or self._time() - pending.created_at > PENDING_TTL_S:
            raise PairingError(f"This pairing request has expired: run sam-edge pair "
                               f"{self.platform} again.", code="expired")
        return pending

    def _drop_pending(self) -> None:
        self.pending_path.unlink(missing_ok=True)

    async def stored(self) -> TokenSet | None:
        return await self._tokens.load(self.platform)

    async def complete(self, redirect_url: str) -> TokenSet:
        """Finish the pairing from the URL the browser was redirected to."""
        params = parse_qs(urlsplit(redirect_url.strip()).query)
        state = (params.get("state") or [""])[0]
        if not STATE_SHAPE.fullmatch(state):
            raise PairingError("The state in that URL is missing or malformed; nothing was "
                               "stored.", code="bad_state")
        pending = self._read_pending()
        if not secrets.compare_digest(state.encode(), pending.state.encode()):
            raise PairingError("The state in that URL does not match this pairing request; "
                               "nothing was stored.", code="state_mismatch")
        if "error" in params:
            self._drop_pending()
            reason = params["error"][0]
            if reason == "access_denied":
                raise PairingError(f"{self.label} access was denied, so nothing was paired.",
                                   code="access_denied")
            raise PairingError(f"{self.label} refused the pairing: {reason}.", code=reason)
        code = (params.get("code") or [""])[0]
        if not code:
            raise PairingError("That URL has no authorization code in it.", code="no_code")
        tokens = await self._exchange(code, pending)
        await self._tokens.save(self.platform, tokens)
        self._drop_pending()
        return tokens

    async def _exchange(self, code: str, pending: Pending) -> TokenSet:
        url, form = self.token_request(code, pending)
        async with httpx.AsyncClient(timeout=httpx.Timeout(self.timeout_s)) as client:
            try:
                response = await client.post(url, data=form, headers=self.token_headers)
            except httpx.HTTPError as exc:
                raise PairingError(f"{self.service} is not answering; try again.",
                                   code="unreachable") from exc
            if response.status_code != 200:
                raise PairingError(f"{self.label} refused the code: {_oauth_error(response)}.",
                                   code="token_error")
            body = response.json()
            now = self._time()
            tokens = TokenSet(
                access_token=body["access_token"],
                refresh_token=body.get("refresh_token", ""),
                expires_at=now + float(body.get("expires_in", 3600)),
                scope=body.get("scope", ""),
            )
            account_id, name = await self.whoami(client, tokens.access_token)
        return TokenSet(tokens.access_token, tokens.refresh_token, tokens.expires_at,
                        tokens.scope, account_id, name or account_id)


class SpotifyPairing(PkcePairing):
    platform = "spotify"
    label = "Spotify"
    service = "Spotify's accounts service"

    @property
    def client_id(self) -> str:
        return self._settings.spotify.client_id

    @property
    def redirect_uri(self) -> str:
        return self._settings.spotify_redirect_uri

    @property
    def timeout_s(self) -> float:
        return self._settings.spotify.timeout_s

    def authorize_url(self, query: dict[str, str]) -> str:
        query = {**query, "scope": SPOTIFY_SCOPES}
        return f"{self._settings.spotify.accounts_url.rstrip('/')}/authorize?{urlencode(query)}"

    def token_request(self, code: str, pending: Pending) -> tuple[str, dict[str, str]]:
        return f"{self._settings.spotify.accounts_url.rstrip('/')}/api/token", {
            "grant_type": "authorization_code", "code": code,
            "redirect_uri": pending.redirect_uri, "client_id": self.client_id,
            "code_verifier": pending.verifier,
        }

    async def whoami(self, client: httpx.AsyncClient, access_token: str) -> tuple[str, str]:
        me = await _me(client, self._settings.spotify.api_url, f"Bearer {access_token}")
        return str(me.get("id", "")), str(me.get("display_name") or me.get("id", ""))


class SoundCloudPairing(PkcePairing):
    platform = "soundcloud"
    label = "SoundCloud"
    service = "SoundCloud's sign-in service"
    token_headers: ClassVar[dict[str, str]] = {"accept": "application/json; charset=utf-8"}

    @property
    def client_id(self) -> str:
        return self._settings.soundcloud.client_id

    @property
    def redirect_uri(self) -> str:
        return self._settings.soundcloud_redirect_uri

    @property
    def timeout_s(self) -> float:
        return self._settings.soundcloud.timeout_s

    def authorize_url(self, query: dict[str, str]) -> str:
        return f"{self._settings.soundcloud.auth_url.rstrip('/')}/authorize?{urlencode(query)}"

    def token_request(self, code: str, pending: Pending) -> tuple[str, dict[str, str]]:
        soundcloud = self._settings.soundcloud
        form = {"grant_type": "authorization_code", "code": code,
                "redirect_uri": pending.redirect_uri, "client_id": soundcloud.client_id,
                "code_verifier": pending.verifier}
        if soundcloud.client_secret:
            form["client_secret"] = soundcloud.client_secret
        return f"{soundcloud.auth_url.rstrip('/')}/oauth/token", form

    async def whoami(self, client: httpx.AsyncClient, access_token: str) -> tuple[str, str]:
        me = await _me(client, self._settings.soundcloud.api_url, f"OAuth {access_token}")
        return str(me.get("urn", "")), str(me.get("username") or me.get("urn", ""))


def _oauth_error(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:200] or f"HTTP {response.status_code}"
    if isinstance(body, dict):
        return str(body.get("error_description") or body.get("error")
                   or body.get("error_code") or body.get("message") or body)
    return str(body)


async def _me(client: httpx.AsyncClient, api_url: str, authorization: str) -> dict[str, Any]:
    try:
        response = await client.get(f"{api_url.rstrip('/')}/me",
                                    headers={"Authorization": authorization})
        if response.status_code == 200:
            me = response.json()
            return me if isinstance(me, dict) else {}
    except (httpx.HTTPError, ValueError):
        pass
    return {}
