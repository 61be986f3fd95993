"""Pairing a Spotify account without the web page: Authorization Code with PKCE and ``state``.

``start()`` writes a pending record (state + encrypted verifier, 10-minute expiry) to the data
dir and returns the authorize URL; ``complete(redirect_url)`` checks ``state``, exchanges the
code at ``{accounts_url}/api/token`` and stores the tokens encrypted. The record lets the
printing and the pasting happen in two separate commands, or the callback land on the running
service.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from .db.secrets import Cipher
from .errors import PairingError
from .platforms.tokens import TokenSet, TokenStore
from .settings import Settings

SPOTIFY_SCOPES = (
    "user-read-playback-state user-modify-playback-state user-read-currently-playing "
    "user-library-read user-library-modify playlist-read-private playlist-read-collaborative"
)
PENDING_TTL_S = 600.0


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


class SpotifyPairing:
    platform = "spotify"

    def __init__(self, settings: Settings, tokens: TokenStore, cipher: Cipher,
                 *, now: float | None = None) -> None:
        if not settings.spotify.client_id:
            raise PairingError("No Spotify client id: set SAM_SPOTIFY_CLIENT_ID "
                               "(or [spotify] client_id in the config).", code="no_client_id")
        self._settings = settings
        self._tokens = tokens
        self._cipher = cipher
        self._now = now

    def _time(self) -> float:
        return self._now if self._now is not None else time.time()

    @property
    def pending_path(self) -> Path:
        return self._settings.data.dir / "pairing" / f"{self.platform}.json"

    def start(self) -> str:
        """Create a pending record and return the authorize URL."""
        verifier, challenge = pkce_pair()
        state = secrets.token_urlsafe(24)
        redirect_uri = self._settings.spotify_redirect_uri
        self._write_pending(Pending(self.platform, state, verifier, redirect_uri, self._time()))
        query = urlencode({
            "client_id": self._settings.spotify.client_id,
            "response_type": "code",
            "redirect_uri": redirect_uri,
            "code_challenge_method": "S256",
            "code_challenge": challenge,
            "state": state,
            "scope": SPOTIFY_SCOPES,
        })
        return f"{self._settings.spotify.accounts_url.rstrip('/')}/authorize?{query}"

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
            raise PairingError("No pairing is in progress: run sam-edge pair spotify first.",
                               code="no_pending") from exc
        if not pending.verifier or self._time() - pending.created_at > PENDING_TTL_S:
            raise PairingError("This pairing request has expired: run sam-edge pair spotify "
                               "again.", code="expired")
        return pending

    def _drop_pending(self) -> None:
        self.pending_path.unlink(missing_ok=True)

    async def stored(self) -> TokenSet | None:
        return await self._tokens.load(self.platform)

    async def complete(self, redirect_url: str) -> TokenSet:
        """Finish the pairing from the URL the browser was redirected to."""
        params = parse_qs(urlsplit(redirect_url.strip()).query)
        pending = self._read_pending()
        state = (params.get("state") or [""])[0]
        if not secrets.compare_digest(state, pending.state):
            raise PairingError("The state in that URL does not match this pairing request; "
                               "nothing was stored.", code="state_mismatch")
        if "error" in params:
            self._drop_pending()
            reason = params["error"][0]
            if reason == "access_denied":
                raise PairingError("Spotify access was denied, so nothing was paired.",
                                   code="access_denied")
            raise PairingError(f"Spotify refused the pairing: {reason}.", code=reason)
        code = (params.get("code") or [""])[0]
        if not code:
            raise PairingError("That URL has no authorization code in it.", code="no_code")
        tokens = await self._exchange(code, pending)
        await self._tokens.save(self.platform, tokens)
        self._drop_pending()
        return tokens

    async def _exchange(self, code: str, pending: Pending) -> TokenSet:
        spotify = self._settings.spotify
        timeout = httpx.Timeout(spotify.timeout_s)
        async with httpx.AsyncClient(timeout=timeout) as client:
            try:
                response = await client.post(
                    f"{spotify.accounts_url.rstrip('/')}/api/token",
                    data={
                        "grant_type": "authorization_code", "code": code,
                        "redirect_uri": pending.redirect_uri, "client_id": spotify.client_id,
                        "code_verifier": pending.verifier,
                    },
                )
            except httpx.HTTPError as exc:
                raise PairingError("Spotify's accounts service is not answering; try again.",
                                   code="unreachable") from exc
            if response.status_code != 200:
                raise PairingError(f"Spotify refused the code: {_oauth_error(response)}.",
                                   code="token_error")
            body = response.json()
            now = self._time()
            tokens = TokenSet(
                access_token=body["access_token"],
                refresh_token=body.get("refresh_token", ""),
                expires_at=now + float(body.get("expires_in", 3600)),
                scope=body.get("scope", ""),
            )
            account_id, name = await _whoami(client, spotify.api_url, tokens.access_token)
        return TokenSet(tokens.access_token, tokens.refresh_token, tokens.expires_at,
                        tokens.scope, account_id, name or account_id)


def _oauth_error(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:200] or f"HTTP {response.status_code}"
    if isinstance(body, dict):
        return str(body.get("error_description") or body.get("error") or body)
    return str(body)


async def _whoami(client: httpx.AsyncClient, api_url: str, access_token: str) -> tuple[str, str]:
    try:
        response = await client.get(f"{api_url.rstrip('/')}/me",
                                    headers={"Authorization": f"Bearer {access_token}"})
        if response.status_code == 200:
            me = response.json()
            return str(me.get("id", "")), str(me.get("display_name") or me.get("id", ""))
    except (httpx.HTTPError, ValueError):
        pass
    return "", ""
