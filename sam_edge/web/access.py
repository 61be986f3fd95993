"""Who may use the HTTP service: the machine itself, a browser that knows the pairing code, or a
client with the API token.

- Requests from loopback (127.0.0.0/8, ``::1``) or from the device's own address pass.
- From the LAN a browser enters the 6-digit pairing code once (``/login``); it gets a signed,
  HttpOnly session cookie. API clients send ``Authorization: Bearer <[http] token>`` instead.
- ``/health`` and the login form stay open.

Every browser gets a random session id in the same cookie when a page needs one: OAuth ``state``
and the CSRF tokens of forms are bound to it. The code is made anew at every start, kept in
``<data dir>/pairing-code`` and logged; the cookie signing key lives in ``<data dir>/web.key``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import logging
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .keyfile import load_key, write_private
from .problem import problem
from .templates import login_page
from .throttle import Throttle

log = logging.getLogger(__name__)

COOKIE = "sam_session"
CODE_FILE = "pairing-code"
KEY_FILE = "web.key"
SESSION_MAX_AGE_S = 30 * 86400
OPEN_PATHS = frozenset({"/health", "/login"})
SAFE_NEXT = frozenset({"/", "/pair"})
"""The only places a login may send the browser back to (never an open redirect)."""
_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True, slots=True)
class Session:
    sid: str
    authed: bool
    """True after the pairing code was entered in this browser."""
    issued: int


@dataclass(slots=True)
class Access:
    """What the middleware found out about one request (``request.state.access``)."""

    via: str
    """``local``, ``session``, ``token`` or ``open`` (an unauthenticated open path)."""
    client: str
    session: Session | None
    issue: bool = False
    """True: send the session cookie with the response."""

    def ensure(self) -> Session:
        """This browser's session, created (and its cookie sent) if it has none yet."""
        if self.session is None:
            self.replace(authed=False)
        assert self.session is not None
        return self.session

    def replace(self, *, authed: bool) -> Session:
        """A fresh session id (after a login, so an old id never gains rights)."""
        self.session = Session(secrets.token_urlsafe(18), authed, int(time.time()))
        self.issue = True
        return self.session


def safe_next(value: str | None) -> str:
    return value if value in SAFE_NEXT else "/"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


@dataclass
class AccessGuard:
    key: bytes = field(repr=False)
    code: str = field(repr=False)
    token: str = field(default="", repr=False)
    server_names: frozenset[str] = frozenset()
    """Host names (besides IP literals, single labels and ``.local``) that loopback requests may
    carry; anything else from loopback could be DNS rebinding and must log in."""
    throttle: Throttle = field(default_factory=Throttle)
    """Wrong pairing codes and wrong API tokens, per client address."""

    @classmethod
    def start(cls, data_dir: Path, *, token: str = "", host: str = "") -> AccessGuard:
        """Load the signing key and make this run's pairing code (written and logged)."""
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        code = f"{secrets.randbelow(10**6):06d}"
        write_private(data_dir / CODE_FILE, (code + "\n").encode())
        log.info("pairing code for browsers on the network: %s", code)
        names = {host.lower()} if host else set()
        return cls(load_key(data_dir / KEY_FILE), code, token, frozenset(names))

    # ---- sessions and CSRF -------------------------------------------------------------------

    def _sign(self, payload: str) -> str:
        return _b64(hmac.new(self.key, payload.encode(), hashlib.sha256).digest())

    def cookie_value(self, session: Session) -> str:
        payload = f"v1.{session.sid}.{int(session.authed)}.{session.issued}"
        return f"{payload}.{self._sign(payload)}"

    def read_cookie(self, value: str | None, now: float | None = None) -> Session | None:
        if not value:
            return None
        payload, _, sig = value.rpartition(".")
        parts = payload.split(".")
        if len(parts) != 4 or parts[0] != "v1" or not hmac.compare_digest(sig, self._sign(payload)):
            return None
        try:
            issued = int(parts[3])
        except ValueError:
            return None
        now = time.time() if now is None else now
        if not 0 <= now - issued <= SESSION_MAX_AGE_S:
            return None
        return Session(parts[1], parts[2] == "1", issued)

    def csrf_token(self, session: Session) -> str:
        return self._sign(f"csrf.{session.sid}")

    def csrf_ok(self, session: Session | None, sent: str | None) -> bool:
        return session is not None and bool(sent) and hmac.compare_digest(
            str(sent), self.csrf_token(session))

    def session_tag(self, session: Session) -> str:
        """A keyed digest of the session id, for records kept on disk."""
        return self._sign(f"sid.{session.sid}")

    # ---- the pairing code --------------------------------------------------------------------

    def check_code(self, client: str, code: str) -> bool:
        """True if ``code`` is this run's pairing code; a wrong one makes ``client`` wait."""
        if hmac.compare_digest(code.strip().encode(), self.code.encode()):
            self.throttle.succeeded(client)
            return True
        self.throttle.failed(client)
        log.warning("a wrong pairing code was entered from %s", client)
        return False

    # ---- who is asking -------------------------------------------------------------------------

    def _trusted_host(self, host_header: str) -> bool:
        host = (urlsplit(f"//{host_header}").hostname or "").lower().rstrip(".")
        if not host:
            return True
        try:
            ipaddress.ip_address(host)
            return True
        except ValueError:
            pass
        return ("." not in host or host.endswith((".local", ".localhost"))
                or host in self.server_names)

    def is_local(self, scope: Scope, host_header: str) -> bool:
        client, server = scope.get("client"), scope.get("server")
        if not client or not client[0]:
            return False
        try:
            ip = ipaddress.ip_address(client[0])
        except ValueError:
            return False
        mapped = getattr(ip, "ipv4_mapped", None)
        same_machine = ip.is_loopback or (mapped is not None and mapped.is_loopback) or (
            server is not None and bool(server) and client[0] == server[0])
        return same_machine and self._trusted_host(host_header)

    def bearer(self, authorization: str) -> bool | None:
        """True for the right API token, False for a wrong one, None when none was sent."""
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() != "bearer":
            return None
        return bool(self.token) and hmac.compare_digest(value.strip().encode(),
                                                        self.token.encode())


