"""The fake SoundCloud sign-in host (``secure.soundcloud.com``): OAuth 2.1 ``/authorize`` with
mandatory PKCE, ``/oauth/token`` for the three grants, ``/sign-out``, and the tokens the fake
API accepts.

Refresh tokens are single-use: each refresh invalidates the one sent and issues a new pair.
Token errors are ``{"error": "invalid_grant"}`` as observed on ``secure.soundcloud.com``;
``token_error_style = "soundcloud"`` switches to the API's error object with ``error_code``
(what the legacy ``/oauth2/token`` answered).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import urlencode

from starlette.responses import HTMLResponse, RedirectResponse, Response

CLIENT_ID = "sc-test-client"
CLIENT_SECRET = "sc-test-secret"
AUTH_LINK = "https://developers.soundcloud.com/docs/api/guide#authentication"
GRANTS = ("authorization_code", "refresh_token", "client_credentials")


@dataclass
class Grant:
    client_id: str
    user: bool
    """True for user tokens (authorization_code); False for app tokens (client_credentials)."""
    expired: bool = False


@dataclass
class _Code:
    client_id: str
    redirect_uri: str
    challenge: str


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _basic(header: str) -> tuple[str, str] | None:
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, sep, password = base64.b64decode(value.strip()).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (user, password) if sep else None


class AuthMixin:
    """Token bookkeeping for :class:`tests.fakes.soundcloud.FakeSoundCloud`."""

    def __init__(self) -> None:
        self.client_id = CLIENT_ID
        self.client_secret = CLIENT_SECRET
        self.require_secret = True
        """False: a public client may leave ``client_secret`` out of code and refresh grants
        (a wrong secret is still refused)."""
        self.redirect_uris: set[str] = set()
        """Registered redirect URIs (exact match); empty = any."""
        self.deny = False
        """True: the user refuses on the authorize page (``error=access_denied``)."""
        self.token_lifetime_s = 3599
        self.token_error_style = "oauth"
        self._codes: dict[str, _Code] = {}
        self._access: dict[str, Grant] = {}
        self._refresh: dict[str, Grant] = {}
        self._spent: set[str] = set()

    # ---- controls -------------------------------------------------------------------------

    def issue_tokens(self, *, user: bool = True) -> dict[str, Any]:
        """Mint a token pair as if pairing had just finished; the token endpoint's JSON."""
        access = "2-" + secrets.token_urlsafe(24)
        refresh = secrets.token_hex(16)
        self._access[access] = Grant(self.client_id, user)
        self._refresh[refresh] = Grant(self.client_id, user)
        return {"access_token": access, "expires_in": self.token_lifetime_s,
                "refresh_token": refresh, "scope": "", "token_type": "bearer"}

    def expire_access_tokens(self) -> None:
        """Every access token issued so far now answers 401."""
        for grant in self._access.values():
            grant.expired = True

    def revoke_refresh_tokens(self) -> None:
        """Every refresh token issued so far now answers ``invalid_grant`` (access removed)."""
        self._spent.update(self._refresh)
        self._refresh.clear()

    def refresh_token_valid(self, token: str) -> bool:
        return token in self._refresh

    def access_grant(self, token: str) -> Grant | None:
        """The live grant behind an access token, ``None`` when unknown, expired or signed out."""
        grant = self._access.get(token)
        return grant if grant is not None and not grant.expired else None

    def sign_out(self, token: str) -> bool:
        return self._access.pop(token, None) is not None

    # ---- /authorize -----------------------------------------------------------------------

    def authorize_response(self, query: dict[str, str]) -> Response:
        if query.get("client_id") != self.client_id:
            return HTMLResponse("<h1>Invalid client</h1>", 400)
        redirect_uri = query.get("redirect_uri", "")
        if not redirect_uri or (self.redirect_uris and redirect_uri not in self.redirect_uris):
            return HTMLResponse("<h1>The redirect_uri does not match the app's</h1>", 400)
        back: dict[str, str]
        if query.get("response_type") != "code":
            back = {"error": "unsupported_response_type"}
        elif query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            back = {"error": "invalid_request",
                    "error_description": "PKCE with code_challenge_method=S256 is required"}
        elif self.deny:
            back = {"error": "access_denied",
                    "error_description": "The user denied access to the app"}
        else:
            code = secrets.token_hex(16)
            self._codes[code] = _Code(self.client_id, redirect_uri, query["code_challenge"])
            back = {"code": code}
        if "state" in query:
            back["state"] = query["state"]
        joiner = "&" if "?" in redirect_uri else "?"
        return RedirectResponse(f"{redirect_uri}{joiner}{urlencode(back)}", status_code=302)

    # ---- /oauth/token ---------------------------------------------------------------------

    def _error(self, status: int, error: str) -> tuple[int, dict[str, Any]]:
        if self.token_error_style == "soundcloud":
            return status, {"code": status, "message": error, "link": AUTH_LINK,
                            "status": f"{status} - {HTTPStatus(status).phrase}",
                            "errors": [{"error_message": error}], "error": None,
                            "error_code": error}
        return status, {"error": error}

    def _client_ok(self, form: dict[str, str], authorization: str, *,
                   secret_required: bool) -> bool:
        basic = _basic(authorization)
        client_id, secret = basic if basic else (form.get("client_id", ""),
                                                 form.get("client_secret"))
        if client_id != self.client_id:
            return False
        if secret is None:
            return not secret_required
        return secrets.compare_digest(secret, self.client_secret)

    def token_response(self, form: dict[str, str],
                       authorization: str = "") -> tuple[int, dict[str, Any]]:
        grant_type = form.get("grant_type", "")
        if grant_type not in GRANTS:
            return self._error(400, "unsupported_grant_type")
        if grant_type == "client_credentials":
            if _basic(authorization) is None or not self._client_ok(
                    form, authorization, secret_required=True):
                return self._error(401, "invalid_client")
            return 200, self.issue_tokens(user=False)
        if not self._client_ok(form, authorization, secret_required=self.require_secret):
            return self._error(401, "invalid_client")
        if grant_type == "authorization_code":
            code = self._codes.pop(form.get("code", ""), None)
            if code is None or code.redirect_uri != form.get("redirect_uri"):
                return self._error(400, "invalid_grant")
            if s256(form.get("code_verifier", "")) != code.challenge:
                return self._error(400, "invalid_grant")
            return 200, self.issue_tokens()
        token = form.get("refresh_token", "")
        old = self._refresh.pop(token, None)
        if old is None:
            return self._error(400, "invalid_grant")
        self._spent.add(token)
        return 200, self.issue_tokens(user=old.user)
