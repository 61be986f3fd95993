"""The fake Spotify accounts service: PKCE ``/authorize`` and ``/api/token`` with single-use codes
and rotating refresh tokens, plus the access tokens the fake API accepts."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from starlette.responses import PlainTextResponse, RedirectResponse, Response

CLIENT_ID = "sam-test-client"
DEFAULT_SCOPE = " ".join([
    "user-read-playback-state", "user-modify-playback-state", "user-read-currently-playing",
    "user-library-read", "user-library-modify", "playlist-read-private",
    "playlist-read-collaborative",
])
_LOOPBACK = ("127.0.0.1", "::1")


@dataclass
class Grant:
    client_id: str
    scope: str
    expired: bool = False


@dataclass
class _Code:
    client_id: str
    redirect_uri: str
    challenge: str
    scope: str


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _oauth_error(error: str, description: str) -> tuple[int, dict[str, str]]:
    return 400, {"error": error, "error_description": description}


class AccountsMixin:
    """Token bookkeeping for :class:`tests.fakes.spotify.FakeSpotify`."""

    def __init__(self) -> None:
        self.client_ids: set[str] = {CLIENT_ID}
        self.redirect_uris: set[str] = set()
        """Registered redirect URIs; empty = any URI that passes Spotify's 2025 rules."""
        self.deny = False
        """True: the user refuses on the authorize page (``error=access_denied``)."""
        self.token_lifetime_s = 3600
        self._codes: dict[str, _Code] = {}
        self._access: dict[str, Grant] = {}
        self._refresh: dict[str, Grant] = {}
        self._revoked: set[str] = set()

    # ---- controls -------------------------------------------------------------------------

    def issue_tokens(
        self, scope: str = DEFAULT_SCOPE, client_id: str = CLIENT_ID
    ) -> dict[str, Any]:
        """Mint a token pair as if pairing had just finished; the token endpoint's JSON."""
        access, refresh = "BQ" + secrets.token_urlsafe(32), "AQ" + secrets.token_urlsafe(48)
        self._access[access] = Grant(client_id, scope)
        self._refresh[refresh] = Grant(client_id, scope)
        return {"access_token": access, "token_type": "Bearer", "scope": scope,
                "expires_in": self.token_lifetime_s, "refresh_token": refresh}

    def expire_access_tokens(self) -> None:
        """Every access token issued so far now answers 401 "The access token expired"."""
        for grant in self._access.values():
            grant.expired = True

    def revoke_refresh_tokens(self) -> None:
        """Every refresh token issued so far now answers 400 invalid_grant, "Refresh token revoked"
        (the user removed the app's access)."""
        self._revoked.update(self._refresh)
        self._refresh.clear()

    def refresh_token_valid(self, token: str) -> bool:
        return token in self._refresh

    # ---- /authorize -----------------------------------------------------------------------

    def _redirect_ok(self, uri: str) -> str | None:
        """Why ``uri`` is refused, or None."""
        parts = urlsplit(uri)
        if parts.scheme == "http" and parts.hostname not in _LOOPBACK:
            return "INVALID_CLIENT: Insecure redirect URI"
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return "INVALID_CLIENT: Invalid redirect URI"
        if not self.redirect_uris:
            return None
        for registered in self.redirect_uris:
            reg = urlsplit(registered)
            # A loopback URI registered without a port may be used with any port.
            same_port = (reg.port is None and parts.hostname in _LOOPBACK) or reg.port == parts.port
            if (reg.scheme, reg.hostname, reg.path) == (parts.scheme, parts.hostname, parts.path) \
                    and same_port:
                return None
        return "INVALID_CLIENT: Invalid redirect URI"

    def authorize_response(self, query: dict[str, str]) -> Response:
        if query.get("client_id") not in self.client_ids:
            return PlainTextResponse("INVALID_CLIENT: Invalid client", 400)
        redirect_uri = query.get("redirect_uri", "")
        problem = self._redirect_ok(redirect_uri)
        if problem:
            return PlainTextResponse(problem, 400)
        back: dict[str, str] = {}
        if query.get("response_type") != "code":
            back = {"error": "unsupported_response_type"}
        elif query.get("code_challenge_method") != "S256":
            back = {"error": "invalid_request",
                    "error_description": "code_challenge_method must be S256"}
        elif len(query.get("code_challenge", "")) != 43:
            back = {"error": "invalid_request", "error_description": "Invalid code_challenge"}
        elif self.deny:
            back = {"error": "access_denied"}
        else:
            code = "AQ" + secrets.token_urlsafe(64)
            self._codes[code] = _Code(query["client_id"], redirect_uri, query["code_challenge"],
                                      query.get("scope", ""))
            back = {"code": code}
        if "state" in query:
            back["state"] = query["state"]
        joiner = "&" if "?" in redirect_uri else "?"
        return RedirectResponse(f"{redirect_uri}{joiner}{urlencode(back)}", status_code=302)

    # ---- /api/token -----------------------------------------------------------------------

    def token_response(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        grant_type = form.get("grant_type")
        if grant_type not in ("authorization_code", "refresh_token"):
            return _oauth_error("unsupported_grant_type",
                                "grant_type parameter is missing or unsupported")
        client_id = form.get("client_id", "")
        if client_id not in self.client_ids:
            return _oauth_error("invalid_client", "Invalid client")
        if grant_type == "authorization_code":
            code = self._codes.pop(form.get("code", ""), None)
            if code is None:
                return _oauth_error("invalid_grant", "Invalid authorization code")
            if code.client_id != client_id:
                return _oauth_error("invalid_client", "Invalid client")
            if code.redirect_uri != form.get("redirect_uri"):
                return _oauth_error("invalid_grant", "Invalid redirect URI")
            if s256(form.get("code_verifier", "")) != code.challenge:
                return _oauth_error("invalid_grant", "code_verifier was incorrect")
            return 200, self.issue_tokens(code.scope, client_id)
        token = form.get("refresh_token", "")
        if token in self._revoked:
            return _oauth_error("invalid_grant", "Refresh token revoked")
        old = self._refresh.get(token)
        if old is None or old.client_id != client_id:
            return _oauth_error("invalid_grant", "Invalid refresh token")
        del self._refresh[token]
        return 200, self.issue_tokens(old.scope, client_id)