def _same_origin(request: Request) -> bool:
    """Browsers send ``Origin`` on cross-site POSTs; a different one is refused."""
    origin = request.headers.get("origin")
    if origin is None:
        return True
    return urlsplit(origin).netloc.lower() == request.headers.get("host", "").lower()


def _wants_html(request: Request) -> bool:
    return request.method == "GET" and "text/html" in request.headers.get("accept", "")


class AccessMiddleware:
    """Pure ASGI, so uploads and streamed replies pass through untouched."""

    def __init__(self, app: ASGIApp, guard: AccessGuard) -> None:
        self.app = app
        self.guard = guard

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        guard = self.guard
        session = guard.read_cookie(request.cookies.get(COOKIE))
        client = scope["client"][0] if scope.get("client") else "?"
        bearer = guard.bearer(request.headers.get("authorization", ""))
        if guard.is_local(scope, request.headers.get("host", "")):
            via = "local"
        elif bearer is not None and guard.throttle.wait_s(client) > 0:
            await self._too_many(client)(scope, receive, send)
            return
        elif bearer:
            via = "token"
        elif bearer is False:
            guard.throttle.failed(client)
            log.warning("a wrong API token was sent from %s", client)
            via = "open"
        elif session is not None and session.authed:
            via = "session"
        else:
            via = "open"
        if request.method in _UNSAFE and not _same_origin(request):
            await problem(403, "cross_origin", "Requests from other sites are refused.")(
                scope, receive, send)
            return
        if via == "open" and scope["path"] not in OPEN_PATHS:
            await self._login_required(request, client)(scope, receive, send)
            return
        access = Access(via, client, session)
        scope.setdefault("state", {})["access"] = access

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and access.issue \
                    and access.session is not None:
                headers = MutableHeaders(scope=message)
                headers.append("set-cookie", self._set_cookie(access.session))
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    def _too_many(self, client: str) -> Response:
        wait = self.guard.throttle.retry_after(client)
        return problem(429, "too_many_attempts",
                       f"Too many wrong codes or tokens from this address: wait {wait} s, "
                       "then try again.", headers={"Retry-After": str(wait)})

    def _set_cookie(self, session: Session) -> str:
        response = Response()
        response.set_cookie(COOKIE, self.guard.cookie_value(session), max_age=SESSION_MAX_AGE_S,
                            path="/", httponly=True, samesite="lax")
        return response.headers["set-cookie"]

    def _login_required(self, request: Request, client: str) -> Response:
        if _wants_html(request):
            tries = self.guard.throttle.tries_left(client)
            return HTMLResponse(login_page(safe_next(request.url.path), "", tries_left=tries),
                                status_code=401)
        return problem(401, "unauthorized",
                       "Sign in with the pairing code at /login, or send the API token "
                       "as 'Authorization: Bearer'.",
                       headers={"WWW-Authenticate": 'Bearer realm="sam-edge"'})


def access_of(request: Request) -> Access:
    """The request's :class:`Access` (without the middleware: unauthenticated, no session)."""
    found: Any = request.scope.get("state", {}).get("access")
    if isinstance(found, Access):
        return found
    access = Access("open", "?", None)
    request.scope.setdefault("state", {})["access"] = access
    return access


def guard_of(request: Request) -> AccessGuard:
    guard: AccessGuard = request.app.state.access_guard
    return guard
